// The back end every front end composes. The process that owns the data folder (the desktop
// app, `cli serve`, `cli rerun`) holds its lock and gets the database, the settings, the engine
// (started on first use, replaced when its settings change) and the session service, with
// start-up recovery and an orderly shutdown. A reader (`cli sessions`, `cli export`) gets a
// read-only view of the sessions that changes nothing, beside a running owner or without one.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from '../shared/sessions';
import { AppSettingsSchema, DEFAULT_SETTINGS, type AppSettings } from '../shared/settings';
import { defaultPoolSize } from './engine/pool-size';
import { StreamingContext, type EngineOptions } from './engine/streaming-context';
import { SessionService } from './sessions/session-service';
import { openDatabase, openDatabaseReadOnly, quickCheck, type IntegrityReport } from './storage/database';
import { dataFolderOwner, lockDataFolder, type DataFolderLock, type LockHolder } from './storage/data-folder-lock';
import { dataDirPaths, prepareDataDir } from './storage/data-dir';
import { SessionStore } from './storage/session-store';
import { SettingsStore } from './storage/settings-store';
import { errorMessage } from '../shared/errors';

const SETTINGS_KEY = 'app';

/** The owner's back end. */
export interface Backend {
  store: SessionStore;
  service: SessionService;
  /** Sessions a crash had left unfinished, now `interrupted`. */
  recovered: Session[];
  /** Where browsers upload files to import (emptied at start-up). */
  uploadDir: string;
  /**
   * The start-up integrity check (PRAGMA quick_check), run on a worker thread once the back end
   * is open, so that start-up does not wait for it (0.2-0.6 s for 100 MB of database). A
   * damaged database is reported as a storage warning (logged with console.warn, listed by
   * service.storageWarnings(), emitted as the service's `warning`); everything that can still
   * be read and written keeps working.
   */
  integrity: Promise<IntegrityReport>;
  getSettings(): AppSettings;
  /** Keeps the settings; a new model or pool size applies from the next session on. */
  setSettings(settings: AppSettings): AppSettings;
  /** Ends what runs, closes the database and releases the data folder. */
  close(): Promise<void>;
}

/** What a reader may do with the sessions: read them. */
export type SessionReader = Pick<SessionService, 'list' | 'get' | 'events' | 'exportJson' | 'exportLabels' | 'exportStream' | 'exportText'>;

/** A reader's back end. */
export interface ReaderBackend {
  service: SessionReader;
  /** The process that owns the data folder now, if one runs. */
  owner: LockHolder | undefined;
  close(): void;
}

interface CommonOptions {
  dataDir: string;
  /** better-sqlite3's binary for the runtime at hand (the Electron build in the desktop app). */
  nativeBinding?: string;
}

export interface OwnerOptions extends CommonOptions {
  /** Run the start-up integrity check (default true). */
  integrityCheck?: boolean;
  /** Owner is the default: recovers, repairs and cleans up; a second owner is refused. */
  role?: 'owner';
  /** What this process is, as a second owner's refusal names it ("cli serve"). */
  command?: string;
  /**
   * Engine options for this run: what is not a setting (log, spawner) always applies; a model
   * or pool size given here overrides the stored settings (`cli rerun`'s flags).
   */
  engine?: EngineOptions;
  /**
   * Settings to use where none are stored (`cli serve`'s --model-config and --pool): stored
   * settings override them, and the settings the UI saves apply from the next session on.
   */
  defaults?: Partial<AppSettings>;
}

export interface ReaderOptions extends CommonOptions {
  role: 'reader';
}

export type BackendOptions = OwnerOptions | ReaderOptions;

const DEFAULT_COMMAND = process.versions.electron ? 'the Utterly app' : 'another Utterly process';

export function openBackend(options: ReaderOptions): ReaderBackend;
export function openBackend(options: OwnerOptions): Backend;
export function openBackend(options: BackendOptions): Backend | ReaderBackend {
  return options.role === 'reader' ? openReader(options) : openOwner(options);
}

/** Reads the database as it is: no lock, no recovery, no migration, no clean-up. */
function openReader(options: ReaderOptions): ReaderBackend {
  const { dbPath, audioDir } = dataDirPaths(options.dataDir);
  const store = new SessionStore(openDatabaseReadOnly(dbPath, { nativeBinding: options.nativeBinding }));
  const service = new SessionService({ store, audioDir, engine: () => Promise.reject(new Error('a reader of the data folder runs no engine')) });
  return { service, owner: dataFolderOwner(options.dataDir), close: () => store.close() };
}

function openOwner(options: OwnerOptions): Backend {
  const paths = prepareDataDir(options.dataDir);
  // Before anything else: recovering or cleaning up under a running owner breaks what it does.
  const lock = lockDataFolder(options.dataDir, options.command ?? DEFAULT_COMMAND);
  try {
    return ownerBackend(options, paths, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Closes an engine replaced by new settings once every stream still using it has ended, its VAD
 * included: the engine tells (StreamingContext.closeWhenIdle), nothing polls.
 */
async function retire(engine: Promise<StreamingContext>): Promise<void> {
  const context = await engine.catch(() => undefined);
  if (context) await context.closeWhenIdle();
}

function ownerBackend(options: OwnerOptions, { dbPath, audioDir }: { dbPath: string; audioDir: string }, lock: DataFolderLock): Backend {
  const uploadDir = join(options.dataDir, 'uploads');
  rmSync(uploadDir, { recursive: true, force: true });
  mkdirSync(uploadDir, { recursive: true });
  const db = openDatabase(dbPath, { nativeBinding: options.nativeBinding });
  const store = new SessionStore(db);
  try {
    return ownerOnStore(options, store, new SettingsStore(db), { dbPath, audioDir, uploadDir }, lock);
  } catch (error) {
    store.close();
    throw error;
  }
}

function ownerOnStore(
  options: OwnerOptions,
  store: SessionStore,
  settingsStore: SettingsStore,
  { dbPath, audioDir, uploadDir }: { dbPath: string; audioDir: string; uploadDir: string },
  lock: DataFolderLock,
): Backend {
  // Damage that reading the settings or recovering runs into is reported, not fatal: the rest
  // of the database may be fine, and the person needs the app to get at it.
  const startUpProblems: string[] = [];
  const readStoredSettings = () => {
    try {
      return settingsStore.read(SETTINGS_KEY) ?? {};
    } catch (error) {
      startUpProblems.push(`the stored settings could not be read (${errorMessage(error)}); the defaults apply`);
      return {};
    }
  };
  // The command line's options are defaults: what is stored (the person's own settings) wins.
  const raw = readStoredSettings();
  const stored = AppSettingsSchema.safeParse({ ...options.defaults, ...(typeof raw === 'object' && raw !== null ? raw : {}) });
  let settings = stored.success ? stored.data : (AppSettingsSchema.safeParse(options.defaults ?? {}).data ?? DEFAULT_SETTINGS);
  const engineOptions = (): EngineOptions => ({
    ...options.engine,
    poolSize: options.engine?.poolSize ?? settings.pool_size ?? defaultPoolSize(),
    model: options.engine?.model ?? settings.model,
  });

  let engine: Promise<StreamingContext> | undefined;
  const retiring: Promise<void>[] = [];
  const service = new SessionService({ store, audioDir, uploadDir, engine: () => (engine ??= StreamingContext.create(engineOptions())) });
  let recovered: Session[] = [];
  try {
    recovered = service.recoverInterrupted();
  } catch (error) {
    startUpProblems.push(`sessions left unfinished by a crash could not be marked interrupted (${errorMessage(error)})`);
  }
  for (const problem of startUpProblems) service.warn(problem);

  const checking = new AbortController();
  const integrity: Promise<IntegrityReport> =
    options.integrityCheck === false
      ? Promise.resolve({ ok: true, problems: [], ms: 0 })
      : quickCheck(dbPath, { nativeBinding: options.nativeBinding, signal: checking.signal }).then((report) => {
          if (!report.ok) service.reportDamage(damageWarning(dbPath, report));
          else if (report.error && !checking.signal.aborted) console.warn(`Utterly: the integrity check of ${dbPath} could not run: ${report.error}`);
          return report;
        });

  return {
    store,
    service,
    recovered,
    uploadDir,
    integrity,
    getSettings: () => settings,
    setSettings: (next) => {
      const engineChanged = JSON.stringify(next.model) !== JSON.stringify(settings.model) || next.pool_size !== settings.pool_size;
      settings = next;
      settingsStore.write(SETTINGS_KEY, next);
      if (engineChanged && engine) {
        retiring.push(retire(engine));
        engine = undefined;
      }
      return settings;
    },
    close: async () => {
      try {
        checking.abort();
        await service.close();
        await Promise.all(retiring);
        if (engine) await (await engine).close();
        store.close();
        rmSync(uploadDir, { recursive: true, force: true });
      } finally {
        lock.release();
      }
    },
  };
}

/** The storage warning for a database quick_check found damaged. */
function damageWarning(dbPath: string, report: IntegrityReport): string {
  const [first, ...rest] = report.problems;
  const more = rest.length > 0 ? ` and ${rest.length} more problem${rest.length === 1 ? '' : 's'}` : '';
  return `the database ${dbPath} is damaged (integrity check: ${first}${more}); sessions that can be read still work: export what you need, and keep a copy of the file before anything else`;
}
