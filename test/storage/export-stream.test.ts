// The streaming export (exportSessionPieces) on real SQLite files: the same text as the
// one-piece export for every kind of event and model output, the summary to the bit, a
// consistent snapshot of a session still being written, and a long session exported in slices
// that leave the event loop free, with bounded memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import { openDatabase } from '../../src/main/storage/database';
import { exportSessionJson, exportSessionLabels, exportSessionPieces, type ExportFormat } from '../../src/main/storage/export';
import { SessionStore } from '../../src/main/storage/session-store';
import { seededRandom } from '../support/helpers';

let dir: string;
let store: SessionStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'utterly-export-stream-'));
  store = new SessionStore(openDatabase(join(dir, 'utterly.db')));
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const newSession = (interim = true) =>
  store.createSession({
    title: 'Export',
    source: 'mic',
    settings: { mode: 'segmented', interim_results: interim },
    status: 'done',
    format: { channels: 2, sample_rate: 48000, bit_depth: 32, is_float: true },
  });

async function collect(id: string, format: ExportFormat, options?: { pageSize?: number; sliceMs?: number }): Promise<string> {
  let text = '';
  for await (const piece of exportSessionPieces(store, id, format, options)) text += piece;
  return text;
}

// A full garbage collection on demand, to see what the export holds rather than what it left behind.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const oneShot = (id: string) => JSON.stringify(exportSessionJson(store, id), null, 2) + '\n';

/** Every kind of event, and model outputs the fast path must hand over to JSON.stringify. */
const AWKWARD: ApiResponse[] = [
  { channel: 0, type: 'active', time: 2.016 },
  { channel: 0, type: 'segment', start_time: 2.016, end_time: 2.5, is_final: false, count: 7744 },
  { channel: 1, type: 'error', message: 'quotes " and \\ and a\nline break, \u2028 and 😀' },
  { channel: 0, type: 'inactive', time: 1e-7 },
  { channel: 0, type: 'segment', start_time: 1 / 3, end_time: 12345.678901234, is_final: true, count: 2 ** 40 },
  { channel: 0, type: 'segment', start_time: 0, end_time: 1, count: 16000 },
  { channel: 2, type: 'data', count: 0 },
  {
    channel: 0,
    type: 'segment',
    start_time: 1,
    end_time: 2,
    is_final: true,
    text: 'hello "world"',
    words: ['a', 'b'],
    meta: { nested: { deep: [1, { x: null }] } },
  } as unknown as ApiResponse,
  { channel: 0, type: 'data', '2': 'index key', b: true, '1': null } as unknown as ApiResponse,
  { channel: 0, type: 'segment', start_time: 3, end_time: 4, is_final: true, empty: {}, list: [] } as unknown as ApiResponse,
  { channel: 1, type: 'data' } as unknown as ApiResponse,
  { channel: 1, type: 'segment', start_time: 5, end_time: 6, is_final: true, '\u00e9t\u00e9': 'caf\u00e9', 'key with "quotes"': -0 } as unknown as ApiResponse,
];

describe('streaming export', () => {
  it('gives the one-piece export text, key order and summary included, for every kind of event', async () => {
    const { id } = newSession();
    store.appendEvents(id, AWKWARD, 0);
    for (const pageSize of [1, 3, 250]) {
      expect(await collect(id, 'json', { pageSize, sliceMs: 0 })).toBe(oneShot(id));
      expect(await collect(id, 'labels', { pageSize, sliceMs: 0 })).toBe(exportSessionLabels(store, id));
    }
    const empty = newSession();
    expect(await collect(empty.id, 'json')).toBe(oneShot(empty.id));
    expect(await collect(empty.id, 'labels')).toBe('');
  });

  it('matches the one-piece export for random model outputs and times (property)', async () => {
    const value = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null));
    const output = fc.dictionary(
      fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('channel', 'type', '7', '__proto__', 'time')),
      fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 3 }), value, { maxKeys: 2 })),
      { maxKeys: 4 },
    );
    const time = fc.double({ min: 0, max: 1e6, noNaN: true });
    const event = fc.oneof(
      fc.record({
        channel: fc.nat(8),
        type: fc.constant('segment' as const),
        start_time: time,
        end_time: time,
        is_final: fc.option(fc.boolean(), { nil: undefined }),
        output,
      }),
      fc.record({ channel: fc.nat(8), type: fc.constant('data' as const), output }),
      fc.record({ channel: fc.nat(8), type: fc.constantFrom('active' as const, 'inactive' as const), time }),
      fc.record({ channel: fc.nat(8), type: fc.constant('error' as const), message: fc.string() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 30 }), async (generated) => {
        const events = generated.map((e) => {
          const { output: out, ...rest } = e as { output?: Record<string, unknown>; type: string };
          const event = { ...rest } as Record<string, unknown>;
          if (event['is_final'] === undefined) delete event['is_final'];
          // The model's output after the event's own fields, as a runner merges them; the keys
          // the event row keeps in columns cannot come from the output.
          const own = rest.type === 'segment' ? ['channel', 'type', 'start_time', 'end_time', 'is_final'] : ['channel', 'type'];
          for (const [key, value] of Object.entries(out ?? {})) {
            if (!own.includes(key)) Object.defineProperty(event, key, { value, enumerable: true, writable: true, configurable: true });
          }
          return event as unknown as ApiResponse;
        });
        const { id } = newSession();
        store.appendEvents(id, events, 0);
        expect(await collect(id, 'json', { pageSize: 7, sliceMs: 0 })).toBe(oneShot(id));
        expect(await collect(id, 'labels', { pageSize: 7, sliceMs: 0 })).toBe(exportSessionLabels(store, id));
      }),
      { numRuns: 150, seed: 9 },
    );
  });

  it('sums speech time as SQLite does, to the bit, then rounds it to 3 decimals', async () => {
    const random = seededRandom(42);
    const { id } = newSession();
    const events: ApiResponse[] = Array.from({ length: 5000 }, (_, i) => {
      const start = random() * 1e5;
      return { channel: i % 3, type: 'segment', start_time: start, end_time: start + random() * 10 ** (random() * 6 - 3), is_final: random() < 0.7, count: i };
    });
    store.appendEvents(id, events, 0);
    const streamed = JSON.parse(await collect(id, 'json'));
    const rounded = { ...store.summary(id), speech_time: Math.round(store.summary(id).speech_time * 1000) / 1000 };
    expect(Object.is(streamed.summary.speech_time, rounded.speech_time)).toBe(true);
    expect(streamed.summary).toEqual(rounded);
  });

  it('exports the events stored when it starts, and fails if the session is deleted meanwhile', async () => {
    const { id } = newSession();
    const event = (i: number): ApiResponse => ({ channel: 0, type: 'segment', start_time: i, end_time: i + 1, is_final: true, count: i });
    store.appendEvents(
      id,
      Array.from({ length: 100 }, (_, i) => event(i)),
      0,
    );
    const pieces = exportSessionPieces(store, id, 'json', { pageSize: 10, sliceMs: 0 });
    let text = (await pieces.next()).value as string;
    // Written while the export runs: not part of it.
    store.appendEvents(id, [event(100), event(101)], 100);
    for await (const piece of pieces) text += piece;
    const exported = JSON.parse(text);
    expect(exported.events).toHaveLength(100);
    expect(exported.summary.segments).toBe(100);

    const deleted = exportSessionPieces(store, id, 'labels', { pageSize: 10, sliceMs: 0 });
    await deleted.next();
    store.deleteSession(id);
    await expect(async () => {
      for await (const _ of deleted);
    }).rejects.toThrow(/deleted while it was being exported/);
    await expect(exportSessionPieces(store, id, 'json').next()).rejects.toThrow(`no session with id ${id}`);
  });

  it('exports 300,000 events in slices that leave the event loop free, holding one piece at a time', async () => {
    const { id } = newSession();
    const count = 300_000;
    for (let first = 0; first < count; first += 10_000) {
      store.appendEvents(
        id,
        Array.from({ length: 10_000 }, (_, k): ApiResponse => {
          const i = first + k;
          return i % 4 === 3
            ? { channel: i % 2, type: 'segment', start_time: i, end_time: i + 2.5, is_final: true, count: 40_000 }
            : { channel: i % 2, type: 'active', time: i };
        }),
        first,
      );
    }
    // A timer that should fire every 5 ms: how late it is, is how long the loop was held.
    let timerRuns = 0;
    const timer = setInterval(() => timerRuns++, 5);
    const sliceCpuMs: number[] = [];
    let longestPiece = 0;
    let bytes = 0;
    let events = 0;
    let tail = '';
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    let pieces = 0;
    const started = performance.now();
    let cpu = process.cpuUsage();
    for await (const piece of exportSessionPieces(store, id, 'json')) {
      const used = process.cpuUsage(cpu);
      sliceCpuMs.push((used.user + used.system) / 1000);
      longestPiece = Math.max(longestPiece, piece.length);
      bytes += piece.length;
      for (let at = piece.indexOf('"channel"'); at >= 0; at = piece.indexOf('"channel"', at + 1)) events++;
      tail = piece.slice(-200);
      if (++pieces % 10 === 0) {
        collectGarbage();
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
      // The consumer's own turn of the loop (a socket write, here the forced collections) is not the export's.
      await new Promise((resolve) => setImmediate(resolve));
      cpu = process.cpuUsage();
    }
    const wallMs = performance.now() - started;
    clearInterval(timer);

    expect(events).toBe(count);
    expect(tail).toMatch(/"summary": \{\n {4}"segments": 75000,\n {4}"speech_time": 187500,\n {4}"errors": 0\n {2}\}\n\}\n$/);
    // Slices of about 10 ms of work: CPU time, which a busy shared machine does not inflate as
    // it does wall time (the process's, so an upper bound of the event loop's own).
    sliceCpuMs.sort((a, b) => b - a);
    expect(sliceCpuMs[0]).toBeLessThan(50);
    expect(sliceCpuMs.length).toBeGreaterThan(10);
    // The loop turned all along: the timer ran about as often as the time allowed.
    expect(timerRuns).toBeGreaterThan(wallMs / 5 / 4);
    // One piece at a time: a few hundred kB, not the 29 MB of the whole.
    expect(longestPiece).toBeLessThan(2 * 2 ** 20);
    expect(bytes).toBeGreaterThan(25 * 2 ** 20);
    // What stays reachable mid-export: a page and a piece, a few MB at most.
    expect(pieces).toBeGreaterThan(20);
    expect(heapPeak - heapBefore).toBeLessThan(4 * 2 ** 20);
  });
});
