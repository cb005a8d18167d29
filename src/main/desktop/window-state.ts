// The window's size and position, kept between runs. The decision (what to restore, given the
// displays there are now) is a pure function; reading and writing the file are best effort.
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

const SavedState = z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int(), height: z.number().int(), maximized: z.boolean() });
export type WindowState = z.infer<typeof SavedState>;

/**
 * The bounds to open the window with: the saved ones when they are sane and mostly on a display
 * that is still there (a monitor may have been unplugged); otherwise none, and the default size.
 */
export function restoredState(saved: unknown, workAreas: Rectangle[], minimum: { minWidth: number; minHeight: number }): WindowState | undefined {
  const parsed = SavedState.safeParse(saved);
  if (!parsed.success) return undefined;
  const state = parsed.data;
  if (state.width < minimum.minWidth || state.height < minimum.minHeight) return undefined;
  const visible = workAreas.some(
    (area) => overlap(state.x, state.width, area.x, area.width) * overlap(state.y, state.height, area.y, area.height) >= 0.5 * state.width * state.height,
  );
  return visible ? state : undefined;
}

const overlap = (start: number, length: number, areaStart: number, areaLength: number) =>
  Math.max(0, Math.min(start + length, areaStart + areaLength) - Math.max(start, areaStart));

export function readWindowState(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeWindowState(file: string, state: WindowState): void {
  try {
    writeFileSync(file, JSON.stringify(state));
  } catch (error) {
    console.warn('Utterly: could not keep the window position:', error);
  }
}
