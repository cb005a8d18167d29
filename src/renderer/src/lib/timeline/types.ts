// What the timeline draws. Times are seconds from the start of the session.
import type { TimelineLayout } from './layout';
import type { TimeView } from './time-scale';

export type SegmentKind = 'final' | 'interim' | 'error';

export interface TimelineSegment {
  id: number;
  /** Index of the audio channel, 0-based: the lane it is drawn in. */
  channel: number;
  start: number;
  /** Equal to `start` for an error, which has only a time. */
  end: number;
  kind: SegmentKind;
  /** Drawn inside the block when it is wide enough. */
  label?: string;
}

/** Per channel, the loudest absolute sample of each 1/peaksPerSecond seconds (0..1). */
export interface TimelineWaveform {
  peaks: Float32Array[];
  peaksPerSecond: number;
}

/**
 * What a timeline shows where, for tests: `element.timelineProbe()` on its `.timeline` element.
 * x and y are CSS px from the canvas's top left corner.
 */
export interface TimelineProbe {
  layout: TimelineLayout;
  view: TimeView;
  duration: number;
  /** The labels drawn in the last frame, as drawn (cut ones end in an ellipsis). */
  labels: { id: number; text: string; left: number; right: number }[];
  /** Per channel, the box of its name. */
  laneNames: { left: number; right: number; top: number; bottom: number }[];
  /** The visible window as drawn in the overview strip. */
  overviewWindow: { left: number; right: number };
}
