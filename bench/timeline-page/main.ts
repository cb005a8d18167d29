// The timeline benchmark's page: a three-hour, two-channel session with 10,000 segments and a
// 100 Hz waveform. `?views=2` adds a second timeline, zoomed in by the screenshot script.
import { mount } from 'svelte';
import Timeline from '../../src/renderer/src/lib/timeline/Timeline.svelte';
import type { TimelineSegment } from '../../src/renderer/src/lib/timeline/types';

export interface FrameRecord {
  /** Between consecutive animation frames while measuring, ms. */
  frameIntervals: number[];
  /** The timeline's own animation-frame callbacks (its draws) while measuring, ms. */
  drawTimes: number[];
}

export interface TimelineBenchPage {
  ready: boolean;
  /** performance.now() of the latest wheel or key event. */
  lastInputAt: number;
  start(): void;
  stop(): FrameRecord;
}

declare global {
  interface Window {
    timelineBench: TimelineBenchPage;
  }
}

const DURATION = 3 * 3600;
const CHANNELS = 2;
const SEGMENTS_PER_CHANNEL = 5000;
const PEAKS_PER_SECOND = 100;
/** The middle: the selected segment, with an interim and an error next to it, where the screenshot zooms in. */
const FOCUS_TIME = 5400;

/** Deterministic uniform numbers in [0, 1) (mulberry32): every run draws the same session. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Utterances of 0.4-2 s with 0.3-1.6 s pauses, stretched to fill the session. */
function makeSegments(next: () => number): TimelineSegment[] {
  const segments: TimelineSegment[] = [];
  for (let channel = 0; channel < CHANNELS; channel++) {
    const spans: [number, number][] = [];
    let time = 0;
    for (let i = 0; i < SEGMENTS_PER_CHANNEL; i++) {
      const start = time + 0.3 + next() * 1.3;
      time = start + 0.4 + next() * 1.6;
      spans.push([start, time]);
    }
    const stretch = (DURATION - 1) / time;
    for (const [start, end] of spans) {
      const id = segments.length;
      const roll = next();
      const kind = roll < 0.01 ? 'error' : roll < 0.03 ? 'interim' : 'final';
      const from = start * stretch;
      const to = kind === 'error' ? from : end * stretch;
      segments.push({
        id,
        channel,
        start: from,
        end: to,
        kind,
        label: kind === 'error' ? 'Internal server error' : `${Math.round((to - from) * 16000)} samples`,
      });
    }
  }
  // Around the focus: the other channel still speaking (interim) and a failed inference.
  for (const segment of segments) {
    if (segment.channel === 1 && segment.kind !== 'error' && segment.start > FOCUS_TIME - 2 && segment.start < FOCUS_TIME + 8) segment.kind = 'interim';
  }
  const nearFocus = segments.find((s) => s.channel === 0 && s.kind === 'final' && s.start > FOCUS_TIME + 6);
  if (nearFocus) Object.assign(nearFocus, { kind: 'error', end: nearFocus.start, label: 'Internal server error' });
  return segments;
}

/** Low noise, and syllable-like bursts inside the channel's segments. */
function makePeaks(segments: TimelineSegment[], channel: number, next: () => number): Float32Array {
  const peaks = new Float32Array(DURATION * PEAKS_PER_SECOND);
  for (let i = 0; i < peaks.length; i++) peaks[i] = 0.004 + next() * 0.01;
  for (const segment of segments) {
    if (segment.channel !== channel || segment.kind === 'error') continue;
    const loudness = 0.25 + next() * 0.5;
    const from = Math.floor(segment.start * PEAKS_PER_SECOND);
    const to = Math.min(peaks.length, Math.ceil(segment.end * PEAKS_PER_SECOND));
    for (let i = from; i < to; i++) {
      const syllable = 0.55 + 0.45 * Math.sin(((i - from) / PEAKS_PER_SECOND) * 2 * Math.PI * 4);
      peaks[i] = loudness * syllable * (0.7 + 0.3 * next());
    }
  }
  return peaks;
}

const next = random(42);
const segments = makeSegments(next);
const waveform = { peaks: Array.from({ length: CHANNELS }, (_, c) => makePeaks(segments, c, next)), peaksPerSecond: PEAKS_PER_SECOND };
const selected = segments.find((s) => s.channel === 0 && s.kind === 'final' && s.start >= FOCUS_TIME);

const nativeRequestAnimationFrame = window.requestAnimationFrame.bind(window);
const frameTimes: number[] = [];
const drawTimes: number[] = [];
let measuring = false;
let measurements = 0;

// Times the timeline's frame callbacks, which are its draws; the page's own loop below uses the native one.
window.requestAnimationFrame = (callback) =>
  nativeRequestAnimationFrame((time) => {
    const started = performance.now();
    callback(time);
    if (measuring) drawTimes.push(performance.now() - started);
  });

/** Each measurement's own frame loop, so that a stop and a quick start never leave two running. */
function recordFrames(measurement: number): void {
  nativeRequestAnimationFrame(function record(time) {
    if (!measuring || measurement !== measurements) return;
    frameTimes.push(time);
    nativeRequestAnimationFrame(record);
  });
}

const target = document.getElementById('app');
if (!target) throw new Error('#app missing');
const views = Number(new URLSearchParams(location.search).get('views') ?? '1');
const headings = ['Three hours, two channels, 10,000 segments', 'Zoomed in around the selected segment'];
for (let view = 0; view < views; view++) {
  const section = document.createElement('section');
  const heading = document.createElement('h2');
  heading.textContent = headings[view] ?? '';
  // The timeline takes the height of its container: the window's, or a fixed one per view.
  const box = document.createElement('div');
  box.style.height = views === 1 ? 'calc(100vh - 60px)' : '320px';
  section.append(heading, box);
  target.append(section);
  mount(Timeline, {
    target: box,
    props: { duration: DURATION, channels: CHANNELS, segments, waveform, playhead: FOCUS_TIME - 3, selectedId: selected?.id, label: heading.textContent },
  });
}

window.timelineBench = {
  ready: false,
  lastInputAt: 0,
  start() {
    frameTimes.length = 0;
    drawTimes.length = 0;
    measuring = true;
    recordFrames(++measurements);
  },
  stop() {
    measuring = false;
    return { frameIntervals: frameTimes.slice(1).map((time, i) => time - frameTimes[i]!), drawTimes: drawTimes.slice() };
  },
};
for (const type of ['wheel', 'keydown']) addEventListener(type, () => (window.timelineBench.lastInputAt = performance.now()), { capture: true });
nativeRequestAnimationFrame(() => nativeRequestAnimationFrame(() => (window.timelineBench.ready = true)));
