// Real-time factor per channel (seconds of audio resampled per second of CPU) of our resampler
// and of libsamplerate-js SRC_SINC_FASTEST, on 60 s of white noise, median of 5 runs.
// Run directly with `npx tsx bench/resampler.bench.ts`.
import { pathToFileURL } from 'node:url';
import pkg from '@alexanderolsen/libsamplerate-js';
import { createResampler } from '../src/main/engine/resampler';

const { create, ConverterType } = pkg;

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

/** Median real-time factor over RUNS runs of `timed` (which returns its own elapsed ms), after one run to warm up the JIT. */
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

async function libsamplerate(input: Float32Array, inRate: number): Promise<number> {
  // Loading the wasm module is set-up, not resampling, so it happens before the clock starts.
  const src = await create(1, inRate, OUT_RATE, { converterType: ConverterType.SRC_SINC_FASTEST });
  const start = performance.now();
  for (let i = 0; i < input.length; i += CHUNK) src.full(input.subarray(i, i + CHUNK));
  const elapsed = performance.now() - start;
  src.destroy();
  return elapsed;
}

export async function benchResampler(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const inRate of IN_RATES) {
    const input = noise(inRate * SECONDS);
    const pair = `${inRate}->${OUT_RATE}`;
    results[`resampler ${pair} x realtime (one call)`] = await realTimeFactor(() => ours(input, inRate, input.length));
    results[`resampler ${pair} x realtime (${CHUNK}-sample chunks)`] = await realTimeFactor(() => ours(input, inRate, CHUNK));
    results[`libsamplerate SRC_SINC_FASTEST ${pair} x realtime (${CHUNK}-sample chunks)`] = await realTimeFactor(() =>
      libsamplerate(input, inRate),
    );
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, value] of Object.entries(await benchResampler())) console.log(`${name}: ${value.toFixed(0)}`);
}
