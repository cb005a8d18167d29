// Mapping between time and horizontal position, and the rules of zooming and scrolling.

/** The visible window: the time at the left edge and the zoom, in seconds per CSS pixel. */
export interface TimeView {
  start: number;
  secondsPerPixel: number;
}

/** The finest zoom: 10 ms across 1000 px, enough to see single 1 ms ticks. */
export const MIN_SECONDS_PER_PIXEL = 1e-5;
/** The span shown zoomed out when the session is shorter, so a new recording does not start at millisecond scale. */
export const MIN_FIT_SECONDS = 10;
/** The span shown while following a live recording, until the user zooms. */
export const LIVE_WINDOW_SECONDS = 60;

export function timeToX(view: TimeView, time: number): number {
  return (time - view.start) / view.secondsPerPixel;
}

export function xToTime(view: TimeView, x: number): number {
  return view.start + x * view.secondsPerPixel;
}

/** Zoomed out, the whole session fits the width (at least MIN_FIT_SECONDS). */
export function maxSecondsPerPixel(duration: number, width: number): number {
  return Math.max(duration, MIN_FIT_SECONDS) / Math.max(width, 1);
}

export function clampSecondsPerPixel(secondsPerPixel: number, duration: number, width: number): number {
  return Math.min(Math.max(secondsPerPixel, MIN_SECONDS_PER_PIXEL), maxSecondsPerPixel(duration, width));
}

/** The zoom before the user picks one: the last minute while following, else the whole session. */
export function defaultSecondsPerPixel(duration: number, width: number, follow: boolean): number {
  const span = follow ? LIVE_WINDOW_SECONDS : Math.max(duration, MIN_FIT_SECONDS);
  return clampSecondsPerPixel(span / Math.max(width, 1), duration, width);
}

/** The largest start time: the end of the session at the right edge. */
export function lastStart(duration: number, secondsPerPixel: number, width: number): number {
  return Math.max(0, duration - width * secondsPerPixel);
}

export function clampStart(start: number, secondsPerPixel: number, width: number, duration: number): number {
  return Math.min(Math.max(start, 0), lastStart(duration, secondsPerPixel, width));
}

/** Whether the newest audio is at the right edge (within half a pixel), i.e. the view follows it. */
export function isAtEnd(view: TimeView, width: number, duration: number): boolean {
  return view.start >= lastStart(duration, view.secondsPerPixel, width) - view.secondsPerPixel / 2;
}

/**
 * Zooms by `factor` (> 1 zooms out) keeping the time under `anchorX` where it is, within the
 * zoom limits and the session.
 */
export function zoomAround(view: TimeView, anchorX: number, factor: number, width: number, duration: number): TimeView {
  const anchorTime = xToTime(view, anchorX);
  const secondsPerPixel = clampSecondsPerPixel(view.secondsPerPixel * factor, duration, width);
  const start = clampStart(anchorTime - anchorX * secondsPerPixel, secondsPerPixel, width, duration);
  return { start, secondsPerPixel };
}

export function scrollBy(view: TimeView, pixels: number, width: number, duration: number): TimeView {
  const start = clampStart(view.start + pixels * view.secondsPerPixel, view.secondsPerPixel, width, duration);
  return { start, secondsPerPixel: view.secondsPerPixel };
}

/** A view that shows [start, end], centred when it fits, else from just before its start. */
export function revealRange(view: TimeView, start: number, end: number, width: number, duration: number): TimeView {
  const span = width * view.secondsPerPixel;
  const visibleEnd = view.start + span;
  if (start >= view.start && end <= visibleEnd) return view;
  const wanted = end - start <= span * 0.8 ? (start + end) / 2 - span / 2 : start - span * 0.1;
  return { start: clampStart(wanted, view.secondsPerPixel, width, duration), secondsPerPixel: view.secondsPerPixel };
}

const LINE_HEIGHT_PX = 16;
/** Zoom per pixel of wheel delta: one mouse notch (100 px) zooms about 1.28x; pinch deltas are small and fine-grained. */
const ZOOM_PER_WHEEL_PIXEL = 0.0025;

/** A wheel delta in pixels, whatever unit the browser reported it in (WheelEvent.deltaMode). */
export function wheelDeltaPixels(delta: number, deltaMode: number, pagePixels: number): number {
  if (deltaMode === 1) return delta * LINE_HEIGHT_PX;
  if (deltaMode === 2) return delta * pagePixels;
  return delta;
}

/** Zoom factor for a wheel delta in pixels: scrolling down (or pinching in) zooms out. */
export function wheelZoomFactor(deltaPixels: number): number {
  return Math.exp(deltaPixels * ZOOM_PER_WHEEL_PIXEL);
}

/**
 * Zooms by `factor` around `anchor` (a time: the playhead, the selection): where it is if it is in
 * view, else brought to the middle. Without an anchor, around the middle of the view.
 */
export function zoomToward(view: TimeView, anchor: number | undefined, factor: number, width: number, duration: number): TimeView {
  const span = width * view.secondsPerPixel;
  if (anchor === undefined) return zoomAround(view, width / 2, factor, width, duration);
  if (anchor >= view.start && anchor <= view.start + span) return zoomAround(view, timeToX(view, anchor), factor, width, duration);
  const secondsPerPixel = clampSecondsPerPixel(view.secondsPerPixel * factor, duration, width);
  return { start: clampStart(anchor - (width / 2) * secondsPerPixel, secondsPerPixel, width, duration), secondsPerPixel };
}

/** When paging, the playhead lands this far (a share of the view) from the left edge. */
const PAGE_LEAD = 0.02;

/**
 * Where the view goes as the playhead moves from `before` to `time` (undefined: stays). Playing,
 * it pages: once the playhead passes the right edge the view moves on a screen, the playhead
 * near its left edge; any other jump out of view is centred. Only a playhead that was in view
 * (or playback that just started) moves the view, so one the user scrolled away from is left be.
 */
export function followPlayhead(
  view: TimeView,
  before: number | undefined,
  time: number,
  playing: boolean,
  justStarted: boolean,
  width: number,
  duration: number,
): TimeView | undefined {
  const span = width * view.secondsPerPixel;
  const end = view.start + span;
  const inView = (t: number) => t >= view.start && t <= end;
  if (inView(time)) return undefined;
  if (!justStarted && (before === undefined || !inView(before))) return undefined;
  const wanted = playing && time > end ? time - span * PAGE_LEAD : time - span / 2;
  const start = clampStart(wanted, view.secondsPerPixel, width, duration);
  return start === view.start ? undefined : { start, secondsPerPixel: view.secondsPerPixel };
}

/** The span the overview strip shows: the whole session, as the view zoomed all the way out. */
export function overviewSpan(duration: number): number {
  return Math.max(duration, MIN_FIT_SECONDS);
}
