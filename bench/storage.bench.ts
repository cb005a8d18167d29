// Storage benchmarks on a temporary database: 10,000 sessions, one session of 10,000 events.
//   - listing the first page (50) with the total, newest first;
//   - searching the 10,000 titles and file names (a full scan);
//   - opening a session: getSession + getEvents of its 10,000 events;
//   - events per second through an EventWriter, 200,000 events.
// And on 10,000 sessions plus one of 1,000,000 events (benchExportAndCheck):
//   - the start-up integrity check (PRAGMA quick_check on its worker thread): its time, and the
//     longest the event loop was held meanwhile;
//   - the streaming JSON export of the long session to a file: time, peak memory (RSS) and the
//     longest the event loop was held.
// Run directly: npx tsx bench/storage.bench.ts
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ApiResponse } from '../src/shared/api';
import type { SessionSettings } from '../src/shared/sessions';
import { openDatabase, quickCheck } from '../src/main/storage/database';
import { EventWriter } from '../src/main/storage/event-writer';
import { exportSessionPieces } from '../src/main/storage/export';
import { SessionStore } from '../src/main/storage/session-store';

const SETTINGS: SessionSettings = { mode: 'segmented', interim_results: true };
const FORMAT = { channels: 2, sample_rate: 48000, bit_depth: 32, is_float: true };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function medianMs(runs: number, work: () => void): number {
  work(); // warm-up: statement caches, pages in memory
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** The events of a segmented session with interim results: activity, interims, finals. */
function speechEvent(index: number): ApiResponse {
  const utterance = Math.floor(index / 8);
  const start = utterance * 3.2;
  const channel = utterance % 2;
  switch (index % 8) {
    case 0:
      return { channel, type: 'active', time: start };
    case 6:
      return { channel, type: 'inactive', time: start + 2.5 };
    case 7:
      return { channel, type: 'segment', start_time: start, end_time: start + 2.5, is_final: true, count: 40000 };
    default:
      return { channel, type: 'segment', start_time: start, end_time: start + (index % 8) * 0.5, is_final: false, count: (index % 8) * 8000 };
  }
}

export async function benchStorage(): Promise<{ list10kMs: number; search10kMs: number; open10kEventsMs: number; eventsPerSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'utterly-bench-storage-'));
  const db = openDatabase(join(dir, 'utterly.db'));
  const store = new SessionStore(db);
  try {
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const fromFile = i % 3 === 0;
        store.createSession({
          title: fromFile ? `Interview ${i}` : `Recording ${i}`,
          source: fromFile ? 'file' : 'mic',
          original_name: fromFile ? `interview-${i}.mp3` : null,
          format: FORMAT,
          settings: SETTINGS,
          status: 'done',
        });
      }
    })();
    const { id } = store.createSession({ title: 'Long meeting', source: 'mic', format: FORMAT, settings: SETTINGS, status: 'done' });
    store.appendEvents(
      id,
      Array.from({ length: 10_000 }, (_, i) => speechEvent(i)),
      0,
    );

    const list10kMs = medianMs(20, () => store.listSessions({ limit: 50, offset: 0 }));
    const search10kMs = medianMs(20, () => store.listSessions({ limit: 50, offset: 0, query: 'VIEW-12' }));
    const open10kEventsMs = medianMs(20, () => {
      store.getSession(id);
      if (store.getEvents(id).length !== 10_000) throw new Error('events missing');
    });

    const eventsPerSecond = median(
      [1, 2, 3].map(() => {
        const session = store.createSession({ title: 'Import', source: 'file', settings: SETTINGS, status: 'processing' });
        const started = performance.now();
        const writer = new EventWriter(store, session.id);
        for (let i = 0; i < 200_000; i++) writer.push(speechEvent(i));
        writer.close();
        return 200_000 / ((performance.now() - started) / 1000);
      }),
    );
    return { list10kMs, search10kMs, open10kEventsMs, eventsPerSecond };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ExportAndCheckFigures {
  events: number;
  databaseMb: number;
  quickCheckMs: number;
  quickCheckLongestBlockMs: number;
  exportMs: number;
  exportMb: number;
  exportLongestBlockMs: number;
  rssBeforeMb: number;
  exportPeakRssMb: number;
}

/** The longest the event loop was held while `work` ran, with its result. */
async function withLongestBlock<T>(work: () => Promise<T>): Promise<{ result: T; longestBlockMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  try {
    const result = await work();
    return { result, longestBlockMs: delay.max / 1e6 };
  } finally {
    delay.disable();
  }
}

export async function benchExportAndCheck(events = 1_000_000): Promise<ExportAndCheckFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'utterly-bench-export-'));
  const path = join(dir, 'utterly.db');
  const db = openDatabase(path);
  const store = new SessionStore(db);
  try {
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) store.createSession({ title: `Recording ${i}`, source: 'mic', format: FORMAT, settings: SETTINGS, status: 'done' });
    })();
    const { id } = store.createSession({ title: 'A very long meeting', source: 'mic', format: FORMAT, settings: SETTINGS, status: 'done' });
    for (let first = 0; first < events; first += 10_000) {
      store.appendEvents(
        id,
        Array.from({ length: Math.min(10_000, events - first) }, (_, i) => speechEvent(first + i)),
        first,
      );
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    const databaseMb = statSync(path).size / 2 ** 20;

    const check = await withLongestBlock(() => quickCheck(path));
    if (!check.result.ok) throw new Error(`quick_check: ${check.result.problems.join('; ')}`);

    global.gc?.();
    const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 5);
    const out = join(dir, 'export.json');
    const started = performance.now();
    const exported = await withLongestBlock(() => pipeline(Readable.from(exportSessionPieces(store, id, 'json')), createWriteStream(out)));
    const exportMs = performance.now() - started;
    clearInterval(sampler);
    return {
      events,
      databaseMb,
      quickCheckMs: check.result.ms,
      quickCheckLongestBlockMs: check.longestBlockMs,
      exportMs,
      exportMb: statSync(out).size / 2 ** 20,
      exportLongestBlockMs: exported.longestBlockMs,
      rssBeforeMb,
      exportPeakRssMb: peakRss / 2 ** 20,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchStorage();
  const line = (text: string) => process.stdout.write(text + '\n');
  line(`storage  first page of 10,000 sessions with total: ${result.list10kMs.toFixed(2)} ms (median of 20; target < 50 ms)`);
  line(`storage  search of 10,000 titles and file names, first page with total: ${result.search10kMs.toFixed(2)} ms (median of 20; target < 50 ms)`);
  line(`storage  open a session of 10,000 events: ${result.open10kEventsMs.toFixed(2)} ms (median of 20; target < 50 ms)`);
  line(`storage  EventWriter, 200,000 events: ${Math.round(result.eventsPerSecond).toLocaleString('en')} events/s (median of 3)`);
  const x = await benchExportAndCheck();
  line(
    `storage  10,000 sessions and one of ${x.events.toLocaleString('en')} events (${x.databaseMb.toFixed(0)} MB): quick_check ${x.quickCheckMs.toFixed(0)} ms on its thread, event loop held at most ${x.quickCheckLongestBlockMs.toFixed(1)} ms meanwhile`,
  );
  line(
    `storage  JSON export of the ${x.events.toLocaleString('en')} events to a file (${x.exportMb.toFixed(0)} MB): ${(x.exportMs / 1000).toFixed(1)} s, event loop held at most ${x.exportLongestBlockMs.toFixed(1)} ms (target < 50 ms), RSS ${x.rssBeforeMb.toFixed(0)} MB before, ${x.exportPeakRssMb.toFixed(0)} MB at most`,
  );
}
