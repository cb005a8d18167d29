// A real browser against the real back end: `cli -- serve` on loopback with a fresh data folder,
// and Debian's Chromium driven by playwright-core, its microphone fed from a WAV file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startCliServer } from '../cli-server';
import { INSTANT_MODEL } from '../helpers';

export const CHROMIUM = '/usr/bin/chromium';

export interface Harness {
  url: string;
  dataDir: string;
  context: BrowserContext;
  page: Page;
  downloads: string;
  close(): Promise<void>;
}

export async function startHarness(options: { microphoneWav: string; model?: object }): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'utterly-e2e-'));
  const model = join(dataDir, 'model.json');
  writeFileSync(model, JSON.stringify({ model: options.model ?? INSTANT_MODEL }));
  const server = await startCliServer(join(dataDir, 'data'), model);
  const { url } = server;
  const downloads = join(dataDir, 'downloads');
  const context = await chromium.launchPersistentContext(join(dataDir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    downloadsPath: downloads,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${options.microphoneWav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(url);
  return {
    url,
    dataDir: join(dataDir, 'data'),
    context,
    page,
    downloads,
    close: async () => {
      await context.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
