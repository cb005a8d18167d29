// Model processes that die: by the model's own "panic" or killed from outside. Every chunk is
// still answered, the run completes, and the pool is back to its full size.
import { describe, expect, it } from 'vitest';
import { INTERNAL_SERVER_ERROR, type ApiResponse } from '../../src/shared/api';
import type { StreamingContext } from '../../src/main/engine/streaming-context';
import { chunked, encodePcm, engine, INSTANT_MODEL, seededRandom, startMessage } from '../support/helpers';

const s16mono = { channels: 1, sample_rate: 16000, bit_depth: 16, is_float: false };
const CHUNKS = 200;
const CHUNK_SAMPLES = 1600;

function twoHundredChunks(): Uint8Array[] {
  const random = seededRandom(11);
  const audio = Float32Array.from({ length: CHUNKS * CHUNK_SAMPLES }, () => random() - 0.5);
  return chunked(encodePcm([audio], s16mono), [CHUNK_SAMPLES * 2]);
}

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function expectEveryChunkAnswered(events: ApiResponse[]): void {
  expect(events).toHaveLength(CHUNKS);
  let end = 0;
  for (const event of events) {
    if (event.type === 'segment') {
      expect(event.count).toBe(CHUNK_SAMPLES);
      expect(event.start_time).toBeCloseTo(end, 9);
    } else {
      // The failure is placed where its audio was, so the timeline and exports can show it there.
      expect(event).toMatchObject({ type: 'error', message: INTERNAL_SERVER_ERROR });
      expect(event).toMatchObject({ start_time: expect.closeTo(end, 9), end_time: expect.closeTo(end + CHUNK_SAMPLES / 16000, 9) });
    }
    end += CHUNK_SAMPLES / 16000;
  }
}

async function expectPoolRecovered(context: StreamingContext, spawnsBefore: number[]): Promise<number> {
  await waitUntil(() => context.pool.liveWorkers === context.pool.size);
  const pids = context.pool.workers.map((w) => w.pid);
  expect(new Set(pids).size).toBe(context.pool.size);
  for (const pid of pids) expect(() => process.kill(pid!, 0)).not.toThrow();
  return context.pool.workers.reduce((n, w, i) => n + w.spawnCount - spawnsBefore[i]!, 0);
}

describe('model processes that crash', () => {
  it('survives panic_rate 0.3 over 200 chunks', async () => {
    const context = await engine({ poolSize: 3, model: { ...INSTANT_MODEL, panic_rate: 0.3 }, policy: { initialDelayMs: 1, maxDelayMs: 50 } });
    try {
      const spawnsBefore = context.pool.workers.map((w) => w.spawnCount);
      const events: ApiResponse[] = [];
      const stream = await context.openStream({ mode: 'simple', start: startMessage(s16mono), maxFutures: 3 }, (e) => events.push(e));
      for (const chunk of twoHundredChunks()) await stream.writeBytes(chunk);
      await stream.stop();

      expectEveryChunkAnswered(events);
      const crashes = events.filter((e) => e.type === 'error').length;
      // 0.3 of 200 is 60; far outside 25..100 would mean panics are not really happening.
      expect(crashes).toBeGreaterThan(25);
      expect(crashes).toBeLessThan(100);
      expect(await expectPoolRecovered(context, spawnsBefore)).toBe(crashes);
    } finally {
      await context.close();
    }
  });

  it('survives model processes killed with SIGKILL from outside mid-run', async () => {
    const context = await engine({ poolSize: 2, model: { ...INSTANT_MODEL, delay: 0.02 }, policy: { initialDelayMs: 1, maxDelayMs: 50 } });
    try {
      const spawnsBefore = context.pool.workers.map((w) => w.spawnCount);
      const events: ApiResponse[] = [];
      const stream = await context.openStream({ mode: 'simple', start: startMessage(s16mono), maxFutures: 2 }, (e) => events.push(e));
      let kills = 0;
      const killer = setInterval(() => {
        const victim = context.pool.workers[kills % 2]!;
        if (victim.isReady && victim.pid && kills < 8) {
          process.kill(victim.pid, 'SIGKILL');
          kills++;
        }
      }, 150);
      try {
        for (const chunk of twoHundredChunks()) await stream.writeBytes(chunk);
        await stream.stop();
      } finally {
        clearInterval(killer);
      }
      expect(kills).toBeGreaterThanOrEqual(4);
      expectEveryChunkAnswered(events);
      expect(events.filter((e) => e.type === 'error').length).toBeGreaterThan(0);
      expect(await expectPoolRecovered(context, spawnsBefore)).toBe(kills);
    } finally {
      await context.close();
    }
  });
});
