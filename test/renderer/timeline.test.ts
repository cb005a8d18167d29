// The timeline's pure logic: time mapping and zoom, ticks and labels, the segment index and its
// visible-range search, pixel merging, the waveform pyramid, the layout, labels cut to fit, and
// the playhead (the segments under it, zoom around it, the view paging along). The canvas
// drawing is checked in a browser by test/e2e/player.test.ts and bench/timeline.bench.ts.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../support/helpers';
import { fitLabel, PrefixWidths } from '../../src/renderer/src/lib/timeline/labels';
import { computeLayout, GUTTER_WIDTH, laneAt, laneTop, regionAt, waveformTop } from '../../src/renderer/src/lib/timeline/layout';
import { collectRuns, PixelRuns } from '../../src/renderer/src/lib/timeline/pixel-runs';
import { buildSegmentIndex, candidateRange, segmentAt, segmentsAt, type Lane } from '../../src/renderer/src/lib/timeline/segment-index';
import { chooseMinorStep, chooseTickStep, decimalsFor, formatClock, formatTickLabel, tickTimes } from '../../src/renderer/src/lib/timeline/ticks';
import {
  clampStart,
  defaultSecondsPerPixel,
  followPlayhead,
  isAtEnd,
  LIVE_WINDOW_SECONDS,
  maxSecondsPerPixel,
  MIN_SECONDS_PER_PIXEL,
  overviewSpan,
  revealRange,
  scrollBy,
  timeToX,
  wheelDeltaPixels,
  wheelZoomFactor,
  xToTime,
  zoomAround,
  zoomToward,
} from '../../src/renderer/src/lib/timeline/time-scale';
import type { SegmentKind, TimelineSegment } from '../../src/renderer/src/lib/timeline/types';
import { buildMaxPyramid, envelopeColumns, rangeMax } from '../../src/renderer/src/lib/timeline/waveform-pyramid';

function segment(id: number, start: number, end: number, kind: SegmentKind = 'final', channel = 0): TimelineSegment {
  return { id, channel, start, end, kind };
}

/** Random segments, some long and overlapping, in random order. */
function randomSegments(count: number, seed: number, span: number): TimelineSegment[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, id) => {
    const start = next() * span;
    const length = next() < 0.05 ? next() * span * 0.2 : next() * 3;
    return segment(id, start, start + length);
  });
}

function laneOf(segments: TimelineSegment[]): Lane {
  return buildSegmentIndex(segments, 1).lanes[0]![0]!;
}

describe('time scale', () => {
  const width = 1000;
  const duration = 3 * 3600;

  it('maps time to x and back', () => {
    const view = { start: 100, secondsPerPixel: 0.5 };
    expect(timeToX(view, 100)).toBe(0);
    expect(timeToX(view, 150)).toBe(100);
    expect(xToTime(view, timeToX(view, 1234.5))).toBeCloseTo(1234.5, 9);
  });

  it('zooms around the pointer: the time under it stays under it', () => {
    const view = { start: 3000, secondsPerPixel: 2 };
    const anchorX = 300;
    const before = xToTime(view, anchorX);
    const zoomed = zoomAround(view, anchorX, 0.25, width, duration);
    expect(zoomed.secondsPerPixel).toBeCloseTo(0.5, 12);
    expect(xToTime(zoomed, anchorX)).toBeCloseTo(before, 9);
  });

  it('keeps zoom between 10 ms across 1000 px and the whole session', () => {
    const view = { start: 0, secondsPerPixel: 1 };
    expect(zoomAround(view, 0, 1e-9, width, duration).secondsPerPixel).toBe(MIN_SECONDS_PER_PIXEL);
    expect(zoomAround(view, 0, 1e9, width, duration).secondsPerPixel).toBe(duration / width);
    // A short session still zooms out to 10 s, so a new recording is not shown at ms scale.
    expect(maxSecondsPerPixel(2, width)).toBe(10 / width);
  });

  it('keeps the view within the session when scrolling and zooming out near an edge', () => {
    const view = { start: duration - 500, secondsPerPixel: 0.5 };
    expect(scrollBy(view, 10_000, width, duration).start).toBe(duration - 500);
    expect(scrollBy(view, -1e9, width, duration).start).toBe(0);
    const zoomedOut = zoomAround(view, 900, 4, width, duration);
    expect(zoomedOut.start + width * zoomedOut.secondsPerPixel).toBeLessThanOrEqual(duration + 1e-9);
    expect(clampStart(-5, 1, width, 100)).toBe(0);
  });

  it('knows when the newest audio is at the right edge', () => {
    expect(isAtEnd({ start: duration - 1000, secondsPerPixel: 1 }, width, duration)).toBe(true);
    expect(isAtEnd({ start: duration - 1010, secondsPerPixel: 1 }, width, duration)).toBe(false);
    // Zoomed out past the session, the end is always in view.
    expect(isAtEnd({ start: 0, secondsPerPixel: 1 }, width, 200)).toBe(true);
  });

  it('starts with the whole session, or the last minute while following', () => {
    expect(defaultSecondsPerPixel(duration, width, false)).toBe(duration / width);
    expect(defaultSecondsPerPixel(duration, width, true)).toBe(LIVE_WINDOW_SECONDS / width);
    expect(defaultSecondsPerPixel(3, width, true)).toBe(10 / width);
  });

  it('reveals a range: untouched when visible, centred when it fits, else from just before it', () => {
    const view = { start: 100, secondsPerPixel: 0.1 }; // 100..200 s
    expect(revealRange(view, 120, 130, width, duration)).toBe(view);
    expect(revealRange(view, 500, 510, width, duration).start).toBeCloseTo(455, 9);
    expect(revealRange(view, 500, 800, width, duration).start).toBeCloseTo(490, 9);
  });

  it('reads wheel deltas in pixels, lines or pages, and zooms out scrolling down', () => {
    expect(wheelDeltaPixels(3, 0, 800)).toBe(3);
    expect(wheelDeltaPixels(3, 1, 800)).toBe(48);
    expect(wheelDeltaPixels(1, 2, 800)).toBe(800);
    expect(wheelZoomFactor(100)).toBeGreaterThan(1);
    expect(wheelZoomFactor(-100)).toBeCloseTo(1 / wheelZoomFactor(100), 12);
    expect(wheelZoomFactor(0)).toBe(1);
  });
});

describe('ticks', () => {
  it('picks readable steps from milliseconds to hours', () => {
    expect(chooseTickStep(1e-5, 84)).toBe(0.001);
    expect(chooseTickStep(1e-3, 84)).toBe(0.1);
    expect(chooseTickStep(0.05, 84)).toBe(5);
    expect(chooseTickStep(0.3, 84)).toBe(30);
    expect(chooseTickStep(10, 84)).toBe(900);
    expect(chooseTickStep(10.8, 84)).toBe(1800);
    expect(chooseTickStep(200, 84)).toBe(21600);
    expect(chooseTickStep(5000, 84)).toBe(86400 * 5);
  });

  it('keeps labelled ticks at least the asked spacing apart at any zoom', () => {
    for (let secondsPerPixel = 1e-5; secondsPerPixel < 1e4; secondsPerPixel *= 1.37) {
      const step = chooseTickStep(secondsPerPixel, 84);
      expect(step / secondsPerPixel).toBeGreaterThanOrEqual(84);
    }
  });

  it('picks minor ticks that divide the major step', () => {
    expect(chooseMinorStep(10, 0.05, 10)).toBe(1);
    expect(chooseMinorStep(5, 0.05, 10)).toBe(0.5);
    expect(chooseMinorStep(5, 0.1, 10)).toBe(1);
    expect(chooseMinorStep(900, 10, 10)).toBe(300);
    expect(chooseMinorStep(0.001, 1e-5, 10)).toBeUndefined();
  });

  it('lists exact multiples without drift', () => {
    expect(tickTimes(0.95, 1.31, 0.1).map((t) => t.toFixed(9))).toEqual(['1.000000000', '1.100000000', '1.200000000', '1.300000000']);
    expect(tickTimes(0, 10800, 900)).toHaveLength(13);
    const fine = tickTimes(10_000, 10_000.01, 0.001);
    expect(fine).toHaveLength(11);
    expect(fine.map((t) => formatTickLabel(t, 0.001))[5]).toBe('2:46:40.005');
  });

  it('labels like 0:05, 1:02:30 and 12.5 s', () => {
    expect(formatTickLabel(5, 5)).toBe('0:05');
    expect(formatTickLabel(3750, 30)).toBe('1:02:30');
    expect(formatTickLabel(12.5, 0.5)).toBe('12.5 s');
    expect(formatTickLabel(0.25, 0.05)).toBe('0.25 s');
    expect(formatTickLabel(62.25, 0.05)).toBe('1:02.25');
    expect(formatTickLabel(59.99, 0.01)).toBe('59.99 s');
    expect(formatTickLabel(59.9999999, 0.5)).toBe('1:00.0');
    expect(formatTickLabel(36000, 3600)).toBe('10:00:00');
  });

  it('formats clock times with rounding that carries', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(59.6)).toBe('1:00');
    expect(formatClock(3599.96, 1)).toBe('1:00:00.0');
    expect(formatClock(-1)).toBe('0:00');
    expect(decimalsFor(0.2)).toBe(1);
    expect(decimalsFor(0.002)).toBe(3);
    expect(decimalsFor(15)).toBe(0);
  });
});

describe('segment index', () => {
  it('groups by channel and kind, sorts by start, counts, and leaves out unknown channels', () => {
    const index = buildSegmentIndex(
      [segment(1, 5, 6), segment(2, 1, 2), segment(3, 3, 3, 'error'), segment(4, 2, 4, 'interim', 1), segment(5, 1, 2, 'final', 7)],
      2,
    );
    expect(index.lanes[0]![0]!.segments.map((s) => s.id)).toEqual([2, 1]);
    expect(index.lanes[0]![2]!.segments.map((s) => s.id)).toEqual([3]);
    expect(index.lanes[1]![1]!.segments.map((s) => s.id)).toEqual([4]);
    expect(index.counts).toEqual({ final: 2, interim: 1, error: 1 });
    expect(index.byId.has(5)).toBe(false);
    expect(index.byId.get(4)?.channel).toBe(1);
  });

  it('finds exactly the segments touching a window, long overlapping ones included', () => {
    const segments = randomSegments(5000, 7, 10_000);
    const lane = laneOf(segments);
    const next = seededRandom(99);
    for (let trial = 0; trial < 300; trial++) {
      const from = next() * 10_000;
      const to = from + next() * (trial % 2 ? 5 : 2000);
      const [first, end] = candidateRange(lane, from, to);
      const found: number[] = [];
      for (let i = first; i < end; i++) if (lane.ends[i]! >= from) found.push(lane.segments[i]!.id);
      const expected = segments.filter((s) => s.end >= from && s.start <= to).map((s) => s.id);
      expect(found.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    }
  });

  it('searches only around the window', () => {
    const segments = Array.from({ length: 10_000 }, (_, i) => segment(i, i, i + 0.5));
    const [first, end] = candidateRange(laneOf(segments), 5000.7, 5003.2);
    expect([first, end]).toEqual([5001, 5004]);
  });

  it('hits the topmost kind, the shortest containing segment, or the nearest within tolerance', () => {
    const index = buildSegmentIndex(
      [segment(1, 0, 10), segment(2, 4, 5), segment(3, 20, 22, 'interim'), segment(4, 20.5, 20.5, 'error'), segment(5, 30, 31)],
      1,
    );
    expect(segmentAt(index, 0, 4.5, 0.1)?.id).toBe(2);
    expect(segmentAt(index, 0, 7, 0.1)?.id).toBe(1);
    expect(segmentAt(index, 0, 20.55, 0.1)?.id).toBe(4);
    expect(segmentAt(index, 0, 21.5, 0.1)?.id).toBe(3);
    expect(segmentAt(index, 0, 29.95, 0.1)?.id).toBe(5);
    expect(segmentAt(index, 0, 29.5, 0.1)).toBeUndefined();
    expect(segmentAt(index, 3, 5, 0.1)).toBeUndefined();
  });
});

describe('pixel runs', () => {
  const options = { width: 1000, narrowPx: 1, gapPx: 1 };

  it('draws wide blocks one by one and merges touching sub-pixel blocks', () => {
    const lane = laneOf([
      segment(1, 0, 10),
      segment(2, 10, 20), // touches 1, but both are wide: two runs
      segment(3, 30, 30.2),
      segment(4, 30.5, 30.7),
      segment(5, 31, 31.1), // 3-5: sub-pixel and less than a pixel apart: one run
      segment(6, 40, 40.2), // a pixel away from the last: a run of its own
    ]);
    const runs = new PixelRuns();
    collectRuns(lane, { start: 0, secondsPerPixel: 1 }, options, runs);
    expect(runs.length).toBe(4);
    expect(Array.from(runs.members.subarray(0, runs.length))).toEqual([1, 1, 3, 1]);
    expect([runs.x0[2], runs.x1[2]]).toEqual([30, 31.1]);
  });

  it('draws overlapping blocks as their union', () => {
    const lane = laneOf([segment(1, 10, 20), segment(2, 10, 25), segment(3, 10, 30)]);
    const runs = new PixelRuns();
    collectRuns(lane, { start: 0, secondsPerPixel: 1 }, options, runs);
    expect(runs.length).toBe(1);
    expect([runs.x0[0], runs.x1[0], runs.members[0]]).toEqual([10, 30, 3]);
  });

  it('clips to just outside the canvas and skips what is out of view', () => {
    const lane = laneOf([segment(1, 0, 5), segment(2, 10, 10_000), segment(3, 20_000, 20_001)]);
    const runs = new PixelRuns();
    collectRuns(lane, { start: 100, secondsPerPixel: 1 }, options, runs);
    expect(runs.length).toBe(1);
    expect([runs.x0[0], runs.x1[0]]).toEqual([-2, 1002]);
  });

  it('keeps 10,000 segments over three hours to a few hundred runs when zoomed out', () => {
    const segments = randomSegments(10_000, 3, 3 * 3600);
    const runs = new PixelRuns();
    collectRuns(laneOf(segments), { start: 0, secondsPerPixel: (3 * 3600) / 1000 }, options, runs);
    expect(runs.length).toBeLessThan(1000);
    let members = 0;
    for (let r = 0; r < runs.length; r++) members += runs.members[r]!;
    expect(members).toBe(10_000);
  });
});

describe('waveform pyramid', () => {
  it('answers the max of any range exactly, for any length', () => {
    const next = seededRandom(5);
    for (const length of [1, 2, 3, 7, 64, 1000, 1023, 1025]) {
      const values = Float32Array.from({ length }, () => next());
      const pyramid = buildMaxPyramid(values);
      for (let trial = 0; trial < 200; trial++) {
        const from = Math.floor(next() * length);
        const to = from + Math.floor(next() * (length - from + 1));
        const expected = values.subarray(from, to).reduce((a, b) => Math.max(a, b), 0);
        expect(rangeMax(pyramid, from, to)).toBe(expected);
      }
    }
  });

  it('grows with a recording: a longer view of the same buffer gives the pyramid of a full build', () => {
    const next = seededRandom(11);
    const buffer = new Float32Array(5000);
    let pyramid = buildMaxPyramid(buffer.subarray(0, 0));
    for (let length = 0; length < buffer.length;) {
      const grown = Math.min(buffer.length, length + 1 + Math.floor(next() * 300));
      for (let i = length; i < grown; i++) buffer[i] = next();
      length = grown;
      const view = buffer.subarray(0, length);
      pyramid = buildMaxPyramid(view, pyramid);
      const full = buildMaxPyramid(Float32Array.from(view));
      expect(pyramid.levels).toHaveLength(full.levels.length);
      full.levels.forEach((level, k) => expect(pyramid.levels[k]!.subarray(0, level.length)).toEqual(level));
    }
  });

  it('builds afresh from an envelope in other memory', () => {
    const first = buildMaxPyramid(Float32Array.from([0.9, 0.8, 0.7]));
    const other = buildMaxPyramid(Float32Array.from([0.1, 0.2, 0.3, 0.4]), first);
    expect(rangeMax(other, 0, 4)).toBeCloseTo(0.4, 6);
  });

  it('gives 0 outside the envelope', () => {
    const pyramid = buildMaxPyramid(Float32Array.from([0.5, 0.25]));
    expect(rangeMax(pyramid, 2, 10)).toBe(0);
    expect(rangeMax(pyramid, -5, 1)).toBe(0.5);
    expect(rangeMax(pyramid, 1, 1)).toBe(0);
  });

  it('splits the envelope exactly between columns when zoomed out, max of the channels', () => {
    const left = Float32Array.from({ length: 1000 }, (_, i) => (i % 100) / 100);
    const right = Float32Array.from({ length: 1000 }, (_, i) => (i === 250 ? 1 : 0));
    const columns = new Float32Array(10);
    // 100 values per second, 1 s per column: column c covers values [100c, 100c + 100).
    envelopeColumns([buildMaxPyramid(left), buildMaxPyramid(right)], 100, { start: 0, secondsPerPixel: 1 }, 1, columns);
    expect(columns[0]).toBeCloseTo(0.99, 6);
    expect(columns[2]).toBe(1);
    expect(columns[3]).toBeCloseTo(0.99, 6);
  });

  it('shows the value each column falls in when zoomed in, and silence past the end', () => {
    const values = Float32Array.from([0.1, 0.2, 0.3, 0.4]);
    const columns = new Float32Array(8);
    // 10 values per second, 0.05 s per column: two columns per value, the last four past the end.
    envelopeColumns([buildMaxPyramid(values)], 10, { start: 0.2, secondsPerPixel: 0.05 }, 1, columns);
    expect(Array.from(columns, (v) => Number(v.toFixed(2)))).toEqual([0.3, 0.3, 0.4, 0.4, 0, 0, 0, 0]);
  });
});

describe('layout', () => {
  it('stacks the axis, a waveform and a lane per channel, and the overview, right of the gutter', () => {
    const layout = computeLayout(800, 400, 2);
    expect(layout.plotLeft).toBe(GUTTER_WIDTH);
    expect(layout.plotWidth).toBe(800 - GUTTER_WIDTH);
    expect(layout.channelsTop).toBe(layout.axisTop + layout.axisHeight);
    expect(waveformTop(layout, 1)).toBe(layout.channelsTop + layout.bandHeight);
    expect(laneTop(layout, 0)).toBe(layout.channelsTop + layout.waveformHeight);
    expect(layout.channelsBottom).toBe(laneTop(layout, 1) + layout.laneHeight);
    expect(layout.overviewTop).toBeGreaterThanOrEqual(layout.channelsBottom);
    expect(layout.height).toBe(400);
  });

  it('gives the height it is given to the waveforms, and takes at least its minimum', () => {
    const small = computeLayout(800, 300, 2);
    const tall = computeLayout(800, 700, 2);
    expect(tall.laneHeight).toBe(small.laneHeight);
    expect(tall.waveformHeight - small.waveformHeight).toBe(200);
    expect(tall.height).toBe(700);
    // Nearly all of it: at most a pixel per channel lost to rounding.
    expect(tall.overviewTop - tall.channelsBottom).toBeLessThan(6 + 2);
    const cramped = computeLayout(800, 0, 2);
    expect(cramped.waveformHeight).toBeGreaterThan(0);
    expect(cramped.height).toBeGreaterThan(cramped.channelsBottom);
  });

  it('says what is under a point, and finds the lane under a point', () => {
    const layout = computeLayout(800, 400, 2);
    const x = layout.plotLeft + 10;
    expect(regionAt(layout, 2, 5, laneTop(layout, 0) + 1)).toEqual({ kind: 'gutter', channel: 0 });
    expect(regionAt(layout, 2, x, 5)).toEqual({ kind: 'axis' });
    expect(regionAt(layout, 2, x, waveformTop(layout, 1) + 1)).toEqual({ kind: 'waveform', channel: 1 });
    expect(regionAt(layout, 2, x, laneTop(layout, 1) + 1)).toEqual({ kind: 'lane', channel: 1 });
    expect(regionAt(layout, 2, x, layout.overviewTop + 1)).toEqual({ kind: 'overview' });
    expect(laneAt(layout, 2, laneTop(layout, 0) + 1)).toBe(0);
    expect(laneAt(layout, 2, laneTop(layout, 1) + 1)).toBe(1);
    expect(laneAt(layout, 2, waveformTop(layout, 0) + 1)).toBeUndefined();
    expect(laneAt(layout, 2, layout.channelsBottom + 1)).toBeUndefined();
  });

  it('makes lanes thinner with many channels', () => {
    expect(computeLayout(800, 0, 32).laneHeight).toBeLessThan(computeLayout(800, 0, 2).laneHeight);
  });
});

describe('labels', () => {
  // Every character 5 px wide, the ellipsis too.
  const fit = (text: string, room: number) => fitLabel(text, room, (length) => length * 5, 5);

  it('keeps a label that fits, cuts a longer one with an ellipsis, drops one with no room', () => {
    expect(fit('count 66048', 55)).toBe('count 66048');
    expect(fit('count 66048', 54)).toBe('count 660…');
    expect(fit('count 66048', 30)).toBe('count…');
    // No space before the ellipsis.
    expect(fit('count 66048', 35)).toBe('count…');
    expect(fit('count 66048', 10)).toBe('c…');
    expect(fit('count 66048', 9)).toBe('');
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(fit('ab😀cd', 20)).toBe('ab…');
  });

  it('measures the prefixes of a text once per font', () => {
    const cache = new PrefixWidths();
    let calls = 0;
    const measure = (text: string) => (calls++, text.length * 5);
    expect(Array.from(cache.of('hey', '11px a', measure))).toEqual([0, 5, 10, 15]);
    cache.of('hey', '11px a', measure);
    expect(calls).toBe(3);
    cache.of('hey', '12px a', measure);
    expect(calls).toBe(6);
  });
});

describe('playhead', () => {
  const width = 1000;
  const duration = 600;
  const view = { start: 100, secondsPerPixel: 0.01 }; // 100..110 s

  it('finds the segments under it on every channel, errors with a duration included', () => {
    const index = buildSegmentIndex(
      [segment(1, 0, 100), segment(2, 4, 5), segment(3, 4.5, 6, 'final', 1), segment(4, 5.5, 7, 'error'), segment(5, 6, 6, 'error'), segment(6, 20, 30)],
      2,
    );
    const ids = (time: number) =>
      segmentsAt(index, time)
        .map((s) => s.id)
        .sort((a, b) => a - b);
    expect(ids(4.7)).toEqual([1, 2, 3]);
    expect(ids(5)).toEqual([1, 3]);
    expect(ids(6)).toEqual([1, 4]);
    expect(ids(100)).toEqual([]);
  });

  it('keyboard zoom keeps the anchor where it is, or brings it to the middle', () => {
    const zoomed = zoomToward(view, 102, 0.5, width, duration);
    expect(timeToX(zoomed, 102)).toBeCloseTo(timeToX(view, 102), 9);
    expect(zoomed.secondsPerPixel).toBeCloseTo(0.005, 12);
    const brought = zoomToward(view, 300, 0.5, width, duration);
    expect(timeToX(brought, 300)).toBeCloseTo(width / 2, 6);
    expect(zoomToward(view, undefined, 0.5, width, duration)).toEqual(zoomAround(view, width / 2, 0.5, width, duration));
  });

  it('pages the view along as it plays past the right edge', () => {
    expect(followPlayhead(view, 109.9, 109.95, true, false, width, duration)).toBeUndefined();
    const paged = followPlayhead(view, 109.99, 110.02, true, false, width, duration)!;
    expect(paged.secondsPerPixel).toBe(view.secondsPerPixel);
    expect(paged.start).toBeCloseTo(110.02 - 0.2, 9);
    expect(timeToX(paged, 110.02)).toBeGreaterThan(0);
  });

  it('leaves a playhead the user scrolled away from, but shows it when playback starts or it jumps', () => {
    // Out of view before and after: the user is looking elsewhere.
    expect(followPlayhead(view, 300, 300.02, true, false, width, duration)).toBeUndefined();
    // Playback starts out of view: paged to it.
    expect(followPlayhead(view, 300, 300, true, true, width, duration)?.start).toBeCloseTo(299.8, 9);
    // A stop takes it back to the start, out of view: centred (clamped at 0).
    expect(followPlayhead(view, 105, 0, false, false, width, duration)?.start).toBe(0);
    expect(followPlayhead(view, 105, 50, false, false, width, duration)?.start).toBeCloseTo(45, 9);
  });

  it('the overview shows the whole session, as zoomed all the way out', () => {
    expect(overviewSpan(600)).toBe(600);
    expect(overviewSpan(3)).toBe(maxSecondsPerPixel(3, width) * width);
  });
});
