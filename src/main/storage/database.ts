// Opens Utterly's SQLite database: for the data folder's owner, connection settings, then the
// schema migrations; for a reader, a read-only connection that changes nothing.
import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, newerSchemaMessage, olderSchemaMessage, runMigrations, schemaVersionOf } from './migrations';

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
