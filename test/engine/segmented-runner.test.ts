// The segmented runner: events a user of the stream relies on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import type { StreamingContext } from '../../src/main/engine/streaming-context';
import { INSTANT_MODEL, chunked, dataFile, engine, finals, readPcmWav, runBytes, startMessage } from '../support/helpers';

type Segment = Extract<ApiResponse, { type: 'segment' }>;

/** Every active is followed by exactly one inactive before the next active, on each channel. */
function expectPairedActivity(events: ApiResponse[], channel: number): void {
  const activity = events.filter((e) => e.channel === channel && (e.type === 'active' || e.type === 'inactive'));
  expect(activity.length % 2).toBe(0);
  activity.forEach((e, i) => expect(e.type).toBe(i % 2 === 0 ? 'active' : 'inactive'));
  for (let i = 0; i < activity.length; i += 2) {
    const [active, inactive] = [activity[i] as { time: number }, activity[i + 1] as { time: number }];
    expect(inactive.time).toBeGreaterThan(active.time);
  }
}

/** Final segments match the active/inactive pairs that enclose them, one for one. */
function expectFinalsMatchActivity(events: ApiResponse[], channel: number): void {
  const activity = events.filter((e) => e.channel === channel && (e.type === 'active' || e.type === 'inactive')) as Array<{ time: number }>;
  const segments = finals(events, channel);
  expect(segments).toHaveLength(activity.length / 2);
  segments.forEach((s, i) => {
    expect(s.start_time).toBeCloseTo(activity[2 * i]!.time, 6);
    expect(s.end_time).toBeCloseTo(activity[2 * i + 1]!.time, 6);
    expect(s.count).toBe(Math.round((s.end_time - s.start_time) * 16000));
  });
}

describe('segmented runner', () => {
  let context: StreamingContext;
  beforeAll(async () => {
    context = await engine();
  });
  afterAll(() => context.close());

  it('sends interim results every 500 ms of speech, each ending before its final', async () => {
    const { format, bytes } = readPcmWav(dataFile('silero-test.wav'));
    // 100 ms chunks, as a live microphone would send them.
    const events = await runBytes(context, 'segmented', startMessage(format, { interim_results: true }), chunked(bytes, [3200]));
    const segments = events.filter((e): e is Segment => e.type === 'segment');
    const interims = segments.filter((s) => s.is_final === false);
    expect(interims.length).toBeGreaterThan(0);
    for (const final of finals(events)) {
      const mine = interims.filter((s) => s.start_time === final.start_time);
      // Fed faster than real time, how many are skipped while one runs depends on timing (the
      // test fed in real time below checks the cadence); never more than one per 500 ms.
      const due = Math.floor((final.end_time - final.start_time) / 0.5);
      expect(mine.length).toBeLessThanOrEqual(due);
      for (const interim of mine) {
        expect(interim.end_time).toBeLessThan(final.end_time);
        expect(interim.count).toBe(Math.round((interim.end_time - interim.start_time) * 16000));
      }
      // Interims arrive in order, each longer than the last.
      mine.forEach((s, i) => i > 0 && expect(s.end_time).toBeGreaterThan(mine[i - 1]!.end_time));
      mine.forEach((s, i) => i > 0 && expect(s.end_time - mine[i - 1]!.end_time).toBeGreaterThanOrEqual(0.5));
    }
    // No interim comes after the final of its utterance.
    const positionOfFinal = new Map(finals(events).map((f) => [f.start_time, events.indexOf(f)]));
    for (const interim of interims) expect(events.indexOf(interim)).toBeLessThan(positionOfFinal.get(interim.start_time)!);
  });

  it('sends an interim result at the first frame boundary after each 500 ms of speech, fed in real time', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const chunk = 3200 * 2; // 100 ms of 16-bit stereo
    const events: ApiResponse[] = [];
    const stream = await context.openStream({ mode: 'segmented', start: startMessage(format, { interim_results: true }) }, (e) => events.push(e));
    for (let offset = 0; offset < 52 * chunk; offset += chunk) {
      await stream.writeBytes(bytes.subarray(offset, offset + chunk));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stream.stop();
    const [final] = finals(events, 0);
    const interims = events.filter((e): e is Segment => e.channel === 0 && e.type === 'segment' && e.is_final === false);
    // 500 ms rounded up to whole 96 ms VAD frames is 576 ms.
    const step = 6 * 0.096;
    const expected = Math.ceil((final!.end_time - final!.start_time) / step) - 1;
    expect(interims.map((s) => s.end_time)).toEqual(Array.from({ length: expected }, (_, i) => expect.closeTo(final!.start_time + (i + 1) * step, 6)));
    expect(interims.every((s) => s.start_time === final!.start_time)).toBe(true);
  });

  it('sends no interim results unless asked to', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const events = await runBytes(context, 'segmented', startMessage(format), chunked(bytes, [6400]));
    expect(events.filter((e) => e.type === 'segment' && e.is_final === false)).toEqual([]);
  });

  it('pairs every active with an inactive and a final segment of the same bounds', async () => {
    const { format, bytes } = readPcmWav(dataFile('silero-test.wav'));
    const events = await runBytes(context, 'segmented', startMessage(format), chunked(bytes, [32000]));
    expectPairedActivity(events, 0);
    expectFinalsMatchActivity(events, 0);
    expect(finals(events)).toHaveLength(7);
  });

  it('flushes speech still going on at stop: inactive at the end of the audio, then its final', async () => {
    const { format, bytes } = readPcmWav(dataFile('trailing-speech.wav'));
    const events = await runBytes(context, 'segmented', startMessage(format), chunked(bytes, [3200]));
    const duration = bytes.length / 2 / 16000;
    expect(events.at(-2)).toMatchObject({ type: 'inactive', time: duration });
    expect(events.at(-1)).toMatchObject({ type: 'segment', is_final: true, end_time: duration });
    expect((events.at(-1) as Segment).start_time).toBeCloseTo(1.15, 1);
    expectPairedActivity(events, 0);
  });

  it('keeps each channel its own lane: different speech on each side of a stereo file', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const events = await runBytes(context, 'segmented', startMessage(format, { interim_results: true }), chunked(bytes, [6400]));
    const [left, right] = [finals(events, 0), finals(events, 1)];
    expect(left).toHaveLength(1);
    expect(right).toHaveLength(1);
    expect(left[0]!.start_time).toBeLessThan(1);
    expect(left[0]!.end_time).toBeLessThan(5);
    expect(right[0]!.start_time).toBeGreaterThan(4.5);
    for (const channel of [0, 1]) {
      expectPairedActivity(events, channel);
      expectFinalsMatchActivity(events, channel);
    }
  });

  it('gives identical events whether the audio comes in 1-byte, odd or large chunks', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const start = startMessage(format);
    const byCase = await Promise.all([
      runBytes(context, 'segmented', start, chunked(bytes, [1])),
      runBytes(context, 'segmented', start, chunked(bytes, [3, 1001, 17, 4093])),
      runBytes(context, 'segmented', start, [bytes]),
    ]);
    const perChannel = (events: ApiResponse[]) => [0, 1].map((c) => events.filter((e) => e.channel === c));
    const [one, odd, large] = byCase.map(perChannel);
    expect(finals(byCase[2]!, 0)).toHaveLength(1);
    expect(one).toEqual(large);
    expect(odd).toEqual(large);
  });

  it('resampled input finds the same utterances as 16 kHz input', async () => {
    const { format, bytes } = readPcmWav(dataFile('vad-node-test.wav'));
    expect(format).toMatchObject({ bit_depth: 8, sample_rate: 44100 });
    const events = await runBytes(context, 'segmented', startMessage(format), chunked(bytes, [4410]));
    const segments = finals(events);
    expect(segments).toHaveLength(1);
    expect(segments[0]!.start_time).toBeCloseTo(2.016, 2);
    expect(segments[0]!.end_time).toBeCloseTo(4.224, 2);
  });
});

describe('segmented runner with a slow model', () => {
  it('keeps consuming audio while the model works, skips stale interims and delivers every final once, in order', async () => {
    const context = await engine({ poolSize: 1, model: { ...INSTANT_MODEL, delay: 0.3 } });
    try {
      const { format, bytes } = readPcmWav(dataFile('silero-test.wav'));
      const started = performance.now();
      const events = await runBytes(context, 'segmented', startMessage(format, { interim_results: true }), chunked(bytes, [3200]), 1);
      const seconds = (performance.now() - started) / 1000;
      const segments = finals(events);
      expect(segments.map((s) => s.start_time)).toEqual([...segments.map((s) => s.start_time)].sort((a, b) => a - b));
      expect(segments).toHaveLength(7);
      // In the seed the VAD waited for every inference: 7 finals and ~110 interims at 0.3 s
      // each would take over 30 s. Interims are skipped while one is running instead.
      const interims = events.filter((e) => e.type === 'segment' && e.is_final === false);
      expect(interims.length).toBeLessThan(60);
      expect(seconds).toBeLessThan(25);
      expectPairedActivity(events, 0);
    } finally {
      await context.close();
    }
  });
});
