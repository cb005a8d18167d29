// The UI as a person uses it, in Debian's Chromium against `cli -- serve`: record from the
// (fake) microphone, import files, keep sessions across a reload, rename, search, delete,
// export, and play a segment.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import type { Session } from '../../src/shared/sessions';
import { INSTANT_MODEL, dataFile } from '../support/helpers';
import { startHarness, type Harness } from './harness';
import { CHROMIUM } from '../support/chromium';

const run = promisify(execFile);
const hasChromium = existsSync(CHROMIUM);
type Segment = Extract<ApiResponse, { type: 'segment' }>;

async function cli(harness: Harness, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['out/node/cli.js', ...args, '--data-dir', harness.dataDir]);
  return stdout;
}

async function storedSessions(harness: Harness): Promise<Session[]> {
  const out = (await cli(harness, 'sessions', '--json')).trim();
  return out ? out.split('\n').map((line) => JSON.parse(line)) : [];
}

/** The README's pictures: taken on the way when UTTERLY_SCREENSHOTS=1, so a test run changes no file. */
async function screenshot(page: Harness['page'], name: string): Promise<void> {
  if (process.env['UTTERLY_SCREENSHOTS'] === '1') await page.screenshot({ path: `docs/${name}.png` });
}

const finalsOf = (events: ApiResponse[]) => events.filter((e): e is Segment => e.type === 'segment' && e.is_final === true);

describe.skipIf(!hasChromium)('the app in Chromium', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ microphoneWav: dataFile('mic-speech-12s.wav'), model: { ...INSTANT_MODEL, delay: 0.05 } });
  });
  afterAll(() => harness?.close());

  it('records from the microphone: activity, interim and final results appear while recording, and the finals match `cli process` on the same audio', async () => {
    const { page } = harness;
    const record = page.getByRole('button', { name: 'Record', exact: true });
    await record.waitFor();
    await record.click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();

    // While recording: someone speaking, then provisional and final results.
    await page.getByRole('status').filter({ hasText: 'Speaking' }).waitFor({ timeout: 15_000 });
    await page.locator('.results .row.kind-interim').first().waitFor({ timeout: 15_000 });
    await page.locator('.results .row.kind-final').first().waitFor({ timeout: 15_000 });
    await page.waitForTimeout(10_000 - 4_000);
    await screenshot(page, 'recording');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 30_000 });

    const [session] = await storedSessions(harness);
    expect(session).toMatchObject({ source: 'mic', status: 'done' });
    expect(session!.duration).toBeGreaterThan(8);
    const live = finalsOf(JSON.parse(await cli(harness, 'export', session!.id, '--format', 'json')).events);
    const model = join(harness.dataDir, '..', 'model.json');
    const offline = finalsOf(
      (await run(process.execPath, ['out/node/cli.js', 'process', session!.audio_path!, '--model-config', model])).stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
    expect(live.length).toBeGreaterThan(0);
    // Channel by channel: the channels' results interleave as the engine happens to finish them.
    for (let channel = 0; channel < session!.format!.channels; channel++) {
      const mine = live.filter((s) => s.channel === channel);
      const theirs = offline.filter((s) => s.channel === channel);
      expect(mine).toHaveLength(theirs.length);
      mine.forEach((segment, i) => {
        expect(Math.abs(segment.start_time - theirs[i]!.start_time)).toBeLessThanOrEqual(0.3);
        expect(Math.abs(segment.end_time - theirs[i]!.end_time)).toBeLessThanOrEqual(0.3);
      });
    }
    // What the timeline's list shows is what was stored.
    expect(await page.locator('.results .row.kind-final').count()).toBe(live.length);
  });

  it('imports files through the file input: an unreadable one shows why, the other its segments', async () => {
    const { page } = harness;
    const broken = join(harness.dataDir, '..', 'broken.wav');
    writeFileSync(broken, 'RIFF, but not really a WAV file at all');
    await page.locator('input[type=file]').setInputFiles([broken, dataFile('stereo-two-speakers.ogg')]);
    const failed = page.locator('.imports li', { hasText: 'broken.wav' });
    await failed.getByText('Could not import').waitFor({ timeout: 30_000 });
    expect(await failed.getByRole('alert').innerText()).toBe('cannot decode broken.wav: not a recognised audio format');
    const item = page.locator('.imports li', { hasText: 'stereo-two-speakers.ogg' });
    await item.waitFor();
    await item.getByText('Done').waitFor({ timeout: 30_000 });
    await item.getByRole('button', { name: 'Open' }).click();
    await page.locator('.session h1', { hasText: 'stereo-two-speakers' }).waitFor();
    await expect.poll(() => page.locator('.results .row.kind-final').count()).toBe(2);
    await screenshot(page, 'import');
  });

  it('cancels a long import midway: the session is cancelled with the results so far', async () => {
    const { page } = harness;
    // Ten minutes of speech, made from the fixture.
    const fixture = readFileSync(dataFile('silero-test.wav'));
    const pcm = Buffer.concat(Array.from({ length: 10 }, () => fixture.subarray(44)));
    const header = Buffer.from(fixture.subarray(0, 44));
    header.writeUInt32LE(36 + pcm.length, 4);
    header.writeUInt32LE(pcm.length, 40);
    const long = join(harness.dataDir, '..', 'ten-minutes.wav');
    writeFileSync(long, Buffer.concat([header, pcm]));

    await page.locator('input[type=file]').setInputFiles(long);
    const item = page.locator('.imports li', { hasText: 'ten-minutes.wav' });
    await item.getByText('Processing').waitFor({ timeout: 30_000 });
    const progress = item.locator('progress');
    await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 30_000 }).toBeGreaterThan(0.2);
    await item.getByText(/left/).waitFor();
    await item.getByRole('button', { name: /Cancel/ }).click();
    await item.getByText('Cancelled').waitFor({ timeout: 30_000 });

    const cancelled = (await storedSessions(harness)).find((s) => s.original_name === 'ten-minutes.wav')!;
    expect(cancelled.status).toBe('cancelled');
    const found = finalsOf(JSON.parse(await cli(harness, 'export', cancelled.id, '--format', 'json')).events);
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThan(70);
  });

  it('keeps sessions across a reload; rename, search, export and delete work', async () => {
    const { page } = harness;
    await page.reload();
    const sidebar = page.getByRole('navigation', { name: 'Sessions' });
    await expect.poll(() => sidebar.locator('li button.open').count()).toBe(3);

    // Rename in place.
    const imported = sidebar.locator('li', { hasText: 'stereo-two-speakers' });
    await imported.getByRole('button', { name: /^Rename/ }).click();
    const title = sidebar.getByRole('textbox', { name: /New title/ });
    await title.fill('Two voices');
    await title.press('Enter');
    await sidebar.getByText('Two voices').waitFor();

    // Search by title, then by file name.
    const search = sidebar.getByRole('searchbox', { name: 'Search sessions' });
    await search.fill('voices');
    await expect.poll(() => sidebar.locator('li button.open').count()).toBe(1);
    await search.fill('TEN-MINUTES');
    await expect.poll(() => sidebar.locator('li button.open').count()).toBe(1);
    await search.fill('');
    await expect.poll(() => sidebar.locator('li button.open').count()).toBe(3);

    // Export: the downloaded JSON is the session as stored.
    await sidebar.getByText('Two voices').click();
    await page.locator('.session h1', { hasText: 'Two voices' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    const session = (await storedSessions(harness)).find((s) => s.title === 'Two voices')!;
    expect(download.suggestedFilename()).toBe('Two voices.json');
    expect(exported).toEqual(JSON.parse(await cli(harness, 'export', session.id, '--format', 'json')));

    // Delete, after confirming.
    await sidebar
      .locator('li', { hasText: 'ten-minutes' })
      .getByRole('button', { name: /^Delete/ })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => sidebar.locator('li button.open').count()).toBe(2);
    expect((await storedSessions(harness)).map((s) => s.original_name)).not.toContain('ten-minutes.wav');
  });

  it('plays exactly the selected segment', async () => {
    const { page } = harness;
    const sidebar = page.getByRole('navigation', { name: 'Sessions' });
    await sidebar.getByText('Two voices').click();
    const rows = page.locator('.results .row.kind-final');
    await expect.poll(() => rows.count()).toBe(2);
    await rows.nth(1).click();
    const bounds = (await rows.nth(1).locator('.times').innerText()).split('–').map((t) => {
      const [m, s] = t.trim().split(':');
      return Number(m) * 60 + Number(s);
    });
    await page.locator('.results').press('Enter');
    const audio = page.locator('audio');
    await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 10_000 }).toBeGreaterThan(bounds[0]! + 0.3);
    const during = await audio.evaluate((a: HTMLAudioElement) => a.currentTime);
    expect(during).toBeGreaterThanOrEqual(bounds[0]!);
    expect(during).toBeLessThanOrEqual(bounds[1]! + 0.1);
    await screenshot(page, 'playback');
  });

  it('refuses a bad setting with a message naming it, and keeps good ones across a reload', async () => {
    const { page } = harness;
    await page.getByRole('button', { name: 'Settings…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByRole('textbox', { name: 'Delay (s)' }).fill('-1');
    await dialog.getByRole('button', { name: 'Save' }).click();
    expect(await dialog.getByRole('alert').innerText()).toMatch(/model\.delay: delay must not be negative/);
    await dialog.getByRole('textbox', { name: 'Delay (s)' }).fill('0.02');
    await dialog.getByRole('textbox', { name: /Shortest utterance/ }).fill('5');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.reload();
    await page.getByRole('button', { name: 'Settings…' }).click();
    expect(await dialog.getByRole('textbox', { name: 'Delay (s)' }).inputValue()).toBe('0.02');
    expect(await dialog.getByRole('textbox', { name: /Shortest utterance/ }).inputValue()).toBe('5');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('stays usable at 1024x640 and in the dark theme', async () => {
    const { page } = harness;
    await page.setViewportSize({ width: 1024, height: 640 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'dark-1024x640');
    // Nothing overflows the window sideways; every button has a name.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const unnamed = await page
      .locator('button')
      .evaluateAll((buttons) => buttons.filter((b) => !(b.getAttribute('aria-label') || b.textContent?.trim())).length);
    expect(unnamed).toBe(0);
  });
});
