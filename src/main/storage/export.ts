// A session's exports: the JSON object of src/shared/sessions.ts and an Audacity label track.
import type { ApiResponse } from '../../shared/api';
import type { SessionExport } from '../../shared/sessions';
import type { SessionStore } from './session-store';

export function exportSessionJson(store: SessionStore, id: string): SessionExport {
  const session = store.getSession(id);
  if (!session) throw new Error(`No session ${id}`);
  const { title, source, status, format, settings, created_at, finished_at, duration } = session;
  return {
    session: { id, title, source, status, format, settings, created_at, finished_at, duration },
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
    lines.push(`${event.start_time.toFixed(6)}\t${event.end_time.toFixed(6)}\t${labelOf(event)}`);
  }
  return lines.map((line) => line + '\n').join('');
}

function labelOf(segment: Extract<ApiResponse, { type: 'segment' }>): string {
  const { channel, type: _type, start_time: _start, end_time: _end, is_final: _final, ...output } = segment;
  const fields = Object.entries(output).map(([key, value]) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `channel ${channel}: ${fields.join(', ')}`.replace(/[\t\r\n]+/g, ' ');
}
