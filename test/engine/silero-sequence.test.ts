// The VAD worker scores runs of frames with the sequence form of Silero that the build makes
// (scripts/silero-sequence.mjs). Whatever the runs' lengths and however many channels share them,
// each frame must get the probability the shipped model gives it fed frame by frame, state passed
// on, which is how vad-node and the Silero authors run it.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VadPool } from '../../src/main/engine/vad-pool';
import { forkSpawner } from '../../src/main/process/child';
import { MODEL_SAMPLE_RATE, VAD_FRAME_SAMPLES } from '../../src/shared/model-audio';
import { shippedModelPath } from '../../scripts/silero-sequence.mjs';
import { dataFile, readPcmWav } from '../support/helpers';

const FRAMES = 400;

/** `frames` whole frames of a 16 kHz 16-bit mono WAV, from `first` on. */
function speechFrames(name: string, first: number, frames: number): Float32Array {
  const { format, bytes } = readPcmWav(dataFile(name));
  expect(format).toMatchObject({ channels: 1, sample_rate: MODEL_SAMPLE_RATE, bit_depth: 16 });
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2).subarray(first * VAD_FRAME_SAMPLES, (first + frames) * VAD_FRAME_SAMPLES);
  expect(pcm.length).toBe(frames * VAD_FRAME_SAMPLES);
  return Float32Array.from(pcm, (v) => v / 32768);
}

/** The shipped model, one frame per run, as vad-node runs it. */
async function frameByFrame(audio: Float32Array): Promise<Float32Array> {
  const model = await ort.InferenceSession.create(readFileSync(shippedModelPath()), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(MODEL_SAMPLE_RATE)]), [1]);
  let h: ort.Tensor = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
  let c: ort.Tensor = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
  const probabilities = new Float32Array(audio.length / VAD_FRAME_SAMPLES);
  for (let i = 0; i < probabilities.length; i++) {
    const frame = audio.subarray(i * VAD_FRAME_SAMPLES, (i + 1) * VAD_FRAME_SAMPLES);
    const out = await model.run({ input: new ort.Tensor('float32', frame, [1, VAD_FRAME_SAMPLES]), h, c, sr });
    h = out['hn']!;
    c = out['cn']!;
    probabilities[i] = (out['output']!.data as Float32Array)[0]!;
  }
  return probabilities;
}

const largestDifference = (a: Float32Array, b: Float32Array) => a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);

describe('Silero in runs of frames', () => {
  // Two channels of different speech: the recording from its start and from 20 s in.
  const channels = [speechFrames('silero-test.wav', 0, FRAMES), speechFrames('silero-test.wav', 210, FRAMES)];
  let pool: VadPool;
  let reference: Float32Array[];

  beforeAll(async () => {
    pool = new VadPool({ size: 1, spawner: forkSpawner });
    reference = [];
    for (const audio of channels) reference.push(await frameByFrame(audio));
    // Speech and silence both: the comparison means something only if the probabilities vary.
    for (const probabilities of reference) {
      expect(probabilities.some((p) => p > 0.9)).toBe(true);
      expect(probabilities.some((p) => p < 0.1)).toBe(true);
    }
  });
  afterAll(() => pool.stop());

  /** Both channels through the VAD worker in calls of `sizes` frames (the last takes the rest). */
  async function scoreInRuns(sizes: number[], channelCount: number): Promise<Float32Array[]> {
    const scorers = pool.openScorers(channelCount);
    const scored = channels.slice(0, channelCount).map(() => new Float32Array(FRAMES));
    try {
      for (let first = 0, call = 0; first < FRAMES; call++) {
        const count = call < sizes.length ? Math.min(sizes[call]!, FRAMES - first) : FRAMES - first;
        const results = await Promise.all(
          scorers.map((scorer, c) => scorer.score(channels[c]!.subarray(first * VAD_FRAME_SAMPLES, (first + count) * VAD_FRAME_SAMPLES))),
        );
        results.forEach((probabilities, c) => scored[c]!.set(probabilities, first));
        first += count;
      }
    } finally {
      await Promise.all(scorers.map((s) => s.close()));
    }
    return scored;
  }

  it.each([
    ['one frame per call', Array<number>(FRAMES).fill(1)],
    ['calls of a second (the file import)', [10]],
    ['calls of uneven lengths, one longer than a run', [1, 7, 150, 3, 64, 65]],
  ])('gives every frame the shipped model’s probability: %s', async (_, sizes) => {
    const pattern = sizes.length === 1 ? Array<number>(Math.ceil(FRAMES / sizes[0]!)).fill(sizes[0]!) : sizes;
    for (const channelCount of [1, 2]) {
      const scored = await scoreInRuns(pattern, channelCount);
      scored.forEach((probabilities, c) => expect(largestDifference(probabilities, reference[c]!), `channel ${c} of ${channelCount}`).toBeLessThan(1e-5));
    }
  });
});
