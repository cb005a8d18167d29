// Turns the visible segments of a lane into the rectangles to draw. Zoomed out, thousands of
// segments fall on a few hundred pixels: blocks narrower than a pixel that touch are drawn as one,
// so a frame costs at most a few rectangles per pixel column, however many segments there are.
import { candidateRange, type Lane } from './segment-index';
import { timeToX, type TimeView } from './time-scale';

/** Reusable output buffers: a frame allocates nothing. */
export class PixelRuns {
  x0 = new Float64Array(256);
  x1 = new Float64Array(256);
  /** How many segments each run stands for (1: one block drawn as itself). */
  members = new Int32Array(256);
  length = 0;

  push(x0: number, x1: number): void {
    if (this.length === this.x0.length) this.grow();
    this.x0[this.length] = x0;
    this.x1[this.length] = x1;
    this.members[this.length] = 1;
    this.length++;
  }

  private grow(): void {
    const size = this.x0.length * 2;
    const x0 = new Float64Array(size);
    const x1 = new Float64Array(size);
    const members = new Int32Array(size);
    x0.set(this.x0);
    x1.set(this.x1);
    members.set(this.members);
    this.x0 = x0;
    this.x1 = x1;
    this.members = members;
  }
}

export interface RunOptions {
  /** The visible width in CSS px. */
  width: number;
  /** Blocks narrower than this (CSS px) join a neighbouring narrow block: one device pixel. */
  narrowPx: number;
  /** Narrow blocks closer than this (CSS px) become one run. */
  gapPx: number;
}

/**
 * Fills `out` with the runs of the segments of `lane` visible in `view`, left to right, their x in
 * CSS px clipped to just outside the canvas. A block that overlaps the previous run joins it (an
 * interim covering the one before it draws as their union); narrow blocks within `gapPx` of a run
 * of narrow blocks join it; any other block is a run of its own.
 */
export function collectRuns(lane: Lane, view: TimeView, options: RunOptions, out: PixelRuns): void {
  const { width, narrowPx, gapPx } = options;
  const from = view.start;
  const to = view.start + width * view.secondsPerPixel;
  const [first, end] = candidateRange(lane, from, to);
  out.length = 0;
  let lastIsCluster = false;
  for (let i = first; i < end; i++) {
    if (lane.ends[i]! < from) continue;
    const x0 = Math.max(timeToX(view, lane.starts[i]!), -2);
    const x1 = Math.min(timeToX(view, lane.ends[i]!), width + 2);
    const narrow = x1 - x0 < narrowPx;
    const last = out.length - 1;
    if (last >= 0) {
      const runEnd = out.x1[last]!;
      const overlaps = x0 < runEnd;
      const joinsCluster = narrow && lastIsCluster && x0 - runEnd < gapPx;
      if (overlaps || joinsCluster) {
        if (x1 > runEnd) out.x1[last] = x1;
        out.members[last] += 1;
        continue;
      }
    }
    out.push(x0, x1);
    lastIsCluster = narrow;
  }
}
