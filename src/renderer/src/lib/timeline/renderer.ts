// Draws one frame of the timeline on a canvas. Everything it needs is in the scene; the buffers
// it fills each frame are kept between frames, so drawing allocates next to nothing.
import { WAVEFORM_HEIGHT, type TimelineLayout } from './layout';
import { collectRuns, PixelRuns } from './pixel-runs';
import { candidateRange, KINDS_BOTTOM_UP, type SegmentIndex } from './segment-index';
import { chooseMinorStep, chooseTickStep, formatTickLabel, tickTimes } from './ticks';
import { timeToX, type TimeView } from './time-scale';
import type { SegmentKind, TimelineSegment } from './types';
import { envelopeColumns, type MaxPyramid } from './waveform-pyramid';

export interface TimelinePalette {
  background: string;
  lane: string;
  wave: string;
  final: string;
  finalText: string;
  interim: string;
  /** Labels outside solid blocks, lane names. */
  text: string;
  error: string;
  axis: string;
  select: string;
  playhead: string;
  fontFamily: string;
}

/** Reads the colours the component's stylesheet resolves from the --timeline-* properties. */
export function readPalette(element: Element): TimelinePalette {
  const style = getComputedStyle(element);
  const color = (name: string) => style.getPropertyValue(`--_timeline-${name}`).trim();
  return {
    background: color('bg'),
    lane: color('lane'),
    wave: color('wave'),
    final: color('final'),
    finalText: color('final-text'),
    interim: color('interim'),
    text: color('text'),
    error: color('error'),
    axis: color('axis'),
    select: color('select'),
    playhead: color('playhead'),
    fontFamily: style.fontFamily,
  };
}

export interface TimelineScene {
  layout: TimelineLayout;
  /** Device pixels per CSS pixel. */
  pixelRatio: number;
  palette: TimelinePalette;
  view: TimeView;
  channels: number;
  index: SegmentIndex;
  waveform: { pyramids: MaxPyramid[]; peaksPerSecond: number } | undefined;
  selected: TimelineSegment | undefined;
  playhead: number | undefined;
}

const LABEL_SPACING_PX = 84;
const MINOR_SPACING_PX = 10;
const FONT_SIZE_PX = 11;
/** Blocks leave this much of their lane free above and below. */
const BLOCK_INSET_PX = 4;
/** Error markers closer than this are drawn as one, with a count. */
const ERROR_MARKER_PX = 14;
/** A block gets its label drawn inside when at least this wide. */
const MIN_LABEL_BLOCK_PX = 36;
const HATCH_TILE_PX = 6;

export function createTimelineRenderer(canvas: HTMLCanvasElement): (scene: TimelineScene) => void {
  const context = canvas.getContext('2d', { alpha: false });
  if (!context) throw new Error('Timeline: no 2D canvas context');
  const ctx = context;
  const runs = new PixelRuns();
  let envelope = new Float32Array(0);
  let hatch: { key: string; pattern: CanvasPattern | null } = { key: '', pattern: null };

  /** Diagonal stripes over a light wash of the interim colour: visibly provisional. */
  function hatchPattern(color: string, ratio: number): CanvasPattern | null {
    const key = `${color} ${ratio}`;
    if (hatch.key === key) return hatch.pattern;
    const size = Math.round(HATCH_TILE_PX * ratio);
    const tile = document.createElement('canvas');
    tile.width = tile.height = size;
    const t = tile.getContext('2d');
    if (!t) return null;
    t.fillStyle = color;
    t.globalAlpha = 0.18;
    t.fillRect(0, 0, size, size);
    t.globalAlpha = 0.75;
    t.strokeStyle = color;
    t.lineWidth = Math.max(1, ratio);
    t.beginPath();
    for (const offset of [-size, 0, size]) {
      t.moveTo(offset, size);
      t.lineTo(offset + size, 0);
    }
    t.stroke();
    const pattern = ctx.createPattern(tile, 'repeat');
    pattern?.setTransform(new DOMMatrix().scale(1 / ratio));
    hatch = { key, pattern };
    return pattern;
  }

  return function draw(scene: TimelineScene): void {
    const { layout, pixelRatio: ratio, palette, view, channels, index } = scene;
    const deviceWidth = Math.round(layout.width * ratio);
    const deviceHeight = Math.round(layout.height * ratio);
    if (canvas.width !== deviceWidth) canvas.width = deviceWidth;
    if (canvas.height !== deviceHeight) canvas.height = deviceHeight;
    if (deviceWidth === 0 || deviceHeight === 0) return;

    const { width, laneHeight, lanesTop, axisTop } = layout;
    const pixel = 1 / ratio;
    const snap = (x: number) => Math.round(x * ratio) / ratio;
    const font = `${FONT_SIZE_PX}px ${palette.fontFamily}`;

    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.globalAlpha = 1;
    ctx.fillStyle = palette.background;
    ctx.fillRect(0, 0, width, layout.height);
    ctx.fillStyle = palette.lane;
    for (let channel = 1; channel < channels; channel += 2) ctx.fillRect(0, lanesTop + channel * laneHeight, width, laneHeight);

    const majorStep = chooseTickStep(view.secondsPerPixel, LABEL_SPACING_PX);
    const minorStep = chooseMinorStep(majorStep, view.secondsPerPixel, MINOR_SPACING_PX);
    const visibleEnd = view.start + width * view.secondsPerPixel;
    const majorTicks = tickTimes(view.start, visibleEnd, majorStep);

    // Grid lines under everything, faint.
    ctx.fillStyle = palette.axis;
    ctx.globalAlpha = 0.16;
    for (const time of majorTicks) ctx.fillRect(snap(timeToX(view, time)), 0, pixel, axisTop);
    ctx.fillRect(0, snap(lanesTop), width, pixel);
    ctx.globalAlpha = 1;

    if (scene.waveform) drawWaveform(scene.waveform.pyramids, scene.waveform.peaksPerSecond);

    ctx.font = font;
    ctx.textBaseline = 'middle';
    for (let channel = 0; channel < channels; channel++) {
      const top = lanesTop + channel * laneHeight;
      index.lanes[channel]!.forEach((lane, k) => {
        collectRuns(lane, view, { width, narrowPx: pixel, gapPx: KINDS_BOTTOM_UP[k] === 'error' ? ERROR_MARKER_PX : pixel }, runs);
        drawRuns(KINDS_BOTTOM_UP[k]!, top);
      });
      drawLabels(channel, top);
    }
    if (scene.selected) drawSelection(scene.selected);
    if (scene.playhead !== undefined) drawPlayhead(scene.playhead);
    drawAxis(majorTicks, majorStep, minorStep);
    drawLaneNames();

    function drawWaveform(pyramids: MaxPyramid[], peaksPerSecond: number): void {
      // One value per device pixel column, drawn in device pixels so that every bar is crisp.
      if (envelope.length !== deviceWidth) envelope = new Float32Array(deviceWidth);
      envelopeColumns(pyramids, peaksPerSecond, view, pixel, envelope);
      const middle = Math.round((layout.waveformTop + WAVEFORM_HEIGHT / 2) * ratio);
      const halfHeight = (WAVEFORM_HEIGHT / 2 - 3) * ratio;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = palette.wave;
      ctx.beginPath();
      for (let column = 0; column < deviceWidth; column++) {
        // Speech seldom peaks near full scale: a square root keeps quiet passages visible.
        const half = Math.round(Math.sqrt(envelope[column]!) * halfHeight);
        if (half > 0) ctx.rect(column, middle - half, 1, 2 * half);
      }
      ctx.fill();
      ctx.globalAlpha = 0.5;
      ctx.fillRect(0, middle, deviceWidth, Math.max(1, Math.round(ratio / 2)));
      ctx.globalAlpha = 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    }

    function blockBounds(x0: number, x1: number, members: number): [number, number] {
      const left = snap(x0);
      let right = Math.max(left + pixel, snap(x1));
      // A pixel of space after a lone block lets neighbours that touch read as two.
      if (members === 1 && right - left >= 3) right -= pixel;
      return [left, right];
    }

    function drawRuns(kind: SegmentKind, top: number): void {
      if (runs.length === 0) return;
      const blockTop = top + BLOCK_INSET_PX;
      const blockHeight = laneHeight - 2 * BLOCK_INSET_PX;
      if (kind === 'error') {
        drawErrorRuns(top);
        return;
      }
      ctx.beginPath();
      for (let r = 0; r < runs.length; r++) {
        const [left, right] = blockBounds(runs.x0[r]!, runs.x1[r]!, runs.members[r]!);
        ctx.rect(left, blockTop, right - left, blockHeight);
      }
      if (kind === 'final') {
        ctx.fillStyle = palette.final;
        ctx.fill();
        return;
      }
      ctx.fillStyle = hatchPattern(palette.interim, ratio) ?? palette.interim;
      ctx.fill();
      ctx.beginPath();
      for (let r = 0; r < runs.length; r++) {
        const [left, right] = blockBounds(runs.x0[r]!, runs.x1[r]!, runs.members[r]!);
        if (right - left > 2 * pixel) ctx.rect(left + pixel / 2, blockTop + pixel / 2, right - left - pixel, blockHeight - pixel);
      }
      ctx.strokeStyle = palette.interim;
      ctx.lineWidth = pixel;
      ctx.setLineDash([3, 2]);
      ctx.stroke();
      ctx.setLineDash([]);
    }

    /** A red line at each error's time and a badge: "!" or, where several merge, their count. */
    function drawErrorRuns(top: number): void {
      ctx.fillStyle = palette.error;
      for (let r = 0; r < runs.length; r++) {
        const left = snap(runs.x0[r]!);
        const right = snap(runs.x1[r]!);
        // An error with a duration gets a band; merged markers do not (the space between them is not an error).
        if (runs.members[r] === 1 && right - left > pixel) {
          ctx.globalAlpha = 0.3;
          ctx.fillRect(left, top, right - left, laneHeight);
          ctx.globalAlpha = 1;
        }
        ctx.fillRect(left, top, Math.max(pixel, 1.5), laneHeight);
      }
      ctx.textAlign = 'center';
      for (let r = 0; r < runs.length; r++) {
        const x = snap(runs.x0[r]!);
        const members = runs.members[r]!;
        const text = members > 1 ? String(members) : '!';
        const badgeWidth = Math.max(12, ctx.measureText(text).width + 6);
        const middle = top + laneHeight / 2;
        ctx.fillStyle = palette.error;
        ctx.beginPath();
        ctx.roundRect(x - badgeWidth / 2, middle - 6, badgeWidth, 12, 6);
        ctx.fill();
        ctx.fillStyle = palette.background;
        ctx.fillText(text, x, middle + 0.5);
      }
      ctx.textAlign = 'left';
    }

    /** Labels of the blocks wide enough to hold some text, kept in view when a block is cut by the edge. */
    function drawLabels(channel: number, top: number): void {
      const kinds = index.lanes[channel]!;
      for (let k = 0; k < kinds.length; k++) {
        const kind = KINDS_BOTTOM_UP[k]!;
        if (kind === 'error') continue;
        const lane = kinds[k]!;
        ctx.fillStyle = kind === 'final' ? palette.finalText : palette.text;
        const [first, end] = candidateRange(lane, view.start, visibleEnd);
        for (let i = first; i < end; i++) {
          const label = lane.segments[i]!.label;
          if (!label) continue;
          const left = Math.max(timeToX(view, lane.starts[i]!), 0);
          const right = Math.min(timeToX(view, lane.ends[i]!), width);
          if (right - left < MIN_LABEL_BLOCK_PX) continue;
          ctx.save();
          ctx.beginPath();
          ctx.rect(left, top, right - left - 4, laneHeight);
          ctx.clip();
          ctx.fillText(label, left + 4, top + laneHeight / 2 + 0.5);
          ctx.restore();
        }
      }
    }

    function drawSelection(segment: TimelineSegment): void {
      const x0 = timeToX(view, segment.start);
      const x1 = timeToX(view, segment.end);
      if (x1 < -4 || x0 > width + 4) return;
      const top = lanesTop + segment.channel * laneHeight;
      const left = snap(Math.max(x0, -4));
      const right = Math.max(left + 3, snap(Math.min(x1, width + 4)));
      ctx.strokeStyle = palette.select;
      ctx.lineWidth = 2;
      if (segment.kind === 'error') ctx.strokeRect(left - 8, top + 2, 16, laneHeight - 4);
      else ctx.strokeRect(left - 1, top + BLOCK_INSET_PX - 1, right - left + 2, laneHeight - 2 * BLOCK_INSET_PX + 2);
    }

    function drawPlayhead(time: number): void {
      const x = snap(timeToX(view, time));
      if (x < -6 || x > width + 6) return;
      ctx.fillStyle = palette.playhead;
      ctx.fillRect(x - pixel, 0, 2 * pixel, axisTop);
      ctx.beginPath();
      ctx.moveTo(x - 5, 0);
      ctx.lineTo(x + 5, 0);
      ctx.lineTo(x, 6);
      ctx.fill();
    }

    function drawAxis(times: number[], step: number, minor: number | undefined): void {
      ctx.fillStyle = palette.axis;
      ctx.fillRect(0, snap(axisTop), width, pixel);
      if (minor !== undefined) {
        for (const time of tickTimes(view.start, visibleEnd, minor)) ctx.fillRect(snap(timeToX(view, time)), axisTop, pixel, 3);
      }
      for (const time of times) {
        const x = snap(timeToX(view, time));
        ctx.fillRect(x, axisTop, pixel, 7);
        ctx.fillText(formatTickLabel(time, step), x + 3, axisTop + 14);
      }
    }

    function drawLaneNames(): void {
      if (channels < 2) return;
      for (let channel = 0; channel < channels; channel++) {
        const text = `ch ${channel + 1}`;
        const middle = lanesTop + channel * laneHeight + laneHeight / 2;
        ctx.globalAlpha = 0.8;
        ctx.fillStyle = palette.background;
        ctx.fillRect(0, middle - 7, ctx.measureText(text).width + 8, 14);
        ctx.globalAlpha = 1;
        ctx.fillStyle = palette.text;
        ctx.fillText(text, 4, middle + 0.5);
      }
    }
  };
}
