// The back end every front end composes: the database, the engine (started on first use) and
// the session service, with start-up recovery and an orderly shutdown.
import type { Session } from '../shared/sessions';
import { StreamingContext, type EngineOptions } from './engine/streaming-context';
import { SessionService } from './sessions/session-service';
import { openDatabase } from './storage/database';
import { prepareDataDir } from './storage/data-dir';
import { SessionStore } from './storage/session-store';

export interface Backend {
  store: SessionStore;
  service: SessionService;
  /** Sessions a crash had left unfinished, now `interrupted`. */
  recovered: Session[];
  close(): Promise<void>;
}

export interface BackendOptions {
  dataDir: string;
  engine?: EngineOptions;
  /** better-sqlite3's binary for the runtime at hand (the Electron build in the desktop app). */
  nativeBinding?: string;
}

export function openBackend(options: BackendOptions): Backend {
  const { dbPath, audioDir } = prepareDataDir(options.dataDir);
  const store = new SessionStore(openDatabase(dbPath, { nativeBinding: options.nativeBinding }));
  let engine: Promise<StreamingContext> | undefined;
  const service = new SessionService({ store, audioDir, engine: () => (engine ??= StreamingContext.create(options.engine)) });
  const recovered = service.recoverInterrupted();
  return {
    store,
    service,
    recovered,
    close: async () => {
      await service.close();
      if (engine) await (await engine).close();
      store.close();
    },
  };
}
