// Real recordings from other projects, with the segments the reference pipeline finds
// (Silero v4 via vad-node's FrameProcessor defaults after ffmpeg decoding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import { VAD_FRAME_SAMPLES, MODEL_SAMPLE_RATE } from '../../src/shared/model-audio';
import { runFile } from '../../src/main/engine/file-job';
import type { StreamingContext } from '../../src/main/engine/streaming-context';
import { dataFile, engine, finals } from '../support/helpers';

const ONE_FRAME = VAD_FRAME_SAMPLES / MODEL_SAMPLE_RATE;

const REFERENCE: Record<string, Array<Array<[number, number]>>> = {
  'silero-test.wav': [
    [
      [0.1, 2.69],
      [2.69, 7.49],
      [9.22, 20.26],
      [20.26, 39.55],
      [39.84, 47.52],
      [48.77, 50.69],
      [51.07, 60.0],
    ],
  ],
  'silero-test.mp3': [[[0.1, 2.5]], [[0.1, 2.5]]],
  'silero-test.opus': [[[4.8, 8.06]]],
  'vad-node-test.wav': [[[2.02, 4.22]]],
  // Our own recordings: the same audio in four containers must give the same segments.
  'stereo-two-speakers.wav': [[[0.48, 4.61]], [[4.99, 9.02]]],
  'stereo-two-speakers.flac': [[[0.48, 4.61]], [[4.99, 9.02]]],
  'stereo-two-speakers.ogg': [[[0.48, 4.61]], [[4.99, 9.02]]],
  'stereo-two-speakers.m4a': [[[0.48, 4.61]], [[4.99, 9.02]]],
};

async function process(context: StreamingContext, name: string): Promise<ApiResponse[]> {
  const events: ApiResponse[] = [];
  await runFile(context, dataFile(name), { mode: 'segmented' }, (e) => events.push(e));
  return events;
}

describe('fixtures', () => {
  let context: StreamingContext;
  beforeAll(async () => {
    context = await engine();
  });
  afterAll(() => context.close());

  it('finds exactly one segment in the vad-node recording, inside its published bounds', async () => {
    // An 8-bit WAV whose header declares 2^31 bytes of data: trimmed to the file, not refused.
    const segments = finals(await process(context, 'vad-node-test.wav'));
    expect(segments).toHaveLength(1);
    expect(segments[0]!.start_time).toBeGreaterThanOrEqual(1.9);
    expect(segments[0]!.start_time).toBeLessThanOrEqual(2.4);
    expect(segments[0]!.end_time).toBeGreaterThanOrEqual(3.6);
    expect(segments[0]!.end_time).toBeLessThanOrEqual(4.6);
  });

  for (const [name, channels] of Object.entries(REFERENCE)) {
    it(`gives the reference segments of ${name} within one VAD frame`, async () => {
      const events = await process(context, name);
      expect(new Set(events.map((e) => e.channel))).toEqual(new Set(channels.map((_, c) => c)));
      channels.forEach((expected, channel) => {
        const found = finals(events, channel).map((s) => [s.start_time, s.end_time]);
        expect(found).toHaveLength(expected.length);
        found.forEach(([start, end], i) => {
          expect(Math.abs(start! - expected[i]![0])).toBeLessThanOrEqual(ONE_FRAME);
          expect(Math.abs(end! - expected[i]![1])).toBeLessThanOrEqual(ONE_FRAME);
        });
      });
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
    });
  }
});
