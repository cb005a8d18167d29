// The seed's two tests, ported: random chunking through the simple runner loses nothing, and a
// model that always fails still lets the runner finish.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import type { StreamingContext } from '../../src/main/engine/streaming-context';
import { chunked, encodePcm, engine, INSTANT_MODEL, runBytes, seededRandom, startMessage } from '../support/helpers';

const s16mono = { channels: 1, sample_rate: 16000, bit_depth: 16, is_float: false };

function noise(samples: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: samples }, () => random() * 2 - 1);
}

describe('simple runner', () => {
  let context: StreamingContext;
  beforeAll(async () => {
    context = await engine({ model: { ...INSTANT_MODEL, jitter: 0.002, delay: 0.001 } });
  });
  afterAll(() => context.close());

  it('answers every randomly sized chunk once, in order, and the counts add up to the samples sent', async () => {
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const samples = 16000 * 3 + Math.floor(random() * 1000);
      const bytes = encodePcm([noise(samples, seed)], s16mono);
      // Sizes in bytes, odd ones included: chunks end in the middle of samples.
      const chunks = chunked(bytes, () => 1 + Math.floor(random() * 9000));
      const events = await runBytes(context, 'simple', startMessage(s16mono), chunks, 3);

      expect(events).toHaveLength(chunks.length);
      const segments = events as Extract<ApiResponse, { type: 'segment' }>[];
      expect(segments.every((e) => e.type === 'segment' && e.is_final === undefined && e.channel === 0)).toBe(true);
      expect(segments.reduce((n, e) => n + e.count, 0)).toBe(samples);
      // Times run on without gap or overlap: the responses are in the order the audio came in.
      let end = 0;
      for (const segment of segments) {
        expect(segment.start_time).toBeCloseTo(end, 9);
        expect(segment.end_time - segment.start_time).toBeCloseTo(segment.count / 16000, 9);
        end = segment.end_time;
      }
      expect(end).toBeCloseTo(samples / 16000, 9);
    }
  });

  it('gives one response per chunk and per channel for interleaved stereo float audio', async () => {
    const f32stereo = { channels: 2, sample_rate: 16000, bit_depth: 32, is_float: true };
    const bytes = encodePcm([noise(8000, 4), noise(8000, 5)], f32stereo);
    const chunks = chunked(bytes, [1001, 2048, 7, 6000]);
    const events = await runBytes(context, 'simple', startMessage(f32stereo), chunks, 2);
    for (const channel of [0, 1]) {
      const mine = events.filter((e) => e.channel === channel) as Extract<ApiResponse, { type: 'segment' }>[];
      expect(mine).toHaveLength(chunks.length);
      expect(mine.reduce((n, e) => n + e.count, 0)).toBe(8000);
    }
  });

  it('takes the extremes of the format: 32 channels of 24-bit at 384 kHz, and 8-bit mono at 8 kHz', async () => {
    const cases = [
      { format: { channels: 32, sample_rate: 384000, bit_depth: 24, is_float: false }, frames: 38400 * 2, expected: 3200 },
      { format: { channels: 1, sample_rate: 8000, bit_depth: 8, is_float: false }, frames: 8000, expected: 16000 },
    ];
    for (const { format, frames, expected } of cases) {
      const audio = Array.from({ length: format.channels }, (_, c) => noise(frames, 20 + c).map((x) => x * 0.5));
      const chunks = chunked(encodePcm(audio, format), [format.channels * 3 * 1000 + 1]);
      const events = await runBytes(context, 'simple', startMessage(format), chunks, 8);
      for (let channel = 0; channel < format.channels; channel++) {
        const mine = events.filter((e) => e.channel === channel) as Extract<ApiResponse, { type: 'segment' }>[];
        expect(mine).toHaveLength(chunks.length);
        expect(mine.reduce((n, e) => n + e.count, 0)).toBe(expected);
      }
    }
  });

  it('resamples: the counts add up to the audio at 16 kHz, one response per chunk', async () => {
    const s16at44k = { channels: 1, sample_rate: 44100, bit_depth: 16, is_float: false };
    const bytes = encodePcm([noise(44100 * 2, 6)], s16at44k);
    const chunks = chunked(bytes, [4410 * 2, 3333, 10000]);
    const events = await runBytes(context, 'simple', startMessage(s16at44k), chunks, 4);
    expect(events).toHaveLength(chunks.length);
    const total = (events as Extract<ApiResponse, { type: 'segment' }>[]).reduce((n, e) => n + e.count, 0);
    expect(total).toBe(32000);
  });
});

describe('simple runner with a model that always fails', () => {
  it('answers every chunk with an error and finishes', async () => {
    const context = await engine({ model: { ...INSTANT_MODEL, failure_rate: 1 } });
    try {
      const bytes = encodePcm([noise(16000 * 2, 7)], s16mono);
      const chunks = chunked(bytes, [3200]);
      const events = await runBytes(context, 'simple', startMessage(s16mono), chunks, 4);
      expect(events).toHaveLength(chunks.length);
      expect(events.every((e) => e.type === 'error' && e.message === 'Unexpected inference failure')).toBe(true);
    } finally {
      await context.close();
    }
  });
});
