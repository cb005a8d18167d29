// Settings and the engine on real SQLite and real worker processes: stored settings over the
// command line's defaults, a changed model on the next import, settings changed again and again
// while an import and a recording run (nothing lost, the replaced engine closed only once they
// end), a failed VAD ending its session `failed`, simple mode from the microphone cut into
// chunks of the chosen length, progress in decoded time with an estimate that settles, and
// uploads removed once imported.
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import type { ImportProgress } from '../../src/shared/contract';
import type { Session } from '../../src/shared/sessions';
import { DEFAULT_SETTINGS } from '../../src/shared/settings';
import { openBackend, type Backend } from '../../src/main/backend';
import { ByteChunker } from '../../src/main/sessions/recording';
import { EtaEstimate } from '../../src/main/sessions/session-service';
import { INSTANT_MODEL, chunked, dataFile, finals, readPcmWav } from '../support/helpers';

let scratch: string | undefined;
let backend: Backend | undefined;

afterEach(async () => {
  await backend?.close();
  backend = undefined;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

function open(options: Partial<Parameters<typeof openBackend>[0]> = {}): Backend {
  scratch ??= mkdtempSync(join(tmpdir(), 'utterly-settings-'));
  backend = openBackend({ dataDir: join(scratch, 'data'), integrityCheck: false, ...options } as Parameters<typeof openBackend>[0] & {
    role?: 'owner';
  }) as Backend;
  return backend;
}

function ended(b: Backend, id: string): Promise<Session> {
  return new Promise((resolve) => {
    const check = (s: Session | { id: string; deleted: true }) => {
      if ('status' in s && s.id === id && s.status !== 'processing' && s.status !== 'recording') {
        b.service.off('changed', check);
        resolve(s);
      }
    };
    b.service.on('changed', check);
  });
}

const segmented = { mode: 'segmented', interim_results: false } as const;

describe('settings and the engine', () => {
  it('the command line gives defaults; stored settings override them, and a new model applies to the next import', async () => {
    const b = open({ defaults: { model: INSTANT_MODEL, pool_size: 2 } });
    expect(b.getSettings().model).toEqual(INSTANT_MODEL);
    const first = await b.service.importFile(dataFile('vad-node-test.wav'), segmented);
    await ended(b, first.id);
    expect(finals(b.service.events(first.id, { offset: 0, limit: 10_000 })).length).toBeGreaterThan(0);

    b.setSettings({ ...b.getSettings(), model: { ...INSTANT_MODEL, failure_rate: 1 } });
    const second = await b.service.importFile(dataFile('vad-node-test.wav'), segmented);
    const done = await ended(b, second.id);
    expect(done.status).toBe('done');
    const events = b.service.events(second.id, { offset: 0, limit: 10_000 });
    expect(finals(events)).toHaveLength(0);
    expect(events.filter((e) => e.type === 'error' && e.start_time !== undefined).length).toBeGreaterThan(0);
    await b.close();
    backend = undefined;

    // Opened again with other defaults: what was stored wins.
    const again = open({ defaults: { model: INSTANT_MODEL, pool_size: 1 } });
    expect(again.getSettings().model.failure_rate).toBe(1);
    expect(again.getSettings().pool_size).toBe(2);
  }, 60_000);

  it('settings changed again and again during an import and a recording lose nothing: both end done with their finals', async () => {
    const b = open({ defaults: { model: { ...INSTANT_MODEL, delay: 0.05 }, pool_size: 2 } });
    const { format, bytes } = readPcmWav(dataFile('mic-speech-12s.wav'));
    const imported = await b.service.importFile(dataFile('mic-speech-12s.wav'), segmented);
    const importEnded = ended(b, imported.id);
    const recording = await b.service.connect().startRecording({ source: 'mic', format, settings: { mode: 'segmented', interim_results: true } });
    let changes = 0;
    const blockBytes = 2048 * format.channels * (format.bit_depth / 8);
    for (const block of chunked(bytes, [blockBytes])) {
      await recording.write(block);
      if (Math.random() < 0.05) {
        b.setSettings({ ...b.getSettings(), model: { ...INSTANT_MODEL, delay: 0.05, jitter: (++changes % 5) / 100 } });
      }
    }
    for (let i = 0; i < 5; i++) b.setSettings({ ...b.getSettings(), model: { ...INSTANT_MODEL, jitter: (++changes % 7) / 100 } });
    const recorded = await recording.stop();
    const importDone = await importEnded;
    for (const session of [recorded, importDone]) {
      expect(session.status, session.error ?? '').toBe('done');
      const events = b.service.events(session.id, { offset: 0, limit: 100_000 });
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(finals(events).length).toBeGreaterThan(0);
    }
    expect(changes).toBeGreaterThan(5);
  }, 120_000);

  it('a session whose VAD failed ends failed with the reason, never done', async () => {
    const b = open({ defaults: { model: INSTANT_MODEL, pool_size: 1 } });
    const { format, bytes } = readPcmWav(dataFile('vad-node-test.wav'));
    const recording = await b.service.connect().startRecording({ source: 'mic', format, settings: segmented });
    await recording.write(bytes.subarray(0, bytes.length / 2));
    // The engine's VAD processes stop under the stream (what the old polling retire did).
    const engine = await (b.service as unknown as { engine: () => Promise<{ vad: { stop(): Promise<void> } }> }).engine();
    await engine.vad.stop();
    await recording.write(bytes.subarray(bytes.length / 2));
    const session = await recording.stop();
    expect(session.status).toBe('failed');
    expect(session.error).toMatch(/voice activity detection failed/);
  }, 60_000);

  it('simple mode from the microphone: 46 ms capture blocks become chunks of chunk_ms, one inference each', async () => {
    const b = open({ defaults: { model: INSTANT_MODEL, pool_size: 2 } });
    const { format, bytes } = readPcmWav(dataFile('mic-speech-12s.wav'));
    const recording = await b.service.connect().startRecording({ source: 'mic', format, settings: { mode: 'simple', interim_results: false, chunk_ms: 1000 } });
    const blockBytes = 2048 * format.channels * (format.bit_depth / 8);
    for (const block of chunked(bytes, [blockBytes])) await recording.write(block);
    const stopped = performance.now();
    const session = await recording.stop();
    expect(performance.now() - stopped).toBeLessThan(2000);
    expect(session.status).toBe('done');
    const segments = b.service
      .events(session.id, { offset: 0, limit: 100_000 })
      .filter((e): e is Extract<ApiResponse, { type: 'segment' }> => e.type === 'segment');
    const seconds = bytes.length / (format.channels * (format.bit_depth / 8)) / format.sample_rate;
    const perChannel = segments.filter((s) => s.channel === 0);
    expect(perChannel).toHaveLength(Math.ceil(seconds - 1e-9));
    for (const segment of perChannel.slice(0, -1)) expect(segment.end_time - segment.start_time).toBeCloseTo(1, 2);
  }, 60_000);

  it('ByteChunker keeps whole frames and every byte', () => {
    const chunker = new ByteChunker({ channels: 2, sample_rate: 1000, bit_depth: 16, is_float: false }, 10);
    expect(chunker.chunkBytes).toBe(40);
    const input = Uint8Array.from({ length: 150 }, (_, i) => i);
    const out = [...chunked(input, [7, 33, 2]).flatMap((piece) => [...chunker.push(piece)])];
    const rest = chunker.flush();
    expect(out.map((c) => c.length)).toEqual([40, 40, 40]);
    expect(rest?.length).toBe(30);
    expect(Buffer.concat([...out, rest!])).toEqual(Buffer.from(input));
  });

  it('import progress is in decoded time and ends at 1; the estimate settles', async () => {
    const b = open({ defaults: { model: { ...INSTANT_MODEL, delay: 0.02 }, pool_size: 2 } });
    const progress: ImportProgress[] = [];
    b.service.on('progress', (p) => progress.push(p));
    const session = await b.service.importFile(dataFile('silero-test.mp3'), { mode: 'simple', interim_results: false, chunk_ms: 500 });
    await ended(b, session.id);
    const mine = progress.filter((p) => p.session_id === session.id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.processed_seconds!).toBeGreaterThanOrEqual(mine[i - 1]!.processed_seconds!);
    expect(mine.at(-1)!.fraction).toBe(1);
    expect(mine.at(-1)!.total_seconds).toBeCloseTo(session.duration ?? b.service.get(session.id).duration!, 1);

    // A steady rate after a slow start: the estimate converges on the truth and does not jump.
    const eta = new EtaEstimate();
    const estimates: number[] = [];
    for (let t = 0; t <= 60; t += 0.5) {
      const processed = t < 5 ? t * 0.2 : 1 + (t - 5) * 2;
      const e = eta.update(t, Math.min(processed, 100), 100);
      if (e !== null) estimates.push(e);
      if (t === 40) expect(Math.abs(e! - (100 - 71) / 2)).toBeLessThan(1);
    }
    for (let i = 1; i < estimates.length; i++) expect(Math.abs(estimates[i]! - estimates[i - 1]!)).toBeLessThan(Math.max(20, estimates[i - 1]! * 0.5));
  }, 60_000);

  it('an upload is removed once its import has copied it, or once it is refused', async () => {
    const b = open({ defaults: { model: INSTANT_MODEL, pool_size: 1 } });
    const folder = join(b.uploadDir, 'one');
    mkdirSync(folder);
    copyFileSync(dataFile('vad-node-test.wav'), join(folder, 'speech.wav'));
    const session = await b.service.importFile(join(folder, 'speech.wav'), segmented);
    expect(existsSync(folder)).toBe(false);
    expect((await ended(b, session.id)).status).toBe('done');

    const bad = join(b.uploadDir, 'two');
    mkdirSync(bad);
    copyFileSync(dataFile('README.md'), join(bad, 'notes.wav'));
    await expect(b.service.importFile(join(bad, 'notes.wav'), segmented)).rejects.toThrow();
    expect(readdirSync(b.uploadDir)).toEqual([]);
  }, 60_000);

  it('the defaults include the chunk length and the imports\u2019 own settings', () => {
    expect(DEFAULT_SETTINGS.chunk_ms).toBe(1000);
    expect(DEFAULT_SETTINGS.imports).toMatchObject({ mode: 'segmented', interim_results: false });
  });
});
