// A real browser against the real back end: `cli -- serve` on loopback with a fresh data folder,
// and Debian's Chromium driven by playwright-core, its microphone fed from a WAV file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { TimelineProbe } from '../../src/renderer/src/lib/timeline/types';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { startCliServer, type CliServer } from '../support/cli-server';
import { INSTANT_MODEL } from '../support/helpers';

export interface Harness {
  url: string;
  dataDir: string;
  context: BrowserContext;
  page: Page;
  downloads: string;
  /** Stops the server as Ctrl-C would (the page stays open). */
  stopServer(): Promise<void>;
  /** Kills the server (SIGKILL), as a crash would (the page stays open). */
  killServer(): Promise<void>;
  /** Starts the server again, on the same port and data folder. */
  restartServer(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  microphoneWav: string;
  model?: object;
  /** Whether the browser grants the microphone (default) or refuses it, as a person could. */
  microphone?: 'allow' | 'deny';
  /** Runs in the page before its own scripts, on every load. */
  initScript?: string;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'utterly-e2e-'));
  const model = join(dataDir, 'model.json');
  writeFileSync(model, JSON.stringify({ model: options.model ?? INSTANT_MODEL }));
  let server: CliServer = await startCliServer(join(dataDir, 'data'), model);
  const { url } = server;
  const downloads = join(dataDir, 'downloads');
  const context = await chromium.launchPersistentContext(join(dataDir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    downloadsPath: downloads,
    viewport: { width: 1280, height: 800 },
    args: [
      ...CHROMIUM_ARGS,
      options.microphone === 'deny' ? '--use-fake-ui-for-media-stream=deny' : '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${options.microphoneWav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error('page error:', error.message));
  if (options.initScript) await context.addInitScript(options.initScript);
  await page.goto(url);
  return {
    url,
    dataDir: join(dataDir, 'data'),
    context,
    page,
    downloads,
    stopServer: () => server.stop(),
    killServer: async () => {
      const { process: child } = server;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    restartServer: async () => {
      server = await startCliServer(join(dataDir, 'data'), model, ['--port', new URL(url).port]);
    },
    close: async () => {
      await context.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The README's pictures: taken on the way when UTTERLY_SCREENSHOTS=1, so a test run changes no file. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['UTTERLY_SCREENSHOTS'] === '1') await page.screenshot({ path: `docs/${name}.png` });
}

/** Imports `file` through the file input and opens its session once it is done. */
export async function importAndOpen(page: Page, file: string): Promise<void> {
  const name = basename(file);
  await page.locator('input[type=file]').setInputFiles(file);
  const item = page.locator('.imports li', { hasText: name });
  await item.getByText('Done').waitFor({ timeout: 60_000 });
  await item.getByRole('button', { name: 'Open' }).click();
  await page.locator('.session h1', { hasText: name.replace(/\.[^.]+$/, '') }).waitFor();
}

/** The session's audio element: whether it is paused, and where it is. */
export function audioState(page: Page): Promise<{ paused: boolean; currentTime: number }> {
  return page.locator('audio').evaluate((audio: HTMLAudioElement) => ({ paused: audio.paused, currentTime: audio.currentTime }));
}

/** What the open session's timeline shows where (its test hook, see TimelineProbe). */
export function timelineProbe(page: Page): Promise<TimelineProbe> {
  return page.locator('.session .timeline').evaluate((element) => (element as HTMLElement & { timelineProbe(): TimelineProbe }).timelineProbe());
}

/** Where on the page (CSS px) a time falls on the open timeline, and where its parts are vertically. */
export async function timelinePoints(page: Page): Promise<{
  probe: TimelineProbe;
  x(time: number): number;
  axisY: number;
  waveformY(channel: number): number;
  laneY(channel: number): number;
  overviewY: number;
  canvas: { x: number; y: number; width: number; height: number };
}> {
  const probe = await timelineProbe(page);
  const canvas = await page.locator('.session .timeline canvas').boundingBox();
  if (!canvas) throw new Error('no timeline canvas');
  const { layout, view } = probe;
  return {
    probe,
    canvas,
    x: (time) => canvas.x + layout.plotLeft + (time - view.start) / view.secondsPerPixel,
    axisY: canvas.y + layout.axisTop + layout.axisHeight / 2,
    waveformY: (channel) => canvas.y + layout.channelsTop + channel * layout.bandHeight + layout.waveformHeight / 2,
    laneY: (channel) => canvas.y + layout.channelsTop + channel * layout.bandHeight + layout.waveformHeight + layout.laneHeight / 2,
    overviewY: canvas.y + layout.overviewTop + layout.overviewHeight / 2,
  };
}

/** The rules axe-core broke on the page as it is now (none is the goal), one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated rather than added as a script tag: the page's CSP allows only its own scripts.
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(context: Document, options: object): Promise<{ violations: { id: string; help: string; nodes: { target: unknown[] }[] }[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
  return violations;
}
