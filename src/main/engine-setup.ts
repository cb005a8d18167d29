// The engine inside the desktop app: model and VAD processes as utilityProcess children,
// stopped (politely, then killed) before the app quits.
import { app } from 'electron';
import { utilitySpawner } from './process/utility-spawner';
import { StreamingContext } from './engine/streaming-context';

export async function setupEngine(): Promise<StreamingContext> {
  const context = await StreamingContext.create({ spawner: utilitySpawner, log: (line) => console.log(line) });
  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void context.close().finally(() => {
      stopped = true;
      app.quit();
    });
  });
  return context;
}
