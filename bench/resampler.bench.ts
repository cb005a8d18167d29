// Real-time factor per channel (seconds of audio resampled per second of wall time) of our
// resampler and of libsamplerate-js SRC_SINC_FASTEST, on 60 s of white noise, median of 5 runs.
// Run directly with `npx tsx bench/resampler.bench.ts`.
//
// Once any ArrayBuffer in the process has been detached (transferred to a worker, or replaced by
// a growing wasm memory: loading libsamplerate-js does it), V8 adds a detach check to every typed
// array access for the rest of the process, which costs our kernels about 20%. So our resampler
// is measured before (unless the caller already detached one) and after such a detach, and
// libsamplerate is loaded only at the end.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { createResampler } from '../src/main/engine/resampler';

const SECONDS = 60;
const RUNS = 5;
const CHUNK = 4096;
const OUT_RATE = 16000;
const IN_RATES = [44100, 48000];

function noise(n: number): Float32Array {
  let seed = 1;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
    x[i] = seed / 2147483648;
  }
  return x;
}

/** Median real-time factor of RUNS runs of `timed` (returning its elapsed ms), after a warm-up run for the JIT. */
async function realTimeFactor(timed: () => Promise<number> | number): Promise<number> {
  await timed();
  const factors: number[] = [];
  for (let i = 0; i < RUNS; i++) factors.push((SECONDS * 1000) / (await timed()));
  factors.sort((a, b) => a - b);
  return factors[Math.floor(RUNS / 2)]!;
}

function ours(input: Float32Array, inRate: number, chunk: number): number {
  const start = performance.now();
  const resampler = createResampler(inRate, OUT_RATE);
  for (let i = 0; i < input.length; i += chunk) resampler.process(input.subarray(i, i + chunk));
  resampler.flush();
  return performance.now() - start;
}

export async function benchResampler(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const inputs = new Map(IN_RATES.map((rate) => [rate, noise(rate * SECONDS)]));
  const measureOurs = async (note: string) => {
    for (const [rate, input] of inputs) {
      const pair = `${rate}->${OUT_RATE}`;
      const whole = await realTimeFactor(() => ours(input, rate, input.length));
      results[`resampler ${pair} x realtime (one call${note})`] = whole;
      const chunked = await realTimeFactor(() => ours(input, rate, CHUNK));
      results[`resampler ${pair} x realtime (${CHUNK}-sample chunks${note})`] = chunked;
    }
  };

  await measureOurs('');
  const detached = new ArrayBuffer(8);
  structuredClone(detached, { transfer: [detached] });
  await measureOurs(', ArrayBuffer detached');

  // Loaded here, not imported at the top, since loading it detaches a buffer (see above).
  const load = createRequire(import.meta.url);
  const lib = load('@alexanderolsen/libsamplerate-js') as typeof import('@alexanderolsen/libsamplerate-js');
  for (const [rate, input] of inputs) {
    const factor = await realTimeFactor(async () => {
      // Creating the converter is set-up, not resampling, so it happens before the clock starts.
      const src = await lib.create(1, rate, OUT_RATE, { converterType: lib.ConverterType.SRC_SINC_FASTEST });
      const start = performance.now();
      for (let i = 0; i < input.length; i += CHUNK) src.full(input.subarray(i, i + CHUNK));
      const elapsed = performance.now() - start;
      src.destroy();
      return elapsed;
    });
    results[`libsamplerate SRC_SINC_FASTEST ${rate}->${OUT_RATE} x realtime (${CHUNK}-sample chunks)`] = factor;
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, value] of Object.entries(await benchResampler())) console.log(`${name}: ${value.toFixed(0)}`);
}
