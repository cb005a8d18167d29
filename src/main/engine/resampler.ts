// Streaming band-limited sample-rate conversion (Kaiser-windowed sinc, polyphase FIR).
import { RESAMPLER_KERNEL_BASE64 } from './resampler-kernel-wasm';

export interface Resampler {
  /** Resample the next chunk of one channel; returns the output samples computable so far (may be empty). */
  process(input: Float32Array): Float32Array;
  /** End of stream: returns the remaining output so that, over the whole stream, the output has exactly Math.round(totalInput * outRate / inRate) samples, time-aligned with the input (no filter delay: output sample k corresponds to input time k/outRate). */
  flush(): Float32Array;
}

// The prototype filter is specified in samples of the lower of the two rates, so that one design
// serves every ratio (the tap count is the nearest even number to 2 * HALF_WIDTH * inRate / lower
// rate). For 16 kHz output it is flat within 0.08 dB up to 6.5 kHz and at least 65 dB down from
// 9 kHz on (66.5 dB for 44.1 and 48 kHz input), so nothing above 8 kHz aliases into 0..7 kHz
// louder than -65 dB. Beta and cutoff maximise that attenuation for the shortest half-width that
// clears 60 dB with margin: 11 reaches only 61 dB; 13 reaches 74 dB for 8% more work per output.
const HALF_WIDTH = 12;
const KAISER_BETA = 6.3;
const CUTOFF = 0.478;

/**
 * Ratios whose reduced form needs more phases than this, or whose output groups span more input
 * than MAX_GROUP_SPAN, use an interpolated table: an exact one would cost too much memory.
 */
const MAX_EXACT_PHASES = 1024;
const MAX_GROUP_SPAN = 1 << 16;
/** Phases of the interpolated table used for awkward ratios; linear interpolation between them errs below -100 dB. */
const INTERPOLATED_PHASES = 512;
/**
 * Outputs that share a phase are computed together so each coefficient is loaded once for all of
 * them (resampler-kernel.wat's $dot8 is the same eight).
 */
const GROUP = 8;
/** Input samples taken per pass besides the filter span: bounds memory and keeps the buffer in cache. */
const BLOCK = 8192;

export function createResampler(inRate: number, outRate: number): Resampler {
  for (const rate of [inRate, outRate]) {
    if (!Number.isInteger(rate) || rate <= 0) {
      throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
    }
  }
  return inRate === outRate ? new Passthrough() : new PolyphaseResampler(inRate, outRate);
}

class Passthrough implements Resampler {
  // A copy, because callers may reuse their input buffer while still holding our output.
  process(input: Float32Array): Float32Array {
    return input.slice();
  }

  flush(): Float32Array {
    return new Float32Array(0);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** floor(a / b) for non-negative integers, exact even where the float quotient rounds across an integer. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; term > 1e-17 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * Row `r` holds the taps for an output that falls `r / rows` of an input sample after the newest
 * input sample at or before it. Each row is normalised to unit sum so that DC passes exactly at
 * every phase (otherwise the phase-to-phase gain ripple would modulate DC into a tone).
 */
function buildTable(rows: number, rowCount: number, taps: number, ratio: number): Float32Array {
  const half = taps / 2;
  const fc = CUTOFF / ratio; // cycles per input sample
  const norm = besselI0(KAISER_BETA);
  const table = new Float32Array(rowCount * taps);
  const row = new Float64Array(taps);
  for (let r = 0; r < rowCount; r++) {
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const t = r / rows + half - 1 - j; // distance from the output instant, in input samples
      const u = t / half;
      const window = u * u < 1 ? besselI0(KAISER_BETA * Math.sqrt(1 - u * u)) / norm : 0;
      const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
      row[j] = sinc * window;
      sum += row[j];
    }
    for (let j = 0; j < taps; j++) table[r * taps + j] = row[j] / sum;
  }
  return table;
}

/**
 * Tables never change once built: the channels of a stream, and streams one after another, share
 * them. The last few only: a client may start streams at any of thousands of rates.
 */
const TABLES_KEPT = 4;
const tables = new Map<string, Float32Array>();
function sharedTable(rows: number, rowCount: number, taps: number, ratio: number): Float32Array {
  const key = `${rows} ${rowCount} ${taps} ${ratio}`;
  const table = tables.get(key) ?? buildTable(rows, rowCount, taps, ratio);
  // Map keeps insertion order: set again, the table becomes the most recently used.
  tables.delete(key);
  tables.set(key, table);
  if (tables.size > TABLES_KEPT) tables.delete(tables.keys().next().value!);
  return table;
}

type ConvolveExact = (buf: number, table: number, taps: number, up: number, down: number, pos: number, phase: number, count: number, out: number) => void;

/**
 * The WebAssembly kernel for the ratios whose table has a row per phase (44.1 or 48 kHz to 16 kHz
 * and most others; resampler-kernel.wat), about four times as fast as the same loops were in
 * JavaScript. One per process: the engine's resamplers take turns on one thread, each copying the
 * part of its buffer a pass needs into the kernel's memory (a few microseconds against tens for
 * the pass), where a memory per resampler would reserve gigabytes of address space each. The
 * memory never grows but is replaced when a resampler needs more: a growing one would detach its
 * buffer, and once any buffer in a process is detached V8 checks every typed-array access, which
 * costs the engine's other loops about 20%.
 */
class ExactKernel {
  private module?: WebAssembly.Module;
  private convolve?: ConvolveExact;
  private floats = new Float32Array(0);
  /** The table in the memory's first floats. */
  private loaded?: Float32Array;

  /** `count` outputs from buf[pos..len) with `table`, written to out[k..]. */
  run(
    table: Float32Array,
    buf: Float32Array,
    pos: number,
    len: number,
    taps: number,
    up: number,
    down: number,
    phase: number,
    count: number,
    out: Float32Array,
    k: number,
  ): void {
    const bufAt = table.length;
    const outAt = bufAt + len - pos;
    if (!this.convolve || this.floats.length < outAt + count) this.replaceMemory(outAt + count);
    if (this.loaded !== table) {
      this.floats.set(table);
      this.loaded = table;
    }
    this.floats.set(buf.subarray(pos, len), bufAt);
    const bytes = Float32Array.BYTES_PER_ELEMENT;
    this.convolve!(bufAt * bytes, 0, taps, up, down, 0, phase, count, outAt * bytes);
    out.set(this.floats.subarray(outAt, outAt + count), k);
  }

  private replaceMemory(floats: number): void {
    this.module ??= new WebAssembly.Module(Buffer.from(RESAMPLER_KERNEL_BASE64, 'base64'));
    const memory = new WebAssembly.Memory({ initial: Math.ceil((floats * Float32Array.BYTES_PER_ELEMENT) / 65536) });
    this.convolve = new WebAssembly.Instance(this.module, { env: { memory } }).exports['convolve'] as ConvolveExact;
    this.floats = new Float32Array(memory.buffer);
    this.loaded = undefined;
  }
}
const exactKernel = new ExactKernel();

/**
 * The state is the position of the next output: buffer index `pos` of its first tap plus
 * `phase / up` of an input sample. Between calls the buffer keeps only the samples that
 * outputs not yet produced still need (less than one filter span plus one group).
 */
class PolyphaseResampler implements Resampler {
  private readonly up: number;
  private readonly down: number;
  private readonly taps: number;
  private readonly exact: boolean;
  private readonly table: Float32Array;
  private readonly buf: Float32Array;
  private len = 0;
  private pos = 0;
  private phase = 0;
  private received = 0;
  private produced = 0;

  constructor(
    private readonly inRate: number,
    private readonly outRate: number,
  ) {
    const g = gcd(inRate, outRate);
    this.up = outRate / g;
    this.down = inRate / g;
    const ratio = inRate / Math.min(inRate, outRate);
    this.taps = 2 * Math.round(HALF_WIDTH * ratio);
    this.exact = this.up <= MAX_EXACT_PHASES && GROUP * this.down <= MAX_GROUP_SPAN;
    this.table = this.exact ? sharedTable(this.up, this.up, this.taps, ratio) : sharedTable(INTERPOLATED_PHASES, INTERPOLATED_PHASES + 1, this.taps, ratio);
    // Room for the unfinished group carried from the previous block plus a new block of input.
    this.buf = new Float32Array(this.taps + (this.exact ? GROUP * this.down : 0) + BLOCK);
    this.reset();
  }

  process(input: Float32Array): Float32Array {
    this.received += input.length;
    const ready = this.received - this.taps / 2;
    const total = ready > 0 ? floorDiv(ready * this.up + this.down - 1, this.down) : 0;
    const out = new Float32Array(total - this.produced);
    this.consume(input, out);
    return out;
  }

  flush(): Float32Array {
    const total = Math.round((this.received * this.outRate) / this.inRate);
    const out = new Float32Array(total - this.produced);
    if (out.length > 0) {
      // Zeros past the end stand in for the missing right half of the last outputs' windows.
      const lastTap = floorDiv((total - 1) * this.down, this.up) + this.taps / 2;
      this.consume(new Float32Array(Math.max(0, lastTap - this.received + 1)), out);
    }
    this.reset();
    return out;
  }

  private reset(): void {
    // Zeros before the start stand in for the missing left half of the first outputs' windows.
    this.buf.fill(0, 0, this.taps / 2 - 1);
    this.len = this.taps / 2 - 1;
    this.pos = 0;
    this.phase = 0;
    this.received = 0;
    this.produced = 0;
  }

  /** Appends `input` and writes the outputs it completes to `out`, whose first element is output number `produced`. */
  private consume(input: Float32Array, out: Float32Array): void {
    const start = this.produced;
    let i = 0;
    do {
      const n = Math.min(input.length - i, this.buf.length - this.len);
      this.buf.set(input.subarray(i, i + n), this.len);
      this.len += n;
      i += n;
      this.convolve(out, this.produced - start, i === input.length);
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.pos = 0;
    } while (i < input.length);
  }

  /**
   * Computes the outputs whose taps are all in the buffer, up to the end of `out`. Mid-input
   * (`last` false) only whole groups are computed; the rest wait for the next block, where they
   * become part of a group, so the slower one-at-a-time path runs at most once per call.
   */
  private convolve(out: Float32Array, k: number, last: boolean): void {
    const { buf, table, taps, up, down, pos, phase } = this;
    const slack = this.len - taps - pos;
    if (slack < 0) return;
    const available = Math.min(floorDiv((slack + 1) * up - phase + down - 1, down), out.length - k);
    const whole = GROUP * up;
    const count = this.exact && !last ? available - (available % whole) : available;
    if (this.exact) exactKernel.run(table, buf, pos, this.len, taps, up, down, phase, count, out, k);
    else convolveInterpolated(buf, table, taps, up, down, pos, phase, count, out, k);
    const t = phase + count * down;
    this.pos += Math.floor(t / up);
    this.phase = t % up;
    this.produced += count;
  }
}

// The kernel for awkward ratios (the ratios with a row per phase run in resampler-kernel.wat): a
// free function over plain typed arrays so that V8 keeps it monomorphic.

/** For large `up`: evaluates the two table rows around the exact phase and blends them. */
function convolveInterpolated(
  buf: Float32Array,
  table: Float32Array,
  taps: number,
  up: number,
  down: number,
  pos: number,
  phase: number,
  count: number,
  out: Float32Array,
  k: number,
): void {
  const step = Math.floor(down / up);
  const rest = down % up;
  for (let n = 0, p = pos, ph = phase; n < count; n++) {
    const u = (ph * INTERPOLATED_PHASES) / up;
    const row = Math.floor(u);
    const frac = u - row;
    const o0 = row * taps;
    const o1 = o0 + taps;
    let s0 = 0;
    let s1 = 0;
    for (let j = 0; j < taps; j++) {
      const x = buf[p + j];
      s0 += x * table[o0 + j];
      s1 += x * table[o1 + j];
    }
    out[k + n] = s0 + frac * (s1 - s0);
    p += step;
    ph += rest;
    if (ph >= up) {
      ph -= up;
      p++;
    }
  }
}
