// The timeline in a real browser: 10,000 segments over three hours on two channels and a 100 Hz
// waveform, zoomed and scrolled continuously for about 5 s with the wheel and the keyboard.
// Reports the interval between animation frames (what the user sees; headless Chromium's frame
// clock may differ from a desktop's) and the time the timeline's own frame callback takes (its
// draw). Run directly with `npx tsx bench/timeline.bench.ts`; add `--screenshots DIR` to also
// save the page zoomed out and in, light and dark.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import type { FrameRecord } from './timeline-page/main';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/chromium';

const root = resolve(import.meta.dirname, '..');
const MEASURE_MS = 5000;
const IDLE_MS = 1000;
/** Three hours / 1.5^14: about 40 s across the screenshot. */
const ZOOM_IN_KEY_PRESSES = 14;
const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

export interface TimelineBenchResult {
  /** Interval between animation frames while zooming and scrolling, ms. */
  medianMs: number;
  p95Ms: number;
  frames: number;
  /** The timeline's draw (its animation-frame callback), ms. */
  drawMedianMs: number;
  drawP95Ms: number;
  draws: number;
  /** Draws during a second without input: 0 when nothing changes. */
  idleDraws: number;
}

function percentile(values: number[], fraction: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
}

async function buildPage(outDir: string): Promise<void> {
  await build({
    root: join(root, 'bench/timeline-page'),
    configFile: false,
    base: './',
    logLevel: 'warn',
    plugins: [svelte({ configFile: join(root, 'svelte.config.js') })],
    build: { outDir, emptyOutDir: true },
  });
}

function serve(dir: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path.endsWith('/') ? 'index.html' : path);
    try {
      const body = readFileSync(file);
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

/** Builds and serves the page, opens Chromium, runs `use`, and cleans everything up. */
async function withBenchPage<T>(use: (browser: Browser, url: string) => Promise<T>): Promise<T> {
  const outDir = mkdtempSync(join(tmpdir(), 'utterly-timeline-bench-'));
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    await buildPage(outDir);
    server = await serve(outDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return await use(browser, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  } finally {
    await browser?.close();
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function openPage(browser: Browser, url: string, options: { views: number; scale: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: options.height }, deviceScaleFactor: options.scale });
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${url}?views=${options.views}`);
  await page.waitForFunction(() => window.timelineBench?.ready);
  return page;
}

/**
 * Wheel events with these deltas, sent without waiting for each: Chromium coalesces the ones that
 * arrive within a frame into one event per frame, as a trackpad or a fast wheel does. Awaited one
 * by one, each takes two frames and the timeline would sit idle every other frame.
 */
async function wheelBurst(page: Page, deltaX: number, deltaY: number, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => page.mouse.wheel(deltaX, deltaY)));
}

/** Ctrl + wheel at (x, y), in quarter notches: negative zooms in. */
async function zoomWheel(page: Page, x: number, y: number, notches: number): Promise<void> {
  await page.mouse.move(x, y);
  await page.keyboard.down('Control');
  await wheelBurst(page, 0, Math.sign(notches) * 25, Math.abs(notches) * 4);
  await page.keyboard.up('Control');
}

/** `cpuSlowdown`: Chromium's CPU throttling rate, to see how a slower machine would fare. */
export async function benchTimeline({ cpuSlowdown = 1 }: { cpuSlowdown?: number } = {}): Promise<TimelineBenchResult> {
  return withBenchPage(async (browser, url) => {
    const page = await openPage(browser, url, { views: 1, scale: 1, height: 400 });
    if (cpuSlowdown !== 1) {
      const devtools = await page.context().newCDPSession(page);
      await devtools.send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });
    }
    const box = await page.locator('.timeline canvas').boundingBox();
    if (!box) throw new Error('timeline canvas not found');
    const middleY = box.y + 80;
    await page.focus('.timeline');
    await page.evaluate(() => window.timelineBench.start());
    const until = Date.now() + MEASURE_MS;
    for (let round = 0; Date.now() < until; round++) {
      const x = box.x + box.width * (0.2 + 0.15 * (round % 5));
      await zoomWheel(page, x, middleY, -60); // from three hours down to seconds
      await wheelBurst(page, 0, 40, 60); // plain wheel: later in time
      await wheelBurst(page, -30, 0, 60); // trackpad: earlier in time
      for (const key of ['+', '+', 'ArrowRight', 'ArrowRight', 'ArrowLeft', '-', '-', 'End', 'Home']) await page.keyboard.press(key);
      await zoomWheel(page, x, middleY, 60);
    }
    const record: FrameRecord = await page.evaluate(() => window.timelineBench.stop());
    // Idle, the timeline must not draw at all: no animation loop. Chromium is still delivering
    // queued wheel events (one per frame) when the script's calls have returned: wait for the last.
    await page.waitForFunction(() => performance.now() - window.timelineBench.lastInputAt > 300, undefined, { polling: 100 });
    await page.evaluate(() => window.timelineBench.start());
    await page.waitForTimeout(IDLE_MS);
    const idle: FrameRecord = await page.evaluate(() => window.timelineBench.stop());
    return {
      idleDraws: idle.drawTimes.length,
      medianMs: percentile(record.frameIntervals, 0.5),
      p95Ms: percentile(record.frameIntervals, 0.95),
      frames: record.frameIntervals.length,
      drawMedianMs: percentile(record.drawTimes, 0.5),
      drawP95Ms: percentile(record.drawTimes, 0.95),
      draws: record.drawTimes.length,
    };
  });
}

/** Saves timeline-light.png and timeline-dark.png in `dir`: the session zoomed out, and zoomed in on the selection. */
export async function screenshotTimeline(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  return withBenchPage(async (browser, url) => {
    const page = await openPage(browser, url, { views: 2, scale: 2, height: 372 });
    // The keyboard zooms around the selection, in the middle; wheel deltas are not exact in headless Chromium.
    await page.locator('.timeline').nth(1).focus();
    for (let i = 0; i < ZOOM_IN_KEY_PRESSES; i++) await page.keyboard.press('+');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const files: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      const file = join(dir, `timeline-${colorScheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      files.push(file);
    }
    return files;
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const screenshotsAt = process.argv.indexOf('--screenshots');
  if (screenshotsAt > 0) {
    for (const file of await screenshotTimeline(resolve(process.argv[screenshotsAt + 1] ?? 'docs'))) console.log(`saved ${file}`);
  } else {
    for (const cpuSlowdown of [1, 4]) {
      const r = await benchTimeline({ cpuSlowdown });
      console.log(
        `timeline  10,000 segments, 3 h, 2 channels, ~5 s of zooming and scrolling in headless Chromium${cpuSlowdown === 1 ? '' : `, CPU ${cpuSlowdown}x slower`}: ` +
          `frame interval median ${r.medianMs.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms over ${r.frames} frames; ` +
          `draw median ${r.drawMedianMs.toFixed(2)} ms, p95 ${r.drawP95Ms.toFixed(2)} ms over ${r.draws} draws (target p95 < 16 ms); ${r.idleDraws} draws in ${IDLE_MS / 1000} s idle`,
      );
    }
  }
}
