// The desktop app's log: nobody sees a packaged app's console, so everything main prints (its
// own messages and the workers' lines) also goes to a rotating file in Electron's logs folder.
import { format } from 'node:util';
import { app } from 'electron';
import { openLogFile, type LogFile } from '../logging/log-file';

export function setupLogging(): LogFile {
  const log = openLogFile(app.getPath('logs'));
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    const print = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      log.write(`${level === 'log' ? 'info' : level}: ${format(...args)}`);
      print(...args);
    };
  }
  log.write(`info: Utterly ${app.getVersion()} starting (Electron ${process.versions.electron ?? '?'}, ${process.platform}-${process.arch})`);
  app.once('will-quit', () => log.write('info: quitting'));
  return log;
}
