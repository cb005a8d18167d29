// Where each part of the timeline sits. Left, a gutter with the channel names; right of it the
// plot, top to bottom: the time axis, then per channel its waveform and its lane of segments,
// then the overview of the whole session. The waveforms take whatever height is left.

export const AXIS_HEIGHT = 24;
/** The channel names' column: the plot starts right of it, so a name never covers a block. */
export const GUTTER_WIDTH = 40;
export const OVERVIEW_HEIGHT = 30;
/** Space between the last lane and the overview. */
const OVERVIEW_GAP = 6;
/** Lanes get thinner with many channels so that 32 of them still fit on a screen. */
const LANE_HEIGHT = 30;
const COMPACT_LANE_HEIGHT = 18;
const COMPACT_FROM_CHANNELS = 6;
/** The waveforms' smallest height; taller ones share what the container offers. */
const MIN_WAVEFORM_HEIGHT = 24;
const COMPACT_MIN_WAVEFORM_HEIGHT = 10;

export interface TimelineLayout {
  /** CSS px, the whole canvas. */
  width: number;
  height: number;
  /** The plot: where times are drawn, [plotLeft, plotLeft + plotWidth). */
  plotLeft: number;
  plotWidth: number;
  axisTop: number;
  axisHeight: number;
  /** The first channel's waveform; channel c's band (waveform, then lane) starts c * bandHeight below. */
  channelsTop: number;
  bandHeight: number;
  waveformHeight: number;
  laneHeight: number;
  /** Below the last band. */
  channelsBottom: number;
  overviewTop: number;
  overviewHeight: number;
}

/** The layout for a canvas `width` wide in a container `height` high (0: as small as it goes). */
export function computeLayout(width: number, height: number, channels: number): TimelineLayout {
  const count = Math.max(channels, 0);
  const compact = count >= COMPACT_FROM_CHANNELS;
  const laneHeight = compact ? COMPACT_LANE_HEIGHT : LANE_HEIGHT;
  const minWaveform = compact ? COMPACT_MIN_WAVEFORM_HEIGHT : MIN_WAVEFORM_HEIGHT;
  const fixed = AXIS_HEIGHT + OVERVIEW_GAP + OVERVIEW_HEIGHT;
  const perChannel = count > 0 ? (Math.floor(height) - fixed) / count - laneHeight : 0;
  const waveformHeight = Math.floor(Math.max(minWaveform, perChannel));
  const bandHeight = waveformHeight + laneHeight;
  const channelsTop = AXIS_HEIGHT;
  const channelsBottom = channelsTop + count * bandHeight;
  const overviewTop = Math.max(channelsBottom + OVERVIEW_GAP, Math.floor(height) - OVERVIEW_HEIGHT);
  const plotLeft = Math.min(GUTTER_WIDTH, Math.max(0, width));
  return {
    width,
    height: overviewTop + OVERVIEW_HEIGHT,
    plotLeft,
    plotWidth: Math.max(0, width - plotLeft),
    axisTop: 0,
    axisHeight: AXIS_HEIGHT,
    channelsTop,
    bandHeight,
    waveformHeight,
    laneHeight,
    channelsBottom,
    overviewTop,
    overviewHeight: OVERVIEW_HEIGHT,
  };
}

export function waveformTop(layout: TimelineLayout, channel: number): number {
  return layout.channelsTop + channel * layout.bandHeight;
}

export function laneTop(layout: TimelineLayout, channel: number): number {
  return layout.channelsTop + channel * layout.bandHeight + layout.waveformHeight;
}

/** What is under a point of the canvas (CSS px from its top left corner). */
export type TimelineRegion =
  | { kind: 'gutter'; channel: number | undefined }
  | { kind: 'axis' }
  | { kind: 'waveform'; channel: number }
  | { kind: 'lane'; channel: number }
  | { kind: 'overview' }
  | { kind: 'none' };

export function regionAt(layout: TimelineLayout, channels: number, x: number, y: number): TimelineRegion {
  const band = Math.floor((y - layout.channelsTop) / layout.bandHeight);
  const channel = y >= layout.channelsTop && band >= 0 && band < channels ? band : undefined;
  if (x < layout.plotLeft) return { kind: 'gutter', channel };
  if (x >= layout.plotLeft + layout.plotWidth || y < 0) return { kind: 'none' };
  if (y < layout.axisTop + layout.axisHeight) return { kind: 'axis' };
  if (channel !== undefined) {
    const inBand = y - layout.channelsTop - channel * layout.bandHeight;
    return inBand < layout.waveformHeight ? { kind: 'waveform', channel } : { kind: 'lane', channel };
  }
  if (y >= layout.overviewTop && y < layout.overviewTop + layout.overviewHeight) return { kind: 'overview' };
  return { kind: 'none' };
}

/** The channel whose lane of segments is at `y`, or undefined outside the lanes. */
export function laneAt(layout: TimelineLayout, channels: number, y: number): number | undefined {
  const region = regionAt(layout, channels, layout.plotLeft, y);
  return region.kind === 'lane' ? region.channel : undefined;
}
