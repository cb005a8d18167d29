// Opens Utterly's SQLite database: for the data folder's owner, connection settings, then the
// schema migrations; for a reader, a read-only connection that changes nothing.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, newerSchemaMessage, olderSchemaMessage, runMigrations, schemaVersionOf } from './migrations';
import { errorCode, errorMessage } from '../../shared/errors';

export type Database = BetterSqlite3.Database;

export interface OpenDatabaseOptions {
  /**
   * Path of a better_sqlite3.node to load instead of the one beside the package: the desktop
   * app passes the Electron build (ELECTRON_SQLITE_BINDING under the app's root), since the
   * package's own build is for Node's ABI.
   */
  nativeBinding?: string;
}

/** Where scripts/build-electron-sqlite.mjs puts the Electron build, relative to the project root. */
export const ELECTRON_SQLITE_BINDING = 'node_modules/.utterly/electron/better_sqlite3.node';

const BUSY_TIMEOUT_MS = 5000;

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const db = new BetterSqlite3(path, { nativeBinding: options.nativeBinding });
  try {
    // None of these writes to the file: a database from a newer version must stay untouched.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    const found = schemaVersionOf(db);
    if (found > LATEST_SCHEMA_VERSION) throw new Error(newerSchemaMessage(found, LATEST_SCHEMA_VERSION));
    // WAL lets readers run beside the batched event writes; with NORMAL a power cut may lose
    // the last commits but never corrupts the database.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    runMigrations(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * A read-only connection beside the owner's (WAL lets it read while the owner writes): no
 * migrations, no pragma that writes, and any write fails. A database of another schema version
 * is refused; a missing one reads as empty.
 */
export function openDatabaseReadOnly(path: string, options: OpenDatabaseOptions = {}): Database {
  if (!existsSync(path)) {
    // Nothing stored yet: an empty database of the current schema, in memory.
    const empty = new BetterSqlite3(':memory:', { nativeBinding: options.nativeBinding });
    runMigrations(empty);
    return empty;
  }
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, nativeBinding: options.nativeBinding });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const found = schemaVersionOf(db);
    if (found > LATEST_SCHEMA_VERSION) throw new Error(newerSchemaMessage(found, LATEST_SCHEMA_VERSION));
    if (found < LATEST_SCHEMA_VERSION) throw new Error(olderSchemaMessage(found, LATEST_SCHEMA_VERSION));
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** What PRAGMA quick_check found. */
export interface IntegrityReport {
  /** No damage found (also when the check could not run: see `error`). */
  ok: boolean;
  /** quick_check's own lines when something is wrong ("Tree 7 page 12 cell 3: ..."), at most `maxProblems`. */
  problems: string[];
  /** Why the check could not run, if it could not (a locked database, a stopped thread). */
  error?: string;
  /** How long the check took. */
  ms: number;
}

export interface QuickCheckOptions extends OpenDatabaseOptions {
  /** At most this many problems are listed. Default 20. */
  maxProblems?: number;
  /** Stops the check (the database is closing): it resolves with `error` set. */
  signal?: AbortSignal;
}

type CheckOutcome = { lines: string[] } | { error: { message: string; code?: string } };

// A thread of its own with its own read-only connection: quick_check reads every page (about
// a second for 100 MB) and the owner's event loop must not wait for it. Evaluated code rather
// than a bundled entry, with better-sqlite3 required by its resolved path; a module that does
// not load there fails the thread (its 'error'), and the check then runs on the calling thread.
const QUICK_CHECK_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { modulePath, path, nativeBinding, maxProblems } = workerData;
const Database = require(modulePath);
let db;
try {
  db = new Database(path, { readonly: true, fileMustExist: true, nativeBinding });
  db.pragma('busy_timeout = 5000');
  const lines = db.pragma('quick_check(' + maxProblems + ')').map((row) => String(Object.values(row)[0]));
  parentPort.postMessage({ lines });
} catch (error) {
  parentPort.postMessage({ error: { message: String((error && error.message) || error), code: error && error.code } });
} finally {
  if (db) db.close();
}`;

/**
 * Runs PRAGMA quick_check on the database at `path` on a worker thread, beside the connection
 * that is in use (WAL lets it read while the owner writes). A damaged database gives ok: false
 * with quick_check's findings, or with the error that says it is damaged when it cannot even be
 * read. Where a worker thread cannot load better-sqlite3, the check runs on this thread.
 */
export function quickCheck(path: string, options: QuickCheckOptions = {}): Promise<IntegrityReport> {
  const maxProblems = options.maxProblems ?? 20;
  const started = performance.now();
  const report = (outcome: CheckOutcome): IntegrityReport => {
    const ms = performance.now() - started;
    if ('error' in outcome) {
      const { message, code } = outcome.error;
      const damaged = typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
      return damaged ? { ok: false, problems: [message], ms } : { ok: true, problems: [], error: message, ms };
    }
    const ok = outcome.lines.length === 1 && outcome.lines[0] === 'ok';
    return { ok, problems: ok ? [] : outcome.lines, ms };
  };
  return new Promise<IntegrityReport>((resolve) => {
    let answered = false;
    const answer = (outcome: () => CheckOutcome) => {
      if (answered) return;
      answered = true;
      resolve(report(outcome()));
    };
    let worker: Worker;
    try {
      const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
      worker = new Worker(QUICK_CHECK_THREAD, { eval: true, workerData: { modulePath, path, nativeBinding: options.nativeBinding, maxProblems } });
    } catch {
      answer(() => quickCheckHere(path, options, maxProblems));
      return;
    }
    // The thread must not keep a process that is done alive, nor outlive the back end.
    worker.unref();
    options.signal?.addEventListener('abort', () => {
      answer(() => ({ error: { message: 'the check was stopped' } }));
      void worker.terminate();
    });
    worker.once('message', (outcome: CheckOutcome) => answer(() => outcome));
    worker.once('error', () => answer(() => quickCheckHere(path, options, maxProblems)));
    worker.once('exit', () => answer(() => ({ error: { message: 'the check stopped before it finished' } })));
  });
}

function quickCheckHere(path: string, options: OpenDatabaseOptions, maxProblems: number): CheckOutcome {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, nativeBinding: options.nativeBinding });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return { lines: (db.pragma(`quick_check(${maxProblems})`) as Record<string, unknown>[]).map((row) => String(Object.values(row)[0])) };
  } catch (error) {
    return { error: { message: errorMessage(error), code: errorCode(error) } };
  } finally {
    db?.close();
  }
}
