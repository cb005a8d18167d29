// Schema migrations, keyed by SQLite's `user_version`. Each migration is frozen once released:
// it spells out its own SQL (no shared constants), so that upgrading from any earlier version
// always produces the same schema as a fresh install.
import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up(db: BetterSqlite3.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'sessions and their events',
    up(db) {
      db.exec(`
        CREATE TABLE sessions (
          id            TEXT PRIMARY KEY NOT NULL,
          title         TEXT NOT NULL,
          source        TEXT NOT NULL CHECK (source IN ('mic', 'file', 'api')),
          original_name TEXT,
          format        TEXT CHECK (format IS NULL OR json_valid(format)),
          settings      TEXT NOT NULL CHECK (json_valid(settings)),
          status        TEXT NOT NULL
                        CHECK (status IN ('recording', 'processing', 'done', 'cancelled', 'failed', 'interrupted')),
          created_at    TEXT NOT NULL,
          finished_at   TEXT,
          duration      REAL,
          audio_path    TEXT,
          error         TEXT
        );

        -- One row per ApiResponse, in the order the session emitted them.
        CREATE TABLE events (
          session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
          seq        INTEGER NOT NULL,
          channel    INTEGER NOT NULL,
          type       TEXT NOT NULL CHECK (type IN ('segment', 'data', 'error', 'active', 'inactive')),
          start_time REAL,
          end_time   REAL,
          time       REAL,
          is_final   INTEGER CHECK (is_final IN (0, 1)),
          output     TEXT CHECK (output IS NULL OR json_valid(output)),
          message    TEXT,
          PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: 're-runs, listing newest first, search by title and file name',
    up(db) {
      db.exec(`
        ALTER TABLE sessions ADD COLUMN rerun_of TEXT REFERENCES sessions (id) ON DELETE SET NULL;
        -- Title and file name folded for case-insensitive search (see src/shared/search.ts): SQLite's own
        -- LIKE and lower() fold ASCII only.
        ALTER TABLE sessions ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
        CREATE INDEX sessions_by_created_at ON sessions (created_at);
        -- Deleting a session looks up its re-runs to clear their rerun_of.
        CREATE INDEX sessions_by_rerun_of ON sessions (rerun_of) WHERE rerun_of IS NOT NULL;
      `);
      const setSearchText = db.prepare('UPDATE sessions SET search_text = ? WHERE id = ?');
      const rows = db.prepare('SELECT id, title, original_name FROM sessions').all() as {
        id: string;
        title: string;
        original_name: string | null;
      }[];
      // The folding of src/shared/search.ts as it was when this migration shipped: frozen here, so
      // that the migration does not change when that code does.
      const fold = (text: string) => text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
      for (const row of rows) setSearchText.run(`${fold(row.title)}\n${fold(row.original_name ?? '')}`, row.id);
    },
  },
  {
    version: 3,
    description: 'the app settings, kept between runs',
    up(db) {
      db.exec(`
        CREATE TABLE settings (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL CHECK (json_valid(value))
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 4,
    description: "an imported file's own format",
    up(db) {
      db.exec(`
        -- What the file itself is (container, codec, channels, sample rate, bit depth, bytes), as
        -- JSON; format stays what it decodes to. Null for recordings, streams and older imports.
        ALTER TABLE sessions ADD COLUMN source_format TEXT CHECK (source_format IS NULL OR json_valid(source_format));
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersionOf(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function newerSchemaMessage(found: number, known: number): string {
  return `This database was written by a newer version of Utterly (schema ${found}; this version knows up to ${known}). It was not changed.`;
}

export function olderSchemaMessage(found: number, known: number): string {
  return `This database was written by an older version of Utterly (schema ${found}; this version uses ${known}) and only the app or \`cli serve\` may upgrade it: open the data folder with one of them once. It was not changed.`;
}

/**
 * Brings the database up to the last of `migrations`. Each pending migration runs in one
 * transaction together with its `user_version` bump, so a failing one leaves the database at
 * the version before it. (A future migration that rebuilds a table must switch foreign keys
 * off around the transaction: the pragma is a no-op inside one.)
 */
export function runMigrations(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`Migration ${index + 1} is numbered ${migration.version}`);
  });
  const current = schemaVersionOf(db);
  const known = migrations.length;
  if (current > known) throw new Error(newerSchemaMessage(current, known));
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
