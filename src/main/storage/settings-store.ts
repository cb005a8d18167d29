// The app's settings, kept between runs in the `settings` table (migration 3): JSON by key.
import type { Database } from './database';

export class SettingsStore {
  private readonly select;
  private readonly upsert;

  constructor(db: Database) {
    this.select = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
    this.upsert = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  /** A stored setting as it was written (JSON), or undefined. */
  read(key: string): unknown {
    const row = this.select.get(key);
    return row ? JSON.parse(row.value) : undefined;
  }

  write(key: string, value: unknown): void {
    this.upsert.run(key, JSON.stringify(value));
  }
}
