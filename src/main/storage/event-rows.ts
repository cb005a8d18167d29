// ApiResponse <-> events row. Reading a row back must give the wire object exactly, key order
// included (exports and clients compare JSON text): channel, type, the event's own fields in
// the order of src/shared/api.ts, then the model output's fields in the order the model gave them.
import type { ApiResponse, ModelOutput } from '../../shared/api';

/** The columns after (session_id, seq), in the order of EVENT_COLUMNS. */
export type EventRow = [
  channel: number,
  type: ApiResponse['type'],
  start_time: number | null,
  end_time: number | null,
  time: number | null,
  is_final: 0 | 1 | null,
  output: string | null,
  message: string | null,
];

export const EVENT_COLUMNS = 'channel, type, start_time, end_time, time, is_final, output, message';

export function eventToRow(event: ApiResponse): EventRow {
  switch (event.type) {
    case 'segment': {
      const { channel, type, start_time, end_time, is_final, ...output } = event;
      const final = is_final === undefined ? null : is_final ? 1 : 0;
      return [channel, type, start_time, end_time, null, final, JSON.stringify(output), null];
    }
    case 'data': {
      const { channel, type, ...output } = event;
      return [channel, type, null, null, null, null, JSON.stringify(output), null];
    }
    case 'error':
      return [event.channel, event.type, event.start_time ?? null, event.end_time ?? null, null, null, null, event.message];
    case 'active':
    case 'inactive':
      return [event.channel, event.type, null, null, event.time, null, null, null];
  }
}

export function eventFromRow([channel, type, start_time, end_time, time, is_final, output, message]: EventRow): ApiResponse {
  switch (type) {
    case 'segment': {
      // Built up in place rather than by spreading: opening a long session converts
      // thousands of rows, and spreads made that several times slower.
      const segment: { channel: number; type: 'segment'; start_time: number; end_time: number; is_final?: boolean } = {
        channel,
        type,
        start_time: start_time!,
        end_time: end_time!,
      };
      if (is_final !== null) segment.is_final = is_final === 1;
      return Object.assign(segment, JSON.parse(output!) as ModelOutput);
    }
    case 'data':
      return Object.assign({ channel, type }, JSON.parse(output!) as ModelOutput);
    case 'error':
      // A failed model request's error says where its audio was; other errors do not.
      return start_time === null || end_time === null ? { channel, type, message: message! } : { channel, type, message: message!, start_time, end_time };
    case 'active':
    case 'inactive':
      return { channel, type, time: time! };
  }
}
