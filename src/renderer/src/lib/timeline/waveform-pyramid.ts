// The waveform envelope reduced to one value per pixel column. Three hours at 100 values a
// second is a million values per channel; zoomed out, a column covers hundreds of them. A max
// pyramid (each level the pairwise max of the one below) answers the max of any range in
// O(log n) steps, so a frame reads a few thousand values instead of millions.
import { xToTime, type TimeView } from './time-scale';

/**
 * levels[0] is the envelope itself; levels[k + 1][i] = max(levels[k][2i], levels[k][2i + 1]).
 * The levels above hold ceil(n / 2^k) values, with room after them to grow.
 */
export interface MaxPyramid {
  levels: Float32Array[];
}

/** Room for `length` values, in powers of two so that a growing envelope reallocates rarely. */
function withRoomFor(level: Float32Array | undefined, validLength: number, length: number): Float32Array {
  if (level && level.length >= length) return level;
  const grown = new Float32Array(2 ** Math.ceil(Math.log2(Math.max(length, 1))));
  if (level) grown.set(level.subarray(0, validLength));
  return grown;
}

/**
 * The pyramid of `values`. While recording, the envelope grows as longer views of one buffer
 * (`subarray(0, n)`): given the previous pyramid of a shorter view of the same memory, only the
 * new values and their ancestors are computed, and `previous`'s levels are reused in place.
 */
export function buildMaxPyramid(values: Float32Array, previous?: MaxPyramid): MaxPyramid {
  const previousValues = previous?.levels[0];
  const grows =
    previousValues !== undefined &&
    previousValues.buffer === values.buffer &&
    previousValues.byteOffset === values.byteOffset &&
    previousValues.length <= values.length;
  const levels = [values];
  let below = values;
  let belowLength = values.length;
  let previousBelowLength = grows ? previousValues.length : 0;
  // The first index of the level below whose value is new.
  let changedFrom = previousBelowLength;
  for (let k = 1; belowLength > 1; k++) {
    const length = (belowLength + 1) >> 1;
    const previousLength = (previousBelowLength + 1) >> 1;
    const level = withRoomFor(grows ? previous?.levels[k] : undefined, previousLength, length);
    for (let i = changedFrom >> 1; i < length; i++) {
      const a = below[2 * i]!;
      const b = 2 * i + 1 < belowLength ? below[2 * i + 1]! : a;
      level[i] = a > b ? a : b;
    }
    levels.push(level);
    changedFrom >>= 1;
    below = level;
    belowLength = length;
    previousBelowLength = previousLength;
  }
  return { levels };
}

/** The max of values [from, to), 0 when the range is empty or outside the envelope. */
export function rangeMax(pyramid: MaxPyramid, from: number, to: number): number {
  let low = Math.max(0, from);
  let high = Math.min(pyramid.levels[0]!.length, to);
  let best = 0;
  // Bottom-up, like a segment tree: take the odd ends at each level, then halve the range.
  for (let level = 0; low < high; level++) {
    const values = pyramid.levels[level]!;
    if (low & 1) best = Math.max(best, values[low++]!);
    if (high & 1) best = Math.max(best, values[--high]!);
    low >>= 1;
    high >>= 1;
  }
  return best;
}

/**
 * Fills `out` (one value per column, `columnWidth` CSS px wide, the first at x = 0) with the
 * loudest value of any channel under each column. Zoomed out, the columns split the envelope
 * exactly; zoomed in past one value per column, each column shows the value it falls in.
 */
export function envelopeColumns(pyramids: readonly MaxPyramid[], valuesPerSecond: number, view: TimeView, columnWidth: number, out: Float32Array): void {
  let from = Math.floor(xToTime(view, 0) * valuesPerSecond);
  for (let column = 0; column < out.length; column++) {
    const to = Math.floor(xToTime(view, (column + 1) * columnWidth) * valuesPerSecond);
    const end = Math.max(to, from + 1);
    let loudest = 0;
    for (const pyramid of pyramids) loudest = Math.max(loudest, rangeMax(pyramid, from, end));
    out[column] = loudest;
    from = to;
  }
}
