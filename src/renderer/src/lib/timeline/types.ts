// What the timeline draws. Times are seconds from the start of the session.

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
