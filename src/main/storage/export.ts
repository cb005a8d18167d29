// A session's exports: the JSON object of src/shared/sessions.ts and an Audacity label track.
// Both exist as a stream of text pieces (exportSessionPieces), which is how a long session must
// be exported: its events are read a page at a time and the event loop runs between slices of
// work, so that a million events cost neither a second of a blocked server nor a gigabyte of
// memory. The one-piece functions are for small sessions and tests.
import type { ApiResponse } from '../../shared/api';
import type { Session, SessionExport, SessionSummary } from '../../shared/sessions';
import { eventFromRow, type EventRow } from './event-rows';
import type { EventPageRow, SessionStore } from './session-store';
import { SessionNotFoundError } from './storage-errors';

export { EXPORT_FORMATS, type ExportFormat } from '../../shared/sessions';
import type { ExportFormat } from '../../shared/sessions';

/** Times are written to the millisecond: the model works at 16 kHz, but nobody reads 1/16000 s. */
const ms = (seconds: number) => Math.round(seconds * 1000) / 1000;

export function exportSessionJson(store: SessionStore, id: string): SessionExport {
  const session = store.getSession(id);
  if (!session) throw new SessionNotFoundError(id);
  const summary = store.summary(id);
  return {
    session: exportedSession(session),
    events: store.getEvents(id).map(roundedEvent),
    summary: { ...summary, speech_time: ms(summary.speech_time) },
  };
}

function roundedEvent(event: ApiResponse): ApiResponse {
  if (event.type === 'active' || event.type === 'inactive') return { ...event, time: ms(event.time) };
  if ('start_time' in event && typeof event.start_time === 'number' && typeof event.end_time === 'number')
    return { ...event, start_time: ms(event.start_time), end_time: ms(event.end_time) };
  return event;
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
  if (!store.getSession(id)) throw new SessionNotFoundError(id);
  const lines: string[] = [];
  for (const event of store.iterateEvents(id)) {
    const cue = cueOf(event);
    if (cue) lines.push(labelLine(cue));
  }
  return lines.join('');
}

/**
 * What the timed text exports (labels, SRT, WebVTT) show: each final segment (every segment in
 * simple mode) with the model's output as text, and each failure with its times (an error event
 * with start_time and end_time), marked as one. Channels are numbered from 1, as in the UI.
 */
interface Cue {
  start: number;
  end: number;
  channel: number;
  text: string;
  failed: boolean;
}

function cueOf(event: ApiResponse): Cue | undefined {
  if (event.type === 'segment' && event.is_final !== false) {
    const { channel, type: _type, start_time, end_time, is_final: _final, ...output } = event;
    const text = Object.entries(output)
      .map(([key, value]) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(', ');
    return { start: start_time, end: end_time, channel, text, failed: false };
  }
  if (event.type === 'error' && typeof event.start_time === 'number' && typeof event.end_time === 'number') {
    return { start: event.start_time, end: event.end_time, channel: event.channel, text: event.message, failed: true };
  }
  return undefined;
}

/** A cue's one line of text: the channel (as the UI numbers it), then the output or the failure. */
const cueText = (cue: Cue, channelPrefix: boolean) =>
  `${channelPrefix ? `ch ${cue.channel + 1}: ` : ''}${cue.failed ? `FAILED: ${cue.text}` : cue.text}`.replace(/[\t\r\n]+/g, ' ');

/** h:mm:ss,mmm (SRT) or hh:mm:ss.mmm (WebVTT). */
function timestamp(seconds: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  const milli = total % 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}${separator}${String(milli).padStart(3, '0')}`;
}

function srtCue(index: number, cue: Cue, channelPrefix: boolean): string {
  return `${index}\n${timestamp(cue.start, ',')} --> ${timestamp(cue.end, ',')}\n${cueText(cue, channelPrefix)}\n\n`;
}

function vttCue(cue: Cue, channelPrefix: boolean): string {
  // "-->" may not appear in a cue's text; "&" and "<" would be markup.
  const text = cueText(cue, channelPrefix).replace(/-->/g, '->').replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `${timestamp(cue.start, '.')} --> ${timestamp(cue.end, '.')}\n${text}\n\n`;
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
  if (!start) throw new SessionNotFoundError(id);

  const summary = new SummaryBuilder();
  // One lane needs no channel in its cues; several do, numbered as the UI numbers them.
  const channelPrefix = (start.session.format?.channels ?? 2) > 1;
  let cues = 0;
  let pending =
    format === 'json'
      ? `{\n  "session": ${indent(JSON.stringify(exportedSession(start.session), null, 2), 1)},\n  "events": [`
      : format === 'vtt'
        ? `WEBVTT\n\n`
        : '';
  let anyEvent = false;
  let sliceStarted = performance.now();
  for (let after = -1; after < start.lastSeq;) {
    const rows = store.eventPage(id, after, start.lastSeq, pageSize);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]![0];
    for (const row of rows) {
      if (format === 'json') {
        summary.add(row);
        pending += (anyEvent ? ',\n    ' : '\n    ') + prettyEvent(row);
        anyEvent = true;
      } else if (isFinalSegment(row) || (row[2] === 'error' && row[3] !== null && row[4] !== null)) {
        const cue = cueOf(eventFromRow(row.slice(1) as EventRow));
        if (!cue) continue;
        if (format === 'labels') pending += labelLine(cue);
        else if (format === 'srt') pending += srtCue(++cues, cue, channelPrefix);
        else pending += vttCue(cue, channelPrefix);
      }
    }
    if (performance.now() - sliceStarted >= sliceMs) {
      if (pending) yield pending;
      pending = '';
      await new Promise((resolve) => setImmediate(resolve));
      sliceStarted = performance.now();
    }
  }
  if (!store.getSession(id)) throw new SessionNotFoundError(id, `session ${id} was deleted while it was being exported`);
  if (format === 'json') pending += `${anyEvent ? '\n  ]' : ']'},\n  "summary": ${indent(JSON.stringify(summary.result(), null, 2), 1)}\n}\n`;
  if (pending) yield pending;
}

function exportedSession(session: Session): SessionExport['session'] {
  const { id, title, source, status, format, source_format, settings, created_at, finished_at, duration } = session;
  return { id, title, source, status, format, source_format, settings, created_at, finished_at, duration };
}

/** Pretty-printed JSON placed `depth` levels (of two spaces) deep. */
const indent = (json: string, depth: number) => json.replace(/\n/g, depth === 1 ? '\n  ' : '\n' + '  '.repeat(depth));

/** Final segments, or segments without is_final (simple mode), as SessionStore.summary counts them. */
function isFinalSegment(row: EventPageRow): boolean {
  return row[2] === 'segment' && row[6] !== 0;
}

/** A time as JSON.stringify writes it, to the millisecond. */
const jsonNumber = (value: number) => (Number.isFinite(value) ? String(ms(value)) : 'null');

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
    case 'error': {
      const bounds = start === null || end === null ? '' : `,\n      "start_time": ${jsonNumber(start!)},\n      "end_time": ${jsonNumber(end!)}`;
      return `${head},\n      "message": ${JSON.stringify(message)}${bounds}\n    }`;
    }
    case 'segment':
    case 'data': {
      const fields = flatFields(output!);
      if (fields === undefined) return indent(JSON.stringify(roundedEvent(eventFromRow(row.slice(1) as EventRow)), null, 2), 2);
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

/** An Audacity label: seconds to the millisecond, the channel numbered from 1 as in the UI. */
function labelLine(cue: Cue): string {
  return `${ms(cue.start).toFixed(3)}\t${ms(cue.end).toFixed(3)}\t${`channel ${cue.channel + 1}: ${cue.failed ? `FAILED: ${cue.text}` : cue.text}`.replace(/[\t\r\n]+/g, ' ')}\n`;
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
    return { segments: this.segments, speech_time: ms(speech), errors: this.errors };
  }
}
