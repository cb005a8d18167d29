// Segments grouped per channel and kind, sorted by start, so that a frame finds the visible ones
// by binary search instead of walking all of them.
import type { SegmentKind, TimelineSegment } from './types';

/** Drawing order, bottom to top; hit testing goes the other way. */
export const KINDS_BOTTOM_UP: readonly SegmentKind[] = ['final', 'interim', 'error'];

/** The segments of one channel and one kind, sorted by start. */
export interface Lane {
  segments: TimelineSegment[];
  starts: Float64Array;
  ends: Float64Array;
  /**
   * The latest end among segments 0..i. It never decreases, so a binary search on it finds the
   * first segment that may still be visible, even behind a long one that started earlier.
   */
  maxEndSoFar: Float64Array;
}

export interface SegmentIndex {
  /** lanes[channel][k] holds the segments of KINDS_BOTTOM_UP[k]. */
  lanes: Lane[][];
  byId: Map<number, TimelineSegment>;
  counts: Record<SegmentKind, number>;
}

function isSortedByStart(segments: TimelineSegment[]): boolean {
  for (let i = 1; i < segments.length; i++) if (segments[i]!.start < segments[i - 1]!.start) return false;
  return true;
}

function buildLane(segments: TimelineSegment[]): Lane {
  // Events mostly arrive in order: check before paying for a sort.
  if (!isSortedByStart(segments)) segments.sort((a, b) => a.start - b.start);
  const n = segments.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const maxEndSoFar = new Float64Array(n);
  let latestEnd = -Infinity;
  for (let i = 0; i < n; i++) {
    const segment = segments[i]!;
    starts[i] = segment.start;
    ends[i] = Math.max(segment.start, segment.end);
    latestEnd = Math.max(latestEnd, ends[i]!);
    maxEndSoFar[i] = latestEnd;
  }
  return { segments, starts, ends, maxEndSoFar };
}

/** Segments whose channel is not in [0, channels) are left out (they have no lane). */
export function buildSegmentIndex(segments: readonly TimelineSegment[], channels: number): SegmentIndex {
  const grouped: TimelineSegment[][][] = Array.from({ length: channels }, () => KINDS_BOTTOM_UP.map(() => []));
  const byId = new Map<number, TimelineSegment>();
  const counts: Record<SegmentKind, number> = { final: 0, interim: 0, error: 0 };
  for (const segment of segments) {
    const lane = grouped[segment.channel];
    const kind = KINDS_BOTTOM_UP.indexOf(segment.kind);
    if (!lane || kind < 0) continue;
    lane[kind]!.push(segment);
    byId.set(segment.id, segment);
    counts[segment.kind]++;
  }
  return { lanes: grouped.map((kinds) => kinds.map(buildLane)), byId, counts };
}

/** The first index whose value is >= target, in a non-decreasing array. */
export function lowerBound(values: Float64Array, target: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The first index whose value is > target, in a non-decreasing array. */
export function upperBound(values: Float64Array, target: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! <= target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The index range [first, end) holding every segment that touches [from, to]. It may also hold
 * a few that end before `from` (overlapped by a longer earlier one): callers skip those by `ends`.
 */
export function candidateRange(lane: Lane, from: number, to: number): [number, number] {
  return [lowerBound(lane.maxEndSoFar, from), upperBound(lane.starts, to)];
}

/**
 * The segment of `channel` at `time`: the topmost kind first (errors, then interims, then
 * finals), within that the shortest one containing `time`, else the nearest within `tolerance`.
 */
export function segmentAt(index: SegmentIndex, channel: number, time: number, tolerance: number): TimelineSegment | undefined {
  const kinds = index.lanes[channel];
  if (!kinds) return undefined;
  for (let k = kinds.length - 1; k >= 0; k--) {
    const lane = kinds[k]!;
    const [first, end] = candidateRange(lane, time - tolerance, time + tolerance);
    let best: TimelineSegment | undefined;
    let bestContains = false;
    let bestMeasure = Infinity; // length if containing, else distance
    for (let i = first; i < end; i++) {
      const start = lane.starts[i]!;
      const stop = lane.ends[i]!;
      const contains = time >= start && time <= stop;
      const measure = contains ? stop - start : time < start ? start - time : time - stop;
      if (!contains && (bestContains || measure > tolerance)) continue;
      if ((contains && !bestContains) || measure < bestMeasure) {
        best = lane.segments[i];
        bestContains = contains;
        bestMeasure = measure;
      }
    }
    if (best) return best;
  }
  return undefined;
}

/**
 * The segments that contain `time` (start <= time < end), on any channel, errors with a duration
 * included, in channel order. Only the candidates around `time` are looked at.
 */
export function segmentsAt(index: SegmentIndex, time: number): TimelineSegment[] {
  const found: TimelineSegment[] = [];
  for (const kinds of index.lanes) {
    for (const lane of kinds) {
      const [first, end] = candidateRange(lane, time, time);
      for (let i = first; i < end; i++) {
        if (lane.starts[i]! <= time && time < lane.ends[i]!) found.push(lane.segments[i]!);
      }
    }
  }
  return found;
}
