// A session's exports: the JSON object of src/shared/sessions.ts and an Audacity label track.
// Both exist as a stream of text pieces (exportSessionPieces), which is how a long session must
// be exported: its events are read a page at a time and the event loop runs between slices of
// work, so that a million events cost neither a second of a blocked server nor a gigabyte of
// memory. The one-piece functions are for small sessions and tests.
import type { ApiResponse } from '../../shared/api';
import type { Session, SessionExport, SessionSummary } from '../../shared/sessions';
import { eventFromRow, type EventRow } from './event-rows';
import type { EventPageRow, SessionStore } from './session-store';

export type ExportFormat = 'json' | 'labels';

export function exportSessionJson(store: SessionStore, id: string): SessionExport {
  const session = store.getSession(id);
  if (!session) throw new Error(`No session ${id}`);
  return {
    session: exportedSession(session),
    events: store.getEvents(id),
    summary: store.summary(id),
  };
}

/**
 * An Audacity label track (File > Import > Labels): one line per final segment (every segment
 * in simple mode, which has no interim ones), `start<TAB>end<TAB>label`, seconds with 6
 * decimals. The label names the channel and then the model's output as `key value` pairs, e.g.
 * `channel 0: count 35328`, so that on a multi-channel session one can tell the lanes apart and
 * read the result without opening the JSON. Tabs and line breaks inside values become spaces:
 * they would end the label.
 */
export function exportSessionLabels(store: SessionStore, id: string): string {
  if (!store.getSession(id)) throw new Error(`No session ${id}`);
  const lines: string[] = [];
  for (const event of store.iterateEvents(id)) {
    if (event.type !== 'segment' || event.is_final === false) continue;
    lines.push(labelLine(event));
  }
  return lines.join('');
}

export interface ExportStreamOptions {
  /** Events read per query. Default 250. */
  pageSize?: number;
  /** How long the export works before it lets the event loop run. Default 10 ms. */
  sliceMs?: number;
}

/**
 * The export as text pieces, read as they are consumed: the same text as
 * `JSON.stringify(exportSessionJson(...), null, 2)` followed by a line break, or as
 * exportSessionLabels. The events are those stored when the export starts (a live session's
 * later ones are left out, and the summary counts the same ones). Between slices of at most
 * about `sliceMs` of work the generator waits for the event loop to turn (setImmediate), so a
 * consumer that writes each piece as it comes keeps the process responsive; what is held at any
 * time is one piece. Throws if the session is missing when the export starts, or deleted before
 * it ends (what was given out so far is then not a whole export).
 */
export async function* exportSessionPieces(
  store: SessionStore,
  id: string,
  format: ExportFormat,
  options: ExportStreamOptions = {},
): AsyncGenerator<string, void, undefined> {
  const pageSize = options.pageSize ?? 250;
  const sliceMs = options.sliceMs ?? 10;
  // The session and the last event's seq as of one moment: events are only ever appended.
  const start = store.readConsistently(() => {
    const session = store.getSession(id);
    return session && { session, lastSeq: store.nextEventSeq(id) - 1 };
  });
  if (!start) throw new Error(`No session ${id}`);

  const summary = new SummaryBuilder();
  let pending = format === 'json' ? `{\n  "session": ${indent(JSON.stringify(exportedSession(start.session), null, 2), 1)},\n  "events": [` : '';
  let anyEvent = false;
  let sliceStarted = performance.now();
  for (let after = -1; after < start.lastSeq; ) {
    const rows = store.eventPage(id, after, start.lastSeq, pageSize);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]![0];
    for (const row of rows) {
      if (format === 'json') {
        summary.add(row);
        pending += (anyEvent ? ',\n    ' : '\n    ') + prettyEvent(row);
        anyEvent = true;
      } else if (isFinalSegment(row)) {
        pending += labelLine(eventFromRow(row.slice(1) as EventRow) as Extract<ApiResponse, { type: 'segment' }>);
      }
    }
    if (performance.now() - sliceStarted >= sliceMs) {
      if (pending) yield pending;
      pending = '';
      await new Promise((resolve) => setImmediate(resolve));
      sliceStarted = performance.now();
    }
  }
  if (!store.getSession(id)) throw new Error(`Session ${id} was deleted while it was being exported`);
  if (format === 'json') pending += `${anyEvent ? '\n  ]' : ']'},\n  "summary": ${indent(JSON.stringify(summary.result(), null, 2), 1)}\n}\n`;
  if (pending) yield pending;
}

function exportedSession(session: Session): SessionExport['session'] {
  const { id, title, source, status, format, settings, created_at, finished_at, duration } = session;
  return { id, title, source, status, format, settings, created_at, finished_at, duration };
}

/** Pretty-printed JSON placed `depth` levels (of two spaces) deep. */
const indent = (json: string, depth: number) => json.replace(/\n/g, depth === 1 ? '\n  ' : '\n' + '  '.repeat(depth));

/** Final segments, or segments without is_final (simple mode), as SessionStore.summary counts them. */
function isFinalSegment(row: EventPageRow): boolean {
  return row[2] === 'segment' && row[6] !== 0;
}

/** A number as JSON.stringify writes it. */
const jsonNumber = (value: number) => (Number.isFinite(value) ? String(value) : 'null');

// Keys the fast path below cannot place as eventFromRow's Object.assign does: the event's own
// (assigned in place), __proto__ (a setter), and integer-like keys (which an object lists first).
const EVENT_KEYS = new Set(['channel', 'type', 'start_time', 'end_time', 'is_final', 'time', 'message', '__proto__']);
const INDEX_KEY = /^\d+$/;

/**
 * The event of a row as JSON.stringify(eventFromRow(row), null, 2) writes it, placed as an
 * element of the export's events array: the same text, built from the columns without the
 * detour through a pretty-printed object, which was most of an export's time. Model outputs
 * other than flat objects of plain values take that detour.
 */
function prettyEvent(row: EventPageRow): string {
  const [, channel, type, start, end, time, isFinal, output, message] = row;
  const head = `{\n      "channel": ${channel},\n      "type": "${type}"`;
  switch (type) {
    case 'active':
    case 'inactive':
      return `${head},\n      "time": ${jsonNumber(time!)}\n    }`;
    case 'error':
      return `${head},\n      "message": ${JSON.stringify(message)}\n    }`;
    case 'segment':
    case 'data': {
      const fields = flatFields(output!);
      if (fields === undefined) return indent(JSON.stringify(eventFromRow(row.slice(1) as EventRow), null, 2), 2);
      const bounds = type === 'segment' ? `,\n      "start_time": ${jsonNumber(start!)},\n      "end_time": ${jsonNumber(end!)}` : '';
      const final = isFinal === null ? '' : `,\n      "is_final": ${isFinal === 1}`;
      return `${head}${bounds}${final}${fields}\n    }`;
    }
  }
}

/** A model output's fields, each on its own line, when it is a flat object of plain values; undefined otherwise. */
function flatFields(output: string): string | undefined {
  const parsed = JSON.parse(output) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  let text = '';
  for (const key in parsed) {
    const value = (parsed as Record<string, unknown>)[key];
    if (EVENT_KEYS.has(key) || INDEX_KEY.test(key) || (typeof value === 'object' && value !== null)) return undefined;
    text += `,\n      ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  }
  return text;
}

function labelLine(event: Extract<ApiResponse, { type: 'segment' }>): string {
  return `${event.start_time.toFixed(6)}\t${event.end_time.toFixed(6)}\t${labelOf(event)}\n`;
}

function labelOf(segment: Extract<ApiResponse, { type: 'segment' }>): string {
  const { channel, type: _type, start_time: _start, end_time: _end, is_final: _final, ...output } = segment;
  const fields = Object.entries(output).map(([key, value]) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `channel ${channel}: ${fields.join(', ')}`.replace(/[\t\r\n]+/g, ' ');
}

/**
 * SessionStore.summary computed while the events go by, to the bit: SQLite's sum() of REAL
 * values is Kahan-Babuska-Neumaier summation in row order (func.c, since 3.43), done the same
 * way here, so an export's summary equals the one the database gives.
 */
class SummaryBuilder {
  private segments = 0;
  private errors = 0;
  private speechSum = 0;
  private speechErr = 0;

  add(row: EventPageRow): void {
    if (row[2] === 'error') this.errors++;
    else if (isFinalSegment(row)) {
      this.segments++;
      const r = row[4]! - row[3]!;
      const s = this.speechSum;
      const t = s + r;
      this.speechErr += Math.abs(s) > Math.abs(r) ? s - t + r : r - t + s;
      this.speechSum = t;
    }
  }

  result(): SessionSummary {
    const speech = this.segments === 0 ? 0 : Number.isFinite(this.speechErr) ? this.speechSum + this.speechErr : this.speechSum;
    return { segments: this.segments, speech_time: speech, errors: this.errors };
  }
}
