// The seed's dummy model in a process of its own: an inference blocks the process for
// len/16000 * constant_factor + delay + jitter seconds, then fails, "panics" (the process
// dies) or returns {count}.
import { ModelParamsSchema } from '../../shared/model-config';
import { MODEL_SAMPLE_RATE } from '../../shared/model-audio';
import { connectToHost } from './port';

const params = ModelParamsSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let firstRun = true;

function infer(samples: Float32Array): { count: number } {
  const duration = samples.length / MODEL_SAMPLE_RATE;
  const jitter = params.jitter * (Math.random() * 2 - 1);
  let delay = duration * params.constant_factor + params.delay + jitter;
  if (params.warmup_penalty > 0 && firstRun) delay += delay * params.warmup_penalty;
  firstRun = false;
  // Really blocks the process, as a model busy on the CPU would: no timer, no event loop.
  if (delay > 0) Atomics.wait(sleeper, 0, 0, delay * 1000);

  if (Math.random() < params.failure_rate) throw new Error('Unexpected inference failure');
  if (Math.random() < params.panic_rate) {
    process.stderr.write('panicked: Inference catastrophically failed\n');
    process.exit(101);
  }
  return { count: samples.length };
}

connectToHost((request) => {
  if (request.type !== 'infer') throw new Error(`model worker cannot handle "${request.type}"`);
  return infer(request.samples);
});
