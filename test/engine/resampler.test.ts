import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../support/helpers';
import pkg from '@alexanderolsen/libsamplerate-js';
import { createResampler } from '../../src/main/engine/resampler';
import { assembleKernel, kernelModuleText } from '../../scripts/build-resampler-kernel.mjs';

const { create, ConverterType } = pkg;

const RATES = [8000, 11025, 22050, 44100, 48000, 96000, 192000, 384000, 44101];

function noise(n: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

/** Sum of sines with equal amplitude 1 / freqs.length, sampled at `rate`. */
function tones(n: number, rate: number, freqs: number[], phases: number[] = []): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let t = 0; t < freqs.length; t++) v += Math.sin((2 * Math.PI * freqs[t]! * i) / rate + (phases[t] ?? 0));
    x[i] = v / freqs.length;
  }
  return x;
}

/** Feeds `x` in chunks of `size(i)` samples (i = input position) and concatenates process() and flush(). */
function resample(inRate: number, outRate: number, x: Float32Array, size: (i: number) => number = () => x.length): Float32Array {
  const r = createResampler(inRate, outRate);
  const parts: Float32Array[] = [];
  for (let i = 0; i < x.length;) {
    const n = Math.max(1, Math.min(size(i), x.length - i));
    parts.push(r.process(x.subarray(i, i + n)));
    i += n;
  }
  parts.push(r.flush());
  const y = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    y.set(p, offset);
    offset += p.length;
  }
  return y;
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! ** 2;
  return Math.sqrt(sum / (to - from));
}

const db = (ratio: number) => 20 * Math.log10(ratio);

/** RMS of a - b relative to RMS of a over [from, to), in dB. */
function errorDb(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let err = 0;
  let sig = 0;
  for (let i = from; i < to; i++) {
    err += (a[i]! - b[i]!) ** 2;
    sig += a[i]! ** 2;
  }
  return 10 * Math.log10(err / sig);
}

function maxAbsDiff(a: Float32Array, b: Float32Array, from = 0, to = a.length): number {
  let max = 0;
  for (let i = from; i < to; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('createResampler', () => {
  it('produces exactly round(n * out / in) samples, whatever the chunking', () => {
    const pairs = [...RATES.map((rate) => [rate, 16000]), [44100, 48000], [48000, 44100], [16000, 8000], [8000, 44100]];
    for (const [inRate, outRate] of pairs) {
      for (const n of [0, 1, 2, 3, 17, 1000, 4801, 20000]) {
        const x = noise(n, n + 1);
        const expected = Math.round((n * outRate!) / inRate!);
        expect(resample(inRate!, outRate!, x).length, `${inRate} -> ${outRate}, n = ${n}`).toBe(expected);
        if (n < 2000) {
          const chunked = resample(inRate!, outRate!, x, () => 1);
          expect(chunked.length, `${inRate} -> ${outRate}, n = ${n}, 1-sample chunks`).toBe(expected);
        }
      }
    }
  });

  it('gives bit-identical output for 1-sample chunks, random chunks and one chunk', () => {
    for (const inRate of [8000, 11025, 44100, 48000, 96000, 44101]) {
      const x = noise(20000, inRate);
      const whole = resample(inRate, 16000, x);
      const next = seededRandom(inRate + 7);
      const randomChunks = resample(inRate, 16000, x, () => 1 + Math.floor(next() * 3000));
      const single = resample(inRate, 16000, x, () => 1);
      expect(randomChunks.length).toBe(whole.length);
      expect(single.length).toBe(whole.length);
      expect(maxAbsDiff(whole, randomChunks), `${inRate}: random chunks`).toBe(0);
      expect(maxAbsDiff(whole, single), `${inRate}: 1-sample chunks`).toBe(0);
    }
  });

  it('starts a new stream after flush', () => {
    const x = noise(5000, 3);
    const r = createResampler(44100, 16000);
    const first = [r.process(x), r.flush()];
    const second = [r.process(x), r.flush()];
    expect(second[0]).toEqual(first[0]);
    expect(second[1]).toEqual(first[1]);
  });

  it('attenuates a 10 kHz tone at 44.1 kHz by at least 60 dB', () => {
    const x = tones(44100, 44100, [10000]);
    const y = resample(44100, 16000, x);
    expect(db(rms(y, 200, y.length - 200) / rms(x))).toBeLessThan(-60);
  });

  it('keeps every tone from 9 kHz up to the input Nyquist at least 60 dB down (nothing aliases into 0..7 kHz)', () => {
    for (const inRate of [44100, 48000]) {
      for (let f = 9000; f < inRate / 2; f += 250) {
        const x = tones(inRate / 4, inRate, [f], [0.3]);
        const y = resample(inRate, 16000, x);
        expect(db(rms(y, 100, y.length - 100) / rms(x)), `${inRate} Hz input, ${f} Hz tone`).toBeLessThan(-60);
      }
    }
  });

  it('keeps the passband flat within 0.1 dB up to 6.5 kHz', () => {
    for (const inRate of [44100, 48000]) {
      for (const f of [100, 1000, 2500, 4000, 5500, 6500]) {
        const y = resample(inRate, 16000, tones(inRate / 2, inRate, [f]));
        // Least-squares amplitude of the f-Hz component, away from the edges.
        let s = 0;
        let c = 0;
        const from = 100;
        const to = y.length - 100;
        for (let k = from; k < to; k++) {
          s += y[k]! * Math.sin((2 * Math.PI * f * k) / 16000);
          c += y[k]! * Math.cos((2 * Math.PI * f * k) / 16000);
        }
        const gain = (2 * Math.hypot(s, c)) / (to - from);
        expect(Math.abs(db(gain)), `${inRate} Hz input, ${f} Hz tone`).toBeLessThan(0.1);
      }
    }
  });

  it('keeps a 1 kHz tone aligned in time: output k is the input at time k / 16000', () => {
    for (const inRate of [44100, 48000]) {
      const y = resample(inRate, 16000, tones(inRate, inRate, [1000]));
      const expected = tones(y.length, 16000, [1000]);
      // Half a filter span in from either edge the zero padding no longer reaches.
      expect(maxAbsDiff(y, expected, 32, y.length - 32), `${inRate} Hz input`).toBeLessThan(1e-3);
      expect(db(rms(y, 32, y.length - 32) / rms(expected, 32, y.length - 32))).toBeCloseTo(0, 1);
    }
  });

  // Finding: libsamplerate's simple() compensates its filter delay. Its output has the same length
  // as ours and lines up at lag 0 (one output sample off, the error is as large as the signal:
  // -3 to +1.4 dB), and like ours it treats the signal as zero outside the input, so both differ
  // from the analytic tones only in the first and last few samples.
  it('agrees with libsamplerate SRC_SINC_BEST_QUALITY on a band-limited signal', async () => {
    const freqs = [220, 770, 1330, 2450, 3100, 4410, 5230, 5900];
    const phases = freqs.map((_, i) => 1.3 * i);
    for (const inRate of [8000, 22050, 44100, 48000, 96000, 44101]) {
      const inBand = freqs.filter((f) => f < 0.4 * Math.min(inRate, 16000));
      const x = tones(inRate, inRate, inBand, phases);
      const src = await create(1, inRate, 16000, { converterType: ConverterType.SRC_SINC_BEST_QUALITY });
      const reference = src.simple(x);
      src.destroy();
      const y = resample(inRate, 16000, x);
      expect(reference.length).toBe(y.length);
      const from = 200;
      const to = y.length - 200;
      expect(errorDb(reference, y, from, to), `${inRate} Hz input vs libsamplerate`).toBeLessThan(-50);
      const analytic = tones(y.length, 16000, inBand, phases);
      expect(errorDb(analytic, y, from, to), `${inRate} Hz input vs analytic`).toBeLessThan(-50);
      expect(errorDb(reference, y.subarray(1), from, to), 'one sample off must not pass').toBeGreaterThan(-10);
    }
  });

  it('runs the kernel resampler-kernel.wat assembles to (after an edit: node scripts/build-resampler-kernel.mjs)', async () => {
    const committed = readFileSync(new URL('../../src/main/engine/resampler-kernel-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(kernelModuleText(await assembleKernel()));
  });

  it('passes audio through unchanged when the rates are equal', () => {
    const x = noise(1000, 9);
    const r = createResampler(16000, 16000);
    const y = r.process(x);
    expect(y).toEqual(x);
    expect(y.buffer).not.toBe(x.buffer);
    expect(r.flush().length).toBe(0);
  });

  it('rejects rates that are not positive integers', () => {
    expect(() => createResampler(44100.5, 16000)).toThrow(RangeError);
    expect(() => createResampler(44100, 0)).toThrow(RangeError);
  });
});
