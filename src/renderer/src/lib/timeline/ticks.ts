// The time axis: tick spacing for any zoom, and labels ("12.5 s", "0:05", "1:02:30").

/** Steps a person reads easily: 1-2-5 below a second, then clock-friendly ones. */
const TICK_STEPS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

/** The smallest step whose ticks are at least `minSpacingPx` apart. */
export function chooseTickStep(secondsPerPixel: number, minSpacingPx: number): number {
  const minStep = secondsPerPixel * minSpacingPx;
  for (const step of TICK_STEPS) if (step >= minStep) return step;
  const day = TICK_STEPS[TICK_STEPS.length - 1]!;
  return Math.ceil(minStep / day) * day;
}

/** At most this many minor intervals per major one (a 10 s step gets 1 s minors, not 0.5 s). */
const MAX_MINOR_DIVISIONS = 10;

/** The finest step dividing `majorStep` whose ticks are at least `minSpacingPx` apart, if any. */
export function chooseMinorStep(majorStep: number, secondsPerPixel: number, minSpacingPx: number): number | undefined {
  for (const step of TICK_STEPS) {
    if (step >= majorStep) return undefined;
    const divisions = majorStep / step;
    const divides = Math.abs(divisions - Math.round(divisions)) < 1e-6;
    if (divides && divisions <= MAX_MINOR_DIVISIONS + 1e-6 && step / secondsPerPixel >= minSpacingPx) return step;
  }
  return undefined;
}

/**
 * The multiples of `step` in [from, to]. Each is computed as index * step, so that rounding
 * errors do not accumulate across thousands of ticks.
 */
export function tickTimes(from: number, to: number, step: number): number[] {
  const times: number[] = [];
  const last = Math.floor(to / step + 1e-9);
  for (let i = Math.ceil(from / step - 1e-9); i <= last; i++) times.push(i * step);
  return times;
}

/** Decimals that tell ticks `step` apart: 0.5 -> 1, 0.05 -> 2, 0.001 -> 3, 1 or more -> 0. */
export function decimalsFor(step: number): number {
  return step >= 1 ? 0 : Math.ceil(-Math.log10(step) - 1e-9);
}

/** "0:05", "12:04", "1:02:30", with `decimals` fractional digits of seconds ("1:02:30.25"). */
export function formatClock(seconds: number, decimals = 0): string {
  const scale = 10 ** decimals;
  const total = Math.round(Math.max(0, seconds) * scale);
  const wholeSeconds = Math.floor(total / scale);
  const fraction = decimals > 0 ? '.' + String(total % scale).padStart(decimals, '0') : '';
  const hours = Math.floor(wholeSeconds / 3600);
  const minutes = Math.floor((wholeSeconds % 3600) / 60);
  const secs = String(wholeSeconds % 60).padStart(2, '0') + fraction;
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

/** A tick's label: clock time for whole-second steps; "12.5 s" below a minute when zoomed in. */
export function formatTickLabel(time: number, step: number): string {
  const decimals = decimalsFor(step);
  if (decimals > 0 && time < 60 - 10 ** -decimals / 2) return `${Math.max(0, time).toFixed(decimals)} s`;
  return formatClock(time, decimals);
}
