// The back end inside the desktop app: the data folder the command line uses too (owned by the
// app while it runs), the engine's processes as utilityProcess children, and a shutdown that
// loses nothing: recordings end with their results, the database is flushed and closed, the
// children exit (or are killed).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app } from 'electron';
import { openBackend, type Backend } from '../backend';
import { utilitySpawner } from './utility-spawner';
import { ELECTRON_SQLITE_BINDING } from '../storage/database';
import { defaultDataDir } from '../storage/data-dir';

export function setupBackend(): Backend {
  // Packaged, the app is resources/app.asar and its native files sit beside it, unpacked, in
  // app.asar.unpacked (electron-builder.yml asarUnpack): load the binding from there, a real file,
  // not through the archive (https://www.electronjs.org/docs/latest/tutorial/asar-archives,
  // "Adding Unpacked Files to ASAR archives"). Unpackaged, the path is the project's.
  const binding = join(app.getAppPath().replace(/\.asar$/, '.asar.unpacked'), ELECTRON_SQLITE_BINDING);
  const backend = openBackend({
    dataDir: defaultDataDir(),
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
