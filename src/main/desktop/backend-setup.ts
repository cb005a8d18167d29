// The back end inside the desktop app: the database in Electron's userData folder, the engine's
// processes as utilityProcess children, and a shutdown that loses nothing: recordings end with
// their results, the database is flushed and closed, the children exit (or are killed).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app } from 'electron';
import { openBackend, type Backend } from '../backend';
import { utilitySpawner } from './utility-spawner';
import { ELECTRON_SQLITE_BINDING } from '../storage/database';

export function setupBackend(): Backend {
  const binding = join(app.getAppPath(), ELECTRON_SQLITE_BINDING);
  const backend = openBackend({
    dataDir: app.getPath('userData'),
    nativeBinding: existsSync(binding) ? binding : undefined,
    engine: { spawner: utilitySpawner, log: (line) => console.log(line) },
  });
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    void backend.close().finally(() => {
      closed = true;
      app.quit();
    });
  });
  return backend;
}
