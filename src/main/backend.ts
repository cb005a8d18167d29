// The back end every front end composes: the database, the settings, the engine (started on
// first use, replaced when its settings change) and the session service, with start-up recovery
// and an orderly shutdown.
import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../shared/sessions';
import { AppSettingsSchema, DEFAULT_SETTINGS, type AppSettings } from '../shared/settings';
import { StreamingContext, type EngineOptions } from './engine/streaming-context';
import { SessionService } from './sessions/session-service';
import { openDatabase } from './storage/database';
import { prepareDataDir } from './storage/data-dir';
import { SessionStore } from './storage/session-store';

const SETTINGS_KEY = 'app';

export interface Backend {
  store: SessionStore;
  service: SessionService;
  /** Sessions a crash had left unfinished, now `interrupted`. */
  recovered: Session[];
  /** Where browsers upload files to import (emptied at start-up). */
  uploadDir: string;
  getSettings(): AppSettings;
  /** Keeps the settings; a new model or pool size applies from the next session on. */
  setSettings(settings: AppSettings): AppSettings;
  close(): Promise<void>;
}

export interface BackendOptions {
  dataDir: string;
  /** Engine options that override the stored settings for this run (the command line's flags). */
  engine?: EngineOptions;
  /** better-sqlite3's binary for the runtime at hand (the Electron build in the desktop app). */
  nativeBinding?: string;
}

/** Closes an engine replaced by new settings once the sessions still using it are done. */
async function retire(engine: Promise<StreamingContext>): Promise<void> {
  const context = await engine.catch(() => undefined);
  if (!context) return;
  while (context.pool.openClients > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  await context.close();
}

export function openBackend(options: BackendOptions): Backend {
  const { dbPath, audioDir } = prepareDataDir(options.dataDir);
  const uploadDir = join(options.dataDir, 'uploads');
  rmSync(uploadDir, { recursive: true, force: true });
  mkdirSync(uploadDir, { recursive: true });
  const store = new SessionStore(openDatabase(dbPath, { nativeBinding: options.nativeBinding }));

  const stored = AppSettingsSchema.safeParse(store.readSetting(SETTINGS_KEY) ?? {});
  let settings = stored.success ? stored.data : DEFAULT_SETTINGS;
  const engineOptions = (): EngineOptions => ({
    poolSize: settings.pool_size ?? cpus().length,
    model: settings.model,
    ...options.engine,
  });

  let engine: Promise<StreamingContext> | undefined;
  const retiring: Promise<void>[] = [];
  const service = new SessionService({ store, audioDir, engine: () => (engine ??= StreamingContext.create(engineOptions())) });
  const recovered = service.recoverInterrupted();

  return {
    store,
    service,
    recovered,
    uploadDir,
    getSettings: () => settings,
    setSettings: (next) => {
      const engineChanged = JSON.stringify(next.model) !== JSON.stringify(settings.model) || next.pool_size !== settings.pool_size;
      settings = next;
      store.writeSetting(SETTINGS_KEY, next);
      if (engineChanged && engine) {
        retiring.push(retire(engine));
        engine = undefined;
      }
      return settings;
    },
    close: async () => {
      await service.close();
      await Promise.all(retiring);
      if (engine) await (await engine).close();
      store.close();
      rmSync(uploadDir, { recursive: true, force: true });
    },
  };
}
