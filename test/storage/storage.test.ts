// The storage layer on real SQLite files: migrations, sessions, events, batching, exports,
// the data folder and the Electron build script's skip branch.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import type { SessionSettings, SessionStatus } from '../../src/shared/sessions';
import { defaultDataDir, prepareDataDir } from '../../src/main/storage/data-dir';
import { openDatabase } from '../../src/main/storage/database';
import { EventWriter } from '../../src/main/storage/event-writer';
import { exportSessionJson, exportSessionLabels } from '../../src/main/storage/export';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, runMigrations, type Migration } from '../../src/main/storage/migrations';
import { searchTextOf } from '../../src/shared/search';
import { SessionStore, type NewSession } from '../../src/main/storage/session-store';

const SEGMENTED: SessionSettings = { mode: 'segmented', interim_results: true };
const SIMPLE: SessionSettings = { mode: 'simple', interim_results: false };

let dir: string;
let databases: string[];
let stores: SessionStore[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'utterly-storage-'));
  databases = [];
  stores = [];
});

afterEach(() => {
  for (const store of stores) store.close();
  // Whatever a test did, every database it left must be sound.
  for (const path of databases.filter(existsSync)) {
    const db = new BetterSqlite3(path);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

function dbPath(name = 'utterly.db'): string {
  const path = join(dir, name);
  databases.push(path);
  return path;
}

function openStore(path = dbPath()): SessionStore {
  const store = new SessionStore(openDatabase(path));
  stores.push(store);
  return store;
}

function newSession(overrides: Partial<NewSession> = {}): NewSession {
  return { title: 'Session', source: 'mic', settings: SEGMENTED, status: 'recording', ...overrides };
}

const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const schemaOf = (db: BetterSqlite3.Database) =>
  db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();

/** Every kind of event in the wire format, as the runners emit them. */
const EVERY_KIND: ApiResponse[] = [
  { channel: 0, type: 'active', time: 2.016 },
  { channel: 0, type: 'segment', start_time: 2.016, end_time: 2.5, is_final: false, count: 7744 },
  { channel: 1, type: 'active', time: 2.1 },
  { channel: 0, type: 'inactive', time: 4.224 },
  { channel: 0, type: 'segment', start_time: 2.016, end_time: 4.224, is_final: true, count: 35328 },
  { channel: 1, type: 'error', message: 'Internal server error' },
  { channel: 1, type: 'error', message: 'Internal server error', start_time: 2.1, end_time: 3.25 },
  { channel: 0, type: 'segment', start_time: 0, end_time: 1, count: 16000 },
  { channel: 2, type: 'data', count: 0 },
  { channel: 1, type: 'inactive', time: 1e-7 },
  { channel: 1, type: 'segment', start_time: 1 / 3, end_time: 12345.678901234, is_final: true, count: 2 ** 40 },
];

describe('migrations', () => {
  it('gives a fresh database the newest schema and the connection settings', () => {
    const db = openDatabase(dbPath());
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    const columns = (table: string) => (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    expect(columns('sessions')).toEqual([
      'id',
      'title',
      'source',
      'original_name',
      'format',
      'settings',
      'status',
      'created_at',
      'finished_at',
      'duration',
      'audio_path',
      'error',
      'rerun_of',
      'search_text',
      'source_format',
    ]);
    expect(columns('events')).toEqual(['session_id', 'seq', 'channel', 'type', 'start_time', 'end_time', 'time', 'is_final', 'output', 'message']);
    const indexes = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'sessions' AND sql IS NOT NULL").pluck().all();
    expect(indexes.sort()).toEqual(['sessions_by_created_at', 'sessions_by_rerun_of']);
    db.close();
  });

  it('opens a database at the newest version again without change', () => {
    const path = dbPath();
    openDatabase(path).close();
    const hash = hashOf(path);
    openDatabase(path).close();
    expect(hashOf(path)).toBe(hash);
  });

  for (let from = 1; from < LATEST_SCHEMA_VERSION; from++) {
    it(`upgrades a database of schema ${from} with its rows, to the schema of a fresh one`, () => {
      const path = dbPath('old.db');
      const old = new BetterSqlite3(path);
      runMigrations(old, MIGRATIONS.slice(0, from));
      expect(old.pragma('user_version', { simple: true })).toBe(from);
      // Rows as version 1 wrote them: its columns only.
      const insertSession = old.prepare(
        'INSERT INTO sessions (id, title, source, original_name, format, settings, status, created_at, finished_at, duration, audio_path, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      insertSession.run(
        'a',
        'Morning Standup',
        'mic',
        null,
        '{"channels":1,"sample_rate":48000,"bit_depth":32,"is_float":true}',
        JSON.stringify(SEGMENTED),
        'done',
        '2025-01-01T09:00:00.000Z',
        '2025-01-01T09:15:00.000Z',
        900,
        '/audio/a.wav',
        null,
      );
      insertSession.run(
        'b',
        'Interview',
        'file',
        'Ärger im Büro.MP3',
        null,
        JSON.stringify(SIMPLE),
        'failed',
        '2025-01-02T10:00:00.000Z',
        null,
        null,
        null,
        'cannot decode',
      );
      // From version 2 on, the app wrote each row's search text with it.
      if (from >= 2) {
        const setSearchText = old.prepare('UPDATE sessions SET search_text = ? WHERE id = ?');
        for (const row of old.prepare('SELECT id, title, original_name FROM sessions').all() as { id: string; title: string; original_name: string | null }[]) {
          setSearchText.run(searchTextOf(row.title, row.original_name), row.id);
        }
      }
      old.prepare("INSERT INTO events (session_id, seq, channel, type, time) VALUES ('a', 0, 0, 'active', 1.5)").run();
      old
        .prepare(
          "INSERT INTO events (session_id, seq, channel, type, start_time, end_time, is_final, output) VALUES ('a', 1, 0, 'segment', 1.5, 3, 1, '{\"count\":24000}')",
        )
        .run();
      old.close();

      const store = openStore(path);
      const fresh = openDatabase(dbPath('fresh.db'));
      const upgraded = new BetterSqlite3(path);
      expect(upgraded.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(schemaOf(upgraded)).toEqual(schemaOf(fresh));
      upgraded.close();
      fresh.close();

      expect(store.getSession('a')).toEqual({
        id: 'a',
        title: 'Morning Standup',
        source: 'mic',
        original_name: null,
        format: { channels: 1, sample_rate: 48000, bit_depth: 32, is_float: true },
        source_format: null,
        settings: SEGMENTED,
        status: 'done',
        created_at: '2025-01-01T09:00:00.000Z',
        finished_at: '2025-01-01T09:15:00.000Z',
        duration: 900,
        audio_path: '/audio/a.wav',
        error: null,
        rerun_of: null,
      });
      expect(store.getSession('b')!.source_format).toBeNull();
      // Sessions from before the file's own format was kept export it as null.
      expect(exportSessionJson(store, 'b').session.source_format).toBeNull();
      expect(store.listSessions().sessions.map((s) => s.id)).toEqual(['b', 'a']);
      // Rows from before search existed are searchable.
      expect(store.listSessions({ query: 'standup' }).sessions.map((s) => s.id)).toEqual(['a']);
      expect(store.listSessions({ query: 'ÄRGER' }).sessions.map((s) => s.id)).toEqual(['b']);
      expect(JSON.stringify(store.getEvents('a'))).toBe(
        JSON.stringify([
          { channel: 0, type: 'active', time: 1.5 },
          { channel: 0, type: 'segment', start_time: 1.5, end_time: 3, is_final: true, count: 24000 },
        ]),
      );
    });
  }

  it('refuses a database from a newer version and leaves its bytes as they were', () => {
    const path = dbPath();
    const store = new SessionStore(openDatabase(path));
    store.createSession(newSession());
    store.close();
    const newer = new BetterSqlite3(path);
    newer.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    newer.close();
    const files = readdirSync(dir).sort();
    const hash = hashOf(path);

    expect(() => openDatabase(path)).toThrow(
      `This database was written by a newer version of Utterly (schema ${LATEST_SCHEMA_VERSION + 1}; this version knows up to ${LATEST_SCHEMA_VERSION}). It was not changed.`,
    );
    expect(hashOf(path)).toBe(hash);
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it('leaves the database at the version before a migration that throws', () => {
    const db = new BetterSqlite3(dbPath());
    runMigrations(db, MIGRATIONS.slice(0, 1));
    const failing: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      description: 'fails half way',
      up(target) {
        target.exec('CREATE TABLE half_done (x); ALTER TABLE sessions ADD COLUMN half_done TEXT');
        throw new Error('migration failed');
      },
    };
    // The migrations before the failing one are each committed on their own.
    expect(() => runMigrations(db, [...MIGRATIONS, failing])).toThrow('migration failed');
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'").pluck().get()).toBe(0);
    expect((db.pragma('table_info(sessions)') as { name: string }[]).map((c) => c.name)).not.toContain('half_done');
    db.close();
  });

  it('loads the native binding it is given', () => {
    const nodeBuild = fileURLToPath(new URL('../../node_modules/better-sqlite3/build/Release/better_sqlite3.node', import.meta.url));
    const db = openDatabase(dbPath(), { nativeBinding: nodeBuild });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    db.close();
    expect(() => openDatabase(dbPath('other.db'), { nativeBinding: join(dir, 'missing.node') })).toThrow();
  });
});

describe('sessions', () => {
  it('creates, reads and updates a session', () => {
    const store = openStore();
    const format = { channels: 2, sample_rate: 44100, bit_depth: 16, is_float: false };
    const created = store.createSession(newSession({ title: 'Call', source: 'api', format, audio_path: '/a.wav' }));
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      title: 'Call',
      source: 'api',
      original_name: null,
      format,
      source_format: null,
      settings: SEGMENTED,
      status: 'recording',
      created_at: expect.any(String),
      finished_at: null,
      duration: null,
      audio_path: '/a.wav',
      error: null,
      rerun_of: null,
    });
    expect(new Date(created.created_at).toISOString()).toBe(created.created_at);
    expect(store.getSession(created.id)).toEqual(created);
    expect(store.getSession('nope')).toBeUndefined();

    const failed = store.updateSession(created.id, { status: 'failed', error: 'boom', duration: 1.25, finished_at: '2025-01-01T00:00:00.000Z' });
    expect(failed).toEqual({ ...created, status: 'failed', error: 'boom', duration: 1.25, finished_at: '2025-01-01T00:00:00.000Z' });
    // Undefined keeps a field, null clears it.
    expect(store.updateSession(created.id, { error: null, title: undefined, format: null })).toEqual({ ...failed, error: null, format: null });
    const source_format = { container: 'wav', codec: 'pcm_s24le', channels: 2, sample_rate: 48000, bit_depth: 24, bytes: 1234 };
    expect(store.updateSession(created.id, { source_format })).toEqual({ ...failed, error: null, format: null, source_format });
    expect(store.getSession(created.id)!.source_format).toEqual(source_format);
    expect(store.updateSession(created.id, { source_format: null }).source_format).toBeNull();
    expect(() => store.updateSession('nope', { status: 'done' })).toThrow('no session with id nope');
  });

  it('rejects values outside the schema', () => {
    const store = openStore();
    expect(() => store.createSession(newSession({ status: 'paused' as SessionStatus }))).toThrow(/CHECK constraint/);
    expect(() => store.createSession(newSession({ rerun_of: 'missing' }))).toThrow(/FOREIGN KEY/);
  });

  it('lists newest first, a page at a time, with the total', () => {
    const store = openStore();
    const ids = Array.from({ length: 7 }, (_, i) => store.createSession(newSession({ title: `S${i}` })).id);
    const page = (offset: number) => store.listSessions({ limit: 3, offset });
    expect(page(0)).toEqual({ sessions: [6, 5, 4].map((i) => store.getSession(ids[i]!)), total: 7 });
    expect(page(3).sessions.map((s) => s.title)).toEqual(['S3', 'S2', 'S1']);
    expect(page(6).sessions.map((s) => s.title)).toEqual(['S0']);
    expect(page(9)).toEqual({ sessions: [], total: 7 });
    expect(store.listSessions().sessions).toHaveLength(7);
  });

  it('orders by creation time, not by insertion', () => {
    const path = dbPath();
    const store = openStore(path);
    const older = store.createSession(newSession({ title: 'older' }));
    const newer = store.createSession(newSession({ title: 'newer' }));
    const db = new BetterSqlite3(path);
    db.prepare("UPDATE sessions SET created_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").run(newer.id);
    db.close();
    expect(store.listSessions().sessions.map((s) => s.id)).toEqual([older.id, newer.id]);
  });

  it('searches titles and file names, ignoring case, with % and _ as plain characters', () => {
    const store = openStore();
    const titled = (title: string, original_name: string | null = null) =>
      store.createSession(newSession({ title, original_name, source: original_name ? 'file' : 'mic' })).title;
    titled('Weekly Meeting');
    titled('Kickoff', 'Interview-Final.WAV');
    titled('100% done');
    titled('100 percent');
    titled('a_b');
    titled('axb');
    titled('Été à Paris');
    titled('Notes', 'Cafe\u0301.m4a'); // decomposed, as macOS names files
    const search = (query: string) => store.listSessions({ query }).sessions.map((s) => s.title);
    expect(search('meeting')).toEqual(['Weekly Meeting']);
    expect(search('  WEEKLY   meeting ')).toEqual(['Weekly Meeting']);
    expect(search('interview-final')).toEqual(['Kickoff']);
    expect(search('.wav')).toEqual(['Kickoff']);
    expect(search('%')).toEqual(['100% done']);
    expect(search('100%')).toEqual(['100% done']);
    expect(search('a_b')).toEqual(['a_b']);
    expect(search('_')).toEqual(['a_b']);
    expect(search('ÉTÉ')).toEqual(['Été à Paris']);
    expect(search('café')).toEqual(['Notes']);
    expect(search('100')).toEqual(['100 percent', '100% done']);
    expect(search('nothing like it')).toEqual([]);
    // A title and a file name are not one text.
    expect(search('kickoff interview')).toEqual([]);
    expect(search('')).toHaveLength(8);
    expect(store.listSessions({ query: '100', limit: 1, offset: 1 })).toEqual({ sessions: [expect.objectContaining({ title: '100% done' })], total: 2 });
  });

  it('renames a session, and search follows', () => {
    const store = openStore();
    const session = store.createSession(newSession({ title: 'Untitled' }));
    expect(store.updateSession(session.id, { title: 'Board review' })).toEqual({ ...session, title: 'Board review' });
    expect(store.listSessions({ query: 'untitled' }).total).toBe(0);
    expect(store.listSessions({ query: 'board' }).total).toBe(1);
  });

  it('deletes a session with its events, and forgets it in its re-runs', () => {
    const path = dbPath();
    const store = openStore(path);
    const original = store.createSession(newSession({ audio_path: '/audio/original.wav' }));
    const rerun = store.createSession(newSession({ rerun_of: original.id }));
    const kept = store.createSession(newSession());
    store.appendEvents(original.id, EVERY_KIND, 0);
    store.appendEvents(kept.id, EVERY_KIND, 0);

    expect(store.deleteSession(original.id)).toEqual(original);
    expect(store.getSession(original.id)).toBeUndefined();
    expect(store.getSession(rerun.id)?.rerun_of).toBeNull();
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM events WHERE session_id = ?').pluck().get(original.id)).toBe(0);
    db.close();
    expect(store.countEvents(kept.id)).toBe(EVERY_KIND.length);
    expect(store.deleteSession(original.id)).toBeUndefined();
  });

  it('marks what was recording or processing as interrupted', () => {
    const store = openStore();
    const statuses: SessionStatus[] = ['recording', 'processing', 'done', 'cancelled', 'failed', 'interrupted'];
    const sessions = statuses.map((status) => store.createSession(newSession({ status, title: status })));
    const before = Date.now();
    const interrupted = store.markUnfinishedAsInterrupted();
    expect(interrupted.map((s) => s.title).sort()).toEqual(['processing', 'recording']);
    for (const session of interrupted) {
      expect(session.status).toBe('interrupted');
      expect(Date.parse(session.finished_at!)).toBeGreaterThanOrEqual(before - 1);
      expect(store.getSession(session.id)).toEqual(session);
    }
    for (const session of sessions.slice(2)) expect(store.getSession(session.id)).toEqual(session);
    expect(store.markUnfinishedAsInterrupted()).toEqual([]);
  });
});

describe('events', () => {
  it('round-trips every kind of event exactly, key order included', () => {
    const store = openStore();
    const { id } = store.createSession(newSession());
    store.appendEvents(id, EVERY_KIND, 0);
    expect(JSON.stringify(store.getEvents(id))).toBe(JSON.stringify(EVERY_KIND));
    expect(JSON.stringify([...store.iterateEvents(id)])).toBe(JSON.stringify(EVERY_KIND));
    expect(JSON.stringify(store.getEvents(id, { offset: 3, limit: 4 }))).toBe(JSON.stringify(EVERY_KIND.slice(3, 7)));
    expect(store.countEvents(id)).toBe(EVERY_KIND.length);
    expect(store.getEvents('nope')).toEqual([]);
  });

  it('keeps the order across batches and writers', () => {
    const store = openStore();
    const { id } = store.createSession(newSession());
    const events: ApiResponse[] = Array.from({ length: 1000 }, (_, i) => ({ channel: i % 3, type: 'segment', start_time: i, end_time: i + 0.5, count: i }));
    const first = new EventWriter(store, id, { batchSize: 7 });
    events.slice(0, 600).forEach((event) => first.push(event));
    first.close();
    // A second writer carries on after what is stored.
    const second = new EventWriter(store, id, { batchSize: 64 });
    events.slice(600).forEach((event) => second.push(event));
    second.close();
    expect(JSON.stringify(store.getEvents(id))).toBe(JSON.stringify(events));
  });

  it('commits a batch when it is full, not one event at a time', () => {
    const path = dbPath();
    const store = openStore(path);
    const { id } = store.createSession(newSession());
    const reader = new BetterSqlite3(path, { readonly: true });
    const visible = reader.prepare('SELECT count(*) FROM events WHERE session_id = ?').pluck();
    const writer = new EventWriter(store, id, { batchSize: 256, flushAfterMs: 60_000 });
    const seenByReader = new Set<unknown>();
    for (let i = 0; i < 1000; i++) {
      writer.push({ channel: 0, type: 'active', time: i });
      seenByReader.add(visible.get(id));
    }
    expect([...seenByReader]).toEqual([0, 256, 512, 768]);
    writer.close();
    expect(visible.get(id)).toBe(1000);
    reader.close();
  });

  it('writes a partial batch after the flush delay', async () => {
    const path = dbPath();
    const store = openStore(path);
    const { id } = store.createSession(newSession());
    const reader = new BetterSqlite3(path, { readonly: true });
    const visible = reader.prepare('SELECT count(*) FROM events WHERE session_id = ?').pluck();
    const writer = new EventWriter(store, id, { flushAfterMs: 100 });
    for (let i = 0; i < 10; i++) writer.push({ channel: 0, type: 'inactive', time: i });
    expect(visible.get(id)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(visible.get(id)).toBe(0);
    await expect.poll(() => visible.get(id), { timeout: 2000 }).toBe(10);
    writer.close();
    reader.close();
  });

  it('reports a failed write and refuses further events', async () => {
    const store = openStore();
    const { id } = store.createSession(newSession());
    const errors: unknown[] = [];
    const writer = new EventWriter(store, id, { flushAfterMs: 10, onError: (error) => errors.push(error) });
    writer.push({ channel: 0, type: 'active', time: 0 });
    store.deleteSession(id);
    await expect.poll(() => errors.length).toBe(1);
    expect(String(errors[0])).toMatch(/FOREIGN KEY/);
    expect(() => writer.push({ channel: 0, type: 'inactive', time: 1 })).toThrow(/FOREIGN KEY/);
    expect(() => writer.close()).toThrow(/FOREIGN KEY/);

    const direct = new EventWriter(store, 'gone', { batchSize: 2 });
    direct.push({ channel: 0, type: 'active', time: 0 });
    expect(() => direct.push({ channel: 0, type: 'inactive', time: 1 })).toThrow(/FOREIGN KEY/);
  });

  it('summarises final segments, speech time and errors', () => {
    const store = openStore();
    const segmented = store.createSession(newSession());
    store.appendEvents(segmented.id, EVERY_KIND, 0);
    // EVERY_KIND has two finals, one interim, one segment without is_final (which counts, as in
    // simple mode) and two errors.
    expect(store.summary(segmented.id)).toEqual({ segments: 3, speech_time: expect.closeTo(2.208 + 1 + (12345.678901234 - 1 / 3), 9), errors: 2 });

    const simple = store.createSession(newSession({ settings: SIMPLE }));
    store.appendEvents(
      simple.id,
      [
        { channel: 0, type: 'segment', start_time: 0, end_time: 1, count: 16000 },
        { channel: 0, type: 'error', message: 'Internal server error' },
        { channel: 0, type: 'segment', start_time: 2, end_time: 2.5, count: 8000 },
      ],
      0,
    );
    expect(store.summary(simple.id)).toEqual({ segments: 2, speech_time: 1.5, errors: 1 });
    expect(store.summary(store.createSession(newSession()).id)).toEqual({ segments: 0, speech_time: 0, errors: 0 });
  });
});

describe('exports', () => {
  it('exports the session, its events as stored (times to the millisecond) and the summary as JSON', () => {
    const store = openStore();
    const format = { channels: 3, sample_rate: 16000, bit_depth: 16, is_float: false };
    const session = store.updateSession(store.createSession(newSession({ format })).id, {
      status: 'done',
      duration: 12400,
      finished_at: new Date().toISOString(),
    });
    store.appendEvents(session.id, EVERY_KIND, 0);
    const exported = exportSessionJson(store, session.id);
    const { id, title, source, status, settings, created_at, finished_at, duration } = session;
    expect(JSON.stringify(exported.session)).toBe(
      JSON.stringify({ id, title, source, status, format, source_format: null, settings, created_at, finished_at, duration }),
    );
    const toMs = (seconds: number) => Math.round(seconds * 1000) / 1000;
    const rounded = EVERY_KIND.map((event) =>
      Object.fromEntries(Object.entries(event).map(([key, value]) => [key, ['time', 'start_time', 'end_time'].includes(key) ? toMs(value as number) : value])),
    );
    expect(JSON.stringify(exported.events)).toBe(JSON.stringify(rounded));
    const summary = store.summary(session.id);
    expect(exported.summary).toEqual({ ...summary, speech_time: toMs(summary.speech_time) });
    expect(Object.keys(exported)).toEqual(['session', 'events', 'summary']);
    expect(JSON.parse(JSON.stringify(exported))).toEqual(exported);
    expect(() => exportSessionJson(store, 'nope')).toThrow('no session with id nope');
  });

  it('exports final segments as an Audacity label track', () => {
    const store = openStore();
    const segmented = store.createSession(newSession());
    store.appendEvents(segmented.id, EVERY_KIND, 0);
    // Channels numbered as in the UI, times to the millisecond, a failure with times marked.
    expect(exportSessionLabels(store, segmented.id)).toBe(
      '2.016\t4.224\tchannel 1: count 35328\n' +
        '2.100\t3.250\tchannel 2: FAILED: Internal server error\n' +
        '0.000\t1.000\tchannel 1: count 16000\n' +
        '0.333\t12345.679\tchannel 2: count 1099511627776\n',
    );

    const simple = store.createSession(newSession({ settings: SIMPLE }));
    store.appendEvents(
      simple.id,
      [
        { channel: 0, type: 'segment', start_time: 0, end_time: 1, count: 16000 },
        { channel: 0, type: 'segment', start_time: 1, end_time: 2, count: 16000 },
      ],
      0,
    );
    expect(exportSessionLabels(store, simple.id).split('\n')).toEqual(['0.000\t1.000\tchannel 1: count 16000', '1.000\t2.000\tchannel 1: count 16000', '']);
    expect(exportSessionLabels(store, store.createSession(newSession()).id)).toBe('');
  });
});

describe('data folder', () => {
  it("is the platform's per-user data folder", () => {
    expect(defaultDataDir('linux', { XDG_DATA_HOME: '/data/me' }, '/home/me')).toBe('/data/me/utterly');
    expect(defaultDataDir('linux', {}, '/home/me')).toBe('/home/me/.local/share/utterly');
    expect(defaultDataDir('linux', { XDG_DATA_HOME: 'relative/path' }, '/home/me')).toBe('/home/me/.local/share/utterly');
    expect(defaultDataDir('darwin', {}, '/Users/me')).toBe('/Users/me/Library/Application Support/Utterly');
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, 'C:\\Users\\me')).toBe('C:\\Users\\me\\AppData\\Roaming\\Utterly');
    expect(defaultDataDir('win32', {}, 'C:\\Users\\me')).toBe('C:\\Users\\me\\AppData\\Roaming\\Utterly');
  });

  it('is prepared with its audio folder', () => {
    const root = join(dir, 'nested', 'data');
    const prepared = prepareDataDir(root);
    expect(prepared).toEqual({ dbPath: join(root, 'utterly.db'), audioDir: join(root, 'audio') });
    expect(existsSync(prepared.audioDir)).toBe(true);
    expect(prepareDataDir(root)).toEqual(prepared);
  });
});

describe('Electron build of better-sqlite3', () => {
  const script = fileURLToPath(new URL('../../scripts/build-electron-sqlite.mjs', import.meta.url));
  const skipLine = 'utterly: no Electron binary here; skipping the Electron build of better-sqlite3 (npm test does not need it)\n';

  it('is skipped, in one line, where the Electron binary is missing', () => {
    const electron = join(dir, 'node_modules', 'electron');
    mkdirSync(electron, { recursive: true });
    writeFileSync(join(electron, 'package.json'), JSON.stringify({ name: 'electron', version: '39.8.10' }));
    // No path.txt: the download was skipped.
    expect(execFileSync(process.execPath, [script, dir], { encoding: 'utf8' })).toBe(skipLine);
    // path.txt naming a binary that is not there.
    writeFileSync(join(electron, 'path.txt'), 'electron');
    expect(execFileSync(process.execPath, [script, dir], { encoding: 'utf8' })).toBe(skipLine);
    expect(existsSync(join(dir, 'node_modules', '.utterly'))).toBe(false);
  });
});
