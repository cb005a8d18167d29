// Sessions and their events in SQLite. Every statement is prepared once, here.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { ApiResponse, AudioFormat } from '../../shared/api';
import type { Session, SessionSettings, SourceFormat, SessionSource, SessionStatus, SessionSummary } from '../../shared/sessions';
import { cleanText, cleanTitle } from './clean-text';
import { SessionNotFoundError } from './storage-errors';
import type { Database } from './database';
import { EVENT_COLUMNS, eventFromRow, eventToRow, type EventRow } from './event-rows';
import { searchNeedleOf, searchTextOf } from '../../shared/search';

export interface NewSession {
  title: string;
  source: SessionSource;
  original_name?: string | null;
  format?: AudioFormat | null;
  source_format?: SourceFormat | null;
  settings: SessionSettings;
  status: SessionStatus;
  audio_path?: string | null;
  rerun_of?: string | null;
}

export type SessionPatch = Partial<
  Pick<Session, 'status' | 'finished_at' | 'duration' | 'error' | 'audio_path' | 'format' | 'source_format' | 'title' | 'original_name' | 'rerun_of'>
>;

export interface ListSessionsOptions {
  /** Default 50. */
  limit?: number;
  offset?: number;
  /** Matches title or original name, case-insensitive, as a literal substring. */
  query?: string;
}

/** A row of eventPage: the event's seq, then its EventRow. */
export type EventPageRow = [seq: number, ...EventRow];

/** How sessions are stored: as Session, with format, source_format and settings as JSON text. */
interface SessionRow extends Omit<Session, 'format' | 'source_format' | 'settings'> {
  format: string | null;
  source_format: string | null;
  settings: string;
}

// In the key order of Session, so rows become Sessions with the same order.
const SESSION_COLUMNS =
  'id, title, source, original_name, format, source_format, settings, status, created_at, finished_at, duration, audio_path, error, rerun_of';

// Newest first; rowid (insertion order) breaks ties between sessions created in the same millisecond.
const NEWEST_FIRST = 'ORDER BY created_at DESC, rowid DESC';

const UNFINISHED = "('recording', 'processing')";

function sessionFromRow(row: SessionRow): Session {
  return {
    ...row,
    // Rows written before titles were cleaned are cleaned as they are read.
    title: cleanTitle(row.title),
    original_name: row.original_name === null ? null : cleanText(row.original_name),
    format: row.format === null ? null : (JSON.parse(row.format) as AudioFormat),
    source_format: row.source_format === null ? null : (JSON.parse(row.source_format) as SourceFormat),
    settings: JSON.parse(row.settings) as SessionSettings,
  };
}

export class SessionStore {
  private readonly insertSession: BetterSqlite3.Statement<unknown[], SessionRow>;
  private readonly selectSession: BetterSqlite3.Statement<[string], SessionRow>;
  private readonly updateSessionRow: BetterSqlite3.Statement<unknown[]>;
  private readonly deleteSessionRow: BetterSqlite3.Statement<[string], SessionRow>;
  private readonly interruptUnfinished: BetterSqlite3.Statement<[string], SessionRow>;
  private readonly listAll: BetterSqlite3.Statement<[number, number], SessionRow>;
  private readonly countAll: BetterSqlite3.Statement<[], number>;
  private readonly listMatching: BetterSqlite3.Statement<[string, number, number], SessionRow>;
  private readonly countMatching: BetterSqlite3.Statement<[string], number>;
  private readonly insertEvent: BetterSqlite3.Statement<unknown[]>;
  private readonly selectEvents: BetterSqlite3.Statement<[string, number, number], EventRow>;
  private readonly selectEventPage: BetterSqlite3.Statement<[string, number, number, number], EventPageRow>;
  private readonly countSessionEvents: BetterSqlite3.Statement<[string], number>;
  private readonly selectNextSeq: BetterSqlite3.Statement<[string], number>;
  private readonly selectSummary: BetterSqlite3.Statement<[string], SessionSummary>;
  private readonly insertEventBatch: (id: string, events: readonly ApiResponse[], firstSeq: number) => void;

  constructor(private readonly db: Database) {
    this.insertSession = db.prepare(`
      INSERT INTO sessions (id, title, source, original_name, format, source_format, settings, status, created_at, audio_path, rerun_of, search_text)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      RETURNING ${SESSION_COLUMNS}`);
    this.selectSession = db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`);
    this.updateSessionRow = db.prepare(`
      UPDATE sessions
      SET title = ?, original_name = ?, status = ?, finished_at = ?, duration = ?, error = ?, audio_path = ?, format = ?,
          source_format = ?, rerun_of = ?, search_text = ?
      WHERE id = ?`);
    this.deleteSessionRow = db.prepare(`DELETE FROM sessions WHERE id = ? RETURNING ${SESSION_COLUMNS}`);
    this.interruptUnfinished = db.prepare(`
      UPDATE sessions SET status = 'interrupted', finished_at = ?
      WHERE status IN ${UNFINISHED}
      RETURNING ${SESSION_COLUMNS}`);
    this.listAll = db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions ${NEWEST_FIRST} LIMIT ? OFFSET ?`);
    this.countAll = db.prepare<[], number>('SELECT count(*) FROM sessions').pluck();
    this.listMatching = db.prepare(`
      SELECT ${SESSION_COLUMNS} FROM sessions WHERE instr(search_text, ?) > 0 ${NEWEST_FIRST} LIMIT ? OFFSET ?`);
    this.countMatching = db.prepare<[string], number>('SELECT count(*) FROM sessions WHERE instr(search_text, ?) > 0').pluck();
    this.insertEvent = db.prepare(`INSERT INTO events (session_id, seq, ${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.selectEvents = db
      .prepare<[string, number, number], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = ? ORDER BY seq LIMIT ? OFFSET ?`)
      .raw();
    // By key, not by offset: each page starts where the last ended, so reading a long session
    // page by page costs the same per page at its end as at its start.
    this.selectEventPage = db
      .prepare<[string, number, number, number], EventPageRow>(
        `SELECT seq, ${EVENT_COLUMNS} FROM events WHERE session_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
      )
      .raw();
    this.countSessionEvents = db.prepare<[string], number>('SELECT count(*) FROM events WHERE session_id = ?').pluck();
    this.selectNextSeq = db.prepare<[string], number>('SELECT coalesce(max(seq) + 1, 0) FROM events WHERE session_id = ?').pluck();
    // Final segments, or all segments in simple mode, where is_final is absent.
    this.selectSummary = db.prepare(`
      SELECT
        coalesce(sum(type = 'segment' AND coalesce(is_final, 1) = 1), 0) AS segments,
        coalesce(sum(CASE WHEN type = 'segment' AND coalesce(is_final, 1) = 1 THEN end_time - start_time END), 0) AS speech_time,
        coalesce(sum(type = 'error'), 0) AS errors
      FROM events WHERE session_id = ?`);
    this.insertEventBatch = db.transaction((id: string, events: readonly ApiResponse[], firstSeq: number) => {
      events.forEach((event, index) => this.insertEvent.run(id, firstSeq + index, ...eventToRow(event)));
    });
  }

  /** Titles and file names are stored cleaned (clean-text.ts): one line, well-formed Unicode. */
  createSession(input: NewSession): Session {
    const title = cleanTitle(input.title);
    const originalName = input.original_name == null ? null : cleanText(input.original_name);
    const row = this.insertSession.get(
      randomUUID(),
      title,
      input.source,
      originalName,
      input.format ? JSON.stringify(input.format) : null,
      input.source_format ? JSON.stringify(input.source_format) : null,
      JSON.stringify(input.settings),
      input.status,
      new Date().toISOString(),
      input.audio_path ?? null,
      input.rerun_of ?? null,
      searchTextOf(title, originalName),
    );
    return sessionFromRow(row!);
  }

  getSession(id: string): Session | undefined {
    const row = this.selectSession.get(id);
    return row && sessionFromRow(row);
  }

  /** Fields left out of `patch` (or undefined) keep their value; null clears a field. */
  updateSession(id: string, patch: SessionPatch): Session {
    const current = this.getSession(id);
    if (!current) throw new SessionNotFoundError(id);
    const next = (key: keyof SessionPatch) => (patch[key] === undefined ? current[key] : patch[key]);
    const title = cleanTitle(next('title') as string);
    const rawName = next('original_name') as string | null;
    const originalName = rawName === null ? null : cleanText(rawName);
    const format = next('format') as AudioFormat | null;
    const sourceFormat = next('source_format') as SourceFormat | null;
    this.updateSessionRow.run(
      title,
      originalName,
      next('status'),
      next('finished_at'),
      next('duration'),
      next('error'),
      next('audio_path'),
      format ? JSON.stringify(format) : null,
      sourceFormat ? JSON.stringify(sourceFormat) : null,
      next('rerun_of'),
      searchTextOf(title, originalName),
      id,
    );
    return this.getSession(id)!;
  }

  /** Deletes the session and its events, and returns it so the caller can delete its audio file. */
  deleteSession(id: string): Session | undefined {
    const row = this.deleteSessionRow.get(id);
    return row && sessionFromRow(row);
  }

  listSessions({ limit = 50, offset = 0, query }: ListSessionsOptions = {}): { sessions: Session[]; total: number } {
    const needle = searchNeedleOf(query);
    const rows = needle === undefined ? this.listAll.all(limit, offset) : this.listMatching.all(needle, limit, offset);
    const total = needle === undefined ? this.countAll.get()! : this.countMatching.get(needle)!;
    return { sessions: rows.map(sessionFromRow), total };
  }

  /** Sessions left recording or processing by a previous run that ended without finishing them. */
  markUnfinishedAsInterrupted(): Session[] {
    return this.interruptUnfinished.all(new Date().toISOString()).map(sessionFromRow);
  }

  /** Appends events with seq firstSeq, firstSeq + 1, ... in one transaction. */
  appendEvents(id: string, events: readonly ApiResponse[], firstSeq: number): void {
    if (events.length > 0) this.insertEventBatch(id, events, firstSeq);
  }

  /** Events in order; by default all of them. */
  getEvents(id: string, { offset = 0, limit = -1 }: { offset?: number; limit?: number } = {}): ApiResponse[] {
    return this.selectEvents.all(id, limit, offset).map(eventFromRow);
  }

  /**
   * All events in order, read as they are consumed. The connection is busy until the iteration
   * ends: finish it (or call return()) before any other use of this store, and do not hold it
   * open across an await, where an EventWriter's timer could flush.
   */
  *iterateEvents(id: string): Generator<ApiResponse, void, undefined> {
    for (const row of this.selectEvents.iterate(id, -1, 0)) yield eventFromRow(row);
  }

  /**
   * Up to `limit` rows of events with afterSeq < seq <= lastSeq, in order, each row its seq
   * then the columns of EventRow (eventFromRow(row.slice(1)) is the event). For reading a long
   * session a page at a time, with the event loop free between pages.
   */
  eventPage(id: string, afterSeq: number, lastSeq: number, limit: number): EventPageRow[] {
    return this.selectEventPage.all(id, afterSeq, lastSeq, limit);
  }

  /** Runs `read` in one read transaction: what it reads is one consistent state of the database. */
  readConsistently<T>(read: () => T): T {
    return this.db.transaction(read)();
  }

  countEvents(id: string): number {
    return this.countSessionEvents.get(id)!;
  }

  /** The seq the next event of this session gets: one past the last, 0 when there is none. */
  nextEventSeq(id: string): number {
    return this.selectNextSeq.get(id)!;
  }

  summary(id: string): SessionSummary {
    return this.selectSummary.get(id)!;
  }

  close(): void {
    this.db.close();
  }
}
