// Where each part of the timeline sits, top to bottom: waveform, one lane per channel, time axis.

export const WAVEFORM_HEIGHT = 56;
export const AXIS_HEIGHT = 24;
/** Lanes get thinner with many channels so that 32 of them still fit on a screen. */
const LANE_HEIGHT = 30;
const COMPACT_LANE_HEIGHT = 18;
const COMPACT_FROM_CHANNELS = 6;

export interface TimelineLayout {
  /** CSS px. */
  width: number;
  height: number;
  waveformTop: number;
  lanesTop: number;
  laneHeight: number;
  axisTop: number;
}

export function computeLayout(width: number, channels: number): TimelineLayout {
  const laneHeight = channels >= COMPACT_FROM_CHANNELS ? COMPACT_LANE_HEIGHT : LANE_HEIGHT;
  const lanesTop = WAVEFORM_HEIGHT;
  const axisTop = lanesTop + Math.max(channels, 0) * laneHeight;
  return { width, height: axisTop + AXIS_HEIGHT, waveformTop: 0, lanesTop, laneHeight, axisTop };
}

/** The channel whose lane is at `y`, or undefined outside the lanes. */
export function laneAt(layout: TimelineLayout, channels: number, y: number): number | undefined {
  const lane = Math.floor((y - layout.lanesTop) / layout.laneHeight);
  return lane >= 0 && lane < channels ? lane : undefined;
}
