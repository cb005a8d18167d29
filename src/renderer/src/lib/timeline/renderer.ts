// Draws one frame of the timeline on a canvas. Everything it needs is in the scene; the buffers
// it fills each frame are kept between frames, so drawing allocates next to nothing.
import { ELLIPSIS, fitLabel, PrefixWidths } from './labels';
import { laneTop, waveformTop, type TimelineLayout } from './layout';
import { collectRuns, PixelRuns } from './pixel-runs';
import { candidateRange, KINDS_BOTTOM_UP, type SegmentIndex } from './segment-index';
import { chooseMinorStep, chooseTickStep, formatTickLabel, tickTimes } from './ticks';
import { overviewSpan, timeToX, type TimeView } from './time-scale';
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
  /** The segments under the playhead. */
  current: string;
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
    current: color('current'),
    fontFamily: style.fontFamily,
  };
}

export interface TimelineScene {
  layout: TimelineLayout;
  /** Device pixels per CSS pixel. */
  pixelRatio: number;
  palette: TimelinePalette;
  view: TimeView;
  /** Seconds of audio: the overview shows all of it. */
  duration: number;
  channels: number;
  index: SegmentIndex;
  /** One pyramid per channel, each drawn in its own band. */
  waveform: { pyramids: MaxPyramid[]; peaksPerSecond: number } | undefined;
  selected: TimelineSegment | undefined;
  playhead: number | undefined;
  /** The segments under the playhead, highlighted. */
  current: readonly TimelineSegment[];
}

/** A label as drawn, in CSS px of the canvas. */
export interface DrawnLabel {
  id: number;
  text: string;
  left: number;
  right: number;
}

/** What the last frame drew where, for tests and tooltips; its arrays are reused by the next frame. */
export interface DrawnFrame {
  labels: DrawnLabel[];
  labelCount: number;
  /** Per channel, the box of its name in the gutter. */
  laneNames: { left: number; right: number; top: number; bottom: number }[];
  /** The visible window in the overview strip, CSS px of the canvas. */
  overviewWindow: { left: number; right: number };
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
const LABEL_PADDING_PX = 4;
const HATCH_TILE_PX = 6;
/** The overview's window is drawn at least this wide, however far one zooms in. */
const MIN_WINDOW_PX = 6;

export function createTimelineRenderer(canvas: HTMLCanvasElement): (scene: TimelineScene) => DrawnFrame {
  const context = canvas.getContext('2d', { alpha: false });
  if (!context) throw new Error('Timeline: no 2D canvas context');
  const ctx = context;
  const runs = new PixelRuns();
  const prefixWidths = new PrefixWidths();
  const measure = (text: string) => ctx.measureText(text).width;
  const frame: DrawnFrame = { labels: [], labelCount: 0, laneNames: [], overviewWindow: { left: 0, right: 0 } };
  const single: MaxPyramid[] = [];
  let envelope = new Float32Array(0);
  let hatch: { key: string; pattern: CanvasPattern | null } = { key: '', pattern: null };
  /** The overview's waveform and segments, drawn again only when they change. */
  const overview = { canvas: document.createElement('canvas'), key: [] as unknown[] };

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

  function recordLabel(id: number, text: string, left: number, right: number): void {
    const slot = frame.labels[frame.labelCount];
    if (slot) {
      slot.id = id;
      slot.text = text;
      slot.left = left;
      slot.right = right;
    } else frame.labels.push({ id, text, left, right });
    frame.labelCount++;
  }

  return function draw(scene: TimelineScene): DrawnFrame {
    const { layout, pixelRatio: ratio, palette, view, channels, index } = scene;
    const deviceWidth = Math.round(layout.width * ratio);
    const deviceHeight = Math.round(layout.height * ratio);
    if (canvas.width !== deviceWidth) canvas.width = deviceWidth;
    if (canvas.height !== deviceHeight) canvas.height = deviceHeight;
    frame.labelCount = 0;
    if (deviceWidth === 0 || deviceHeight === 0) return frame;

    const { plotWidth: width, laneHeight, waveformHeight, channelsTop, channelsBottom, axisTop, axisHeight } = layout;
    // The plot starts on a device pixel, so that snapping inside it stays crisp.
    const plotLeftDevice = Math.round(layout.plotLeft * ratio);
    const plotLeft = plotLeftDevice / ratio;
    const plotDeviceWidth = Math.max(0, deviceWidth - plotLeftDevice);
    const pixel = 1 / ratio;
    const snap = (x: number) => Math.round(x * ratio) / ratio;
    const font = `${FONT_SIZE_PX}px ${palette.fontFamily}`;

    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.globalAlpha = 1;
    ctx.fillStyle = palette.background;
    ctx.fillRect(0, 0, layout.width, layout.height);
    ctx.font = font;
    ctx.textBaseline = 'middle';
    const ellipsisWidth = prefixWidths.of(ELLIPSIS, font, measure)[1]!;
    /** `text` cut to `room` px with an ellipsis, measured once per text and font. */
    const fit = (text: string, room: number): string => {
      const widths = prefixWidths.of(text, font, measure);
      return fitLabel(text, room, (length) => widths[length]!, ellipsisWidth);
    };

    // The plot: x from its left edge, nothing drawn into the gutter.
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, plotLeftDevice, 0);
    ctx.beginPath();
    ctx.rect(0, 0, width, layout.height);
    ctx.clip();

    ctx.fillStyle = palette.lane;
    for (let channel = 0; channel < channels; channel++) ctx.fillRect(0, laneTop(layout, channel), width, laneHeight);

    const majorStep = chooseTickStep(view.secondsPerPixel, LABEL_SPACING_PX);
    const minorStep = chooseMinorStep(majorStep, view.secondsPerPixel, MINOR_SPACING_PX);
    const visibleEnd = view.start + width * view.secondsPerPixel;
    const majorTicks = tickTimes(view.start, visibleEnd, majorStep);

    // Grid lines and the channels' borders under everything, faint.
    ctx.fillStyle = palette.axis;
    ctx.globalAlpha = 0.16;
    for (const time of majorTicks) ctx.fillRect(snap(timeToX(view, time)), channelsTop, pixel, channelsBottom - channelsTop);
    for (let channel = 1; channel < channels; channel++) ctx.fillRect(0, snap(waveformTop(layout, channel)), width, pixel);
    ctx.globalAlpha = 1;

    drawCurrentTint();
    if (scene.waveform) {
      for (let channel = 0; channel < channels && channel < scene.waveform.pyramids.length; channel++) {
        single[0] = scene.waveform.pyramids[channel]!;
        drawWaveform(single, scene.waveform.peaksPerSecond, waveformTop(layout, channel));
      }
    }

    for (let channel = 0; channel < channels; channel++) {
      const top = laneTop(layout, channel);
      index.lanes[channel]!.forEach((lane, k) => {
        collectRuns(lane, view, { width, narrowPx: pixel, gapPx: KINDS_BOTTOM_UP[k] === 'error' ? ERROR_MARKER_PX : pixel }, runs);
        drawRuns(KINDS_BOTTOM_UP[k]!, top);
      });
      drawLabels(channel, top);
    }
    drawCurrentBars();
    if (scene.selected) drawSelection(scene.selected);
    drawAxis(majorTicks, majorStep, minorStep);
    if (scene.playhead !== undefined) drawPlayhead(scene.playhead);
    drawOverview();
    ctx.restore();

    drawLaneNames();
    return frame;

    function drawWaveform(pyramids: MaxPyramid[], peaksPerSecond: number, top: number): void {
      // One value per device pixel column, drawn in device pixels so that every bar is crisp.
      if (envelope.length !== plotDeviceWidth) envelope = new Float32Array(plotDeviceWidth);
      envelopeColumns(pyramids, peaksPerSecond, view, pixel, envelope);
      const middle = Math.round((top + waveformHeight / 2) * ratio);
      const halfHeight = Math.max(1, waveformHeight / 2 - 3) * ratio;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, plotLeftDevice, 0);
      ctx.fillStyle = palette.wave;
      ctx.beginPath();
      // Neighbouring columns of one height (zoomed in past the envelope's resolution) are one bar.
      let runStart = 0;
      let runHalf = 0;
      for (let column = 0; column <= plotDeviceWidth; column++) {
        // Speech seldom peaks near full scale: a square root keeps quiet passages visible.
        const half = column < plotDeviceWidth ? Math.round(Math.sqrt(envelope[column]!) * halfHeight) : -1;
        if (half === runHalf) continue;
        if (runHalf > 0) ctx.rect(runStart, middle - runHalf, column - runStart, 2 * runHalf);
        runStart = column;
        runHalf = half;
      }
      ctx.fill();
      ctx.globalAlpha = 0.5;
      ctx.fillRect(0, middle, plotDeviceWidth, Math.max(1, Math.round(ratio / 2)));
      ctx.restore();
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

    /**
     * Labels of the blocks wide enough to hold some text, kept in view when a block is cut by the
     * edge, cut with an ellipsis when longer than the block.
     */
    function drawLabels(channel: number, top: number): void {
      const kinds = index.lanes[channel]!;
      for (let k = 0; k < kinds.length; k++) {
        const kind = KINDS_BOTTOM_UP[k]!;
        if (kind === 'error') continue;
        const lane = kinds[k]!;
        ctx.fillStyle = kind === 'final' ? palette.finalText : palette.text;
        const [first, end] = candidateRange(lane, view.start, visibleEnd);
        for (let i = first; i < end; i++) {
          const segment = lane.segments[i]!;
          const label = segment.label;
          if (!label) continue;
          const left = Math.max(timeToX(view, lane.starts[i]!), 0);
          const right = Math.min(timeToX(view, lane.ends[i]!), width);
          if (right - left < MIN_LABEL_BLOCK_PX) continue;
          const room = right - left - 2 * LABEL_PADDING_PX;
          const text = fit(label, room);
          if (!text) continue;
          ctx.fillText(text, left + LABEL_PADDING_PX, top + laneHeight / 2 + 0.5);
          recordLabel(segment.id, text, plotLeft + left + LABEL_PADDING_PX, plotLeft + right - LABEL_PADDING_PX);
        }
      }
    }

    /** The audio of the segments under the playhead, tinted in their channel's waveform. */
    function drawCurrentTint(): void {
      if (scene.current.length === 0) return;
      ctx.fillStyle = palette.current;
      ctx.globalAlpha = 0.14;
      for (const segment of scene.current) {
        const left = Math.max(timeToX(view, segment.start), -2);
        const right = Math.min(timeToX(view, segment.end), width + 2);
        if (right > left && segment.channel < channels)
          ctx.fillRect(snap(left), waveformTop(layout, segment.channel), snap(right) - snap(left), waveformHeight);
      }
      ctx.globalAlpha = 1;
    }

    /** A bar under each block the playhead is in. */
    function drawCurrentBars(): void {
      ctx.fillStyle = palette.current;
      for (const segment of scene.current) {
        const left = Math.max(timeToX(view, segment.start), -2);
        const right = Math.min(timeToX(view, segment.end), width + 2);
        if (right <= left || segment.channel >= channels) continue;
        const bottom = laneTop(layout, segment.channel) + laneHeight;
        ctx.fillRect(snap(left), bottom - BLOCK_INSET_PX + 0.5, Math.max(pixel, snap(right) - snap(left)), BLOCK_INSET_PX - 1);
      }
    }

    function drawSelection(segment: TimelineSegment): void {
      const x0 = timeToX(view, segment.start);
      const x1 = timeToX(view, segment.end);
      if (x1 < -4 || x0 > width + 4 || segment.channel >= channels) return;
      const top = laneTop(layout, segment.channel);
      const left = snap(Math.max(x0, -4));
      const right = Math.max(left + 3, snap(Math.min(x1, width + 4)));
      ctx.strokeStyle = palette.select;
      ctx.lineWidth = 2;
      if (segment.kind === 'error' && right - left <= 3) ctx.strokeRect(left - 8, top + 2, 16, laneHeight - 4);
      else ctx.strokeRect(left - 1, top + BLOCK_INSET_PX - 1, right - left + 2, laneHeight - 2 * BLOCK_INSET_PX + 2);
    }

    function drawPlayhead(time: number): void {
      const x = snap(timeToX(view, time));
      if (x < -6 || x > width + 6) return;
      ctx.fillStyle = palette.playhead;
      ctx.fillRect(x - pixel, axisTop, 2 * pixel, channelsBottom - axisTop);
      ctx.beginPath();
      ctx.moveTo(x - 5, axisTop);
      ctx.lineTo(x + 5, axisTop);
      ctx.lineTo(x, axisTop + 7);
      ctx.fill();
    }

    /** Along the bottom of the axis band: ticks up from its border, labels above them. */
    function drawAxis(times: number[], step: number, minor: number | undefined): void {
      const bottom = axisTop + axisHeight;
      ctx.fillStyle = palette.axis;
      ctx.fillRect(0, snap(bottom) - pixel, width, pixel);
      if (minor !== undefined) {
        for (const time of tickTimes(view.start, visibleEnd, minor)) ctx.fillRect(snap(timeToX(view, time)), bottom - 3, pixel, 3);
      }
      for (const time of times) {
        const x = snap(timeToX(view, time));
        ctx.fillRect(x, bottom - 7, pixel, 7);
        ctx.fillText(formatTickLabel(time, step), x + 3, axisTop + 9);
      }
    }

    /** The whole session small, and the visible window on it. */
    function drawOverview(): void {
      const top = layout.overviewTop;
      const height = layout.overviewHeight;
      const span = overviewSpan(scene.duration);
      const key = [plotDeviceWidth, height, ratio, span, scene.waveform?.pyramids, index, palette, channels];
      if (key.length !== overview.key.length || key.some((value, i) => value !== overview.key[i])) {
        drawOverviewContent(span, height);
        overview.key = key;
      }
      if (plotDeviceWidth > 0) ctx.drawImage(overview.canvas, 0, top, plotDeviceWidth / ratio, height);

      const toX = (time: number) => (time / span) * width;
      let left = Math.max(0, toX(view.start));
      let right = Math.min(width, toX(visibleEnd));
      if (right - left < MIN_WINDOW_PX) {
        const middle = (left + right) / 2;
        left = Math.max(0, Math.min(width - MIN_WINDOW_PX, middle - MIN_WINDOW_PX / 2));
        right = left + MIN_WINDOW_PX;
      }
      frame.overviewWindow.left = plotLeft + left;
      frame.overviewWindow.right = plotLeft + right;
      // What is out of view, dimmed; the window outlined.
      ctx.fillStyle = palette.background;
      ctx.globalAlpha = 0.55;
      ctx.fillRect(0, top, left, height);
      ctx.fillRect(right, top, width - right, height);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = palette.axis;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(snap(left) + 0.75, top + 0.75, Math.max(1.5, snap(right) - snap(left) - 1.5), height - 1.5);
      if (scene.playhead !== undefined) {
        ctx.fillStyle = palette.playhead;
        ctx.fillRect(snap(toX(scene.playhead)) - pixel / 2, top, Math.max(pixel, 1), height);
      }
    }

    function drawOverviewContent(span: number, height: number): void {
      const target = overview.canvas;
      const deviceOverviewHeight = Math.round(height * ratio);
      target.width = Math.max(1, plotDeviceWidth);
      target.height = Math.max(1, deviceOverviewHeight);
      const o = target.getContext('2d');
      if (!o) return;
      o.fillStyle = palette.lane;
      o.fillRect(0, 0, target.width, target.height);
      const markHeight = Math.max(2, Math.round(5 * ratio));
      const waveHeight = target.height - markHeight - Math.round(2 * ratio);
      if (scene.waveform && plotDeviceWidth > 0) {
        if (envelope.length !== plotDeviceWidth) envelope = new Float32Array(plotDeviceWidth);
        const whole = { start: 0, secondsPerPixel: span / plotDeviceWidth };
        envelopeColumns(scene.waveform.pyramids, scene.waveform.peaksPerSecond, whole, 1, envelope);
        o.fillStyle = palette.wave;
        o.beginPath();
        for (let column = 0; column < plotDeviceWidth; column++) {
          const bar = Math.round(Math.sqrt(envelope[column]!) * waveHeight);
          if (bar > 0) o.rect(column, waveHeight - bar + Math.round(ratio), 1, bar);
        }
        o.fill();
      }
      // Where there are results, along the bottom: finals, then interims and errors over them.
      const whole = { start: 0, secondsPerPixel: span / Math.max(1, plotDeviceWidth) };
      const colours: Record<SegmentKind, string> = { final: palette.final, interim: palette.interim, error: palette.error };
      for (let k = 0; k < KINDS_BOTTOM_UP.length; k++) {
        o.fillStyle = colours[KINDS_BOTTOM_UP[k]!];
        o.beginPath();
        for (let channel = 0; channel < channels; channel++) {
          collectRuns(index.lanes[channel]![k]!, whole, { width: plotDeviceWidth, narrowPx: 1, gapPx: 1 }, runs);
          for (let r = 0; r < runs.length; r++) {
            const left = Math.floor(runs.x0[r]!);
            o.rect(left, target.height - markHeight, Math.max(1, Math.ceil(runs.x1[r]!) - left), markHeight);
          }
        }
        o.fill();
      }
    }

    /** In the gutter, left of the plot: never over a block. */
    function drawLaneNames(): void {
      ctx.fillStyle = palette.text;
      ctx.textAlign = 'left';
      frame.laneNames.length = channels;
      for (let channel = 0; channel < channels; channel++) {
        const text = `ch ${channel + 1}`;
        const middle = laneTop(layout, channel) + laneHeight / 2;
        const shown = fit(text, plotLeft - 8);
        const textWidth = shown === text ? prefixWidths.of(text, font, measure)[text.length]! : measure(shown);
        ctx.fillText(shown, 4, middle + 0.5);
        const box = frame.laneNames[channel] ?? { left: 0, right: 0, top: 0, bottom: 0 };
        Object.assign(box, { left: 4, right: 4 + textWidth, top: middle - FONT_SIZE_PX / 2, bottom: middle + FONT_SIZE_PX / 2 });
        frame.laneNames[channel] = box;
      }
    }
  };
}
