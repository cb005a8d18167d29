// Settings and imports in Chromium against `cli -- serve`: a model setting changed in the UI
// shows on the next import; settings changed again and again while an import and a recording
// run lose nothing; simple mode from the microphone finishes within about 2 s of Stop; while a
// recording finishes, the button says how many results are still to come; an import's bar and
// Cancel survive a reload; SRT and WebVTT exports download and parse.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

async function cli(harness: Harness, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['out/node/cli.js', ...args, '--data-dir', harness.dataDir], { maxBuffer: 64 << 20 });
  return stdout;
}

async function storedSessions(harness: Harness): Promise<Session[]> {
  const out = (await cli(harness, 'sessions', '--json')).trim();
  return out ? out.split('\n').map((line) => JSON.parse(line) as Session) : [];
}

async function exported(harness: Harness, id: string): Promise<ApiResponse[]> {
  return (JSON.parse(await cli(harness, 'export', id, '--format', 'json')) as { events: ApiResponse[] }).events;
}

/** Several minutes of speech: the silero fixture `times` over, as one 16-bit WAV. */
function longWav(dir: string, times: number): string {
  const fixture = readFileSync(dataFile('silero-test.wav'));
  const pcm = Buffer.concat(Array.from({ length: times }, () => fixture.subarray(44)));
  const header = Buffer.from(fixture.subarray(0, 44));
  header.writeUInt32LE(36 + pcm.length, 4);
  header.writeUInt32LE(pcm.length, 40);
  const path = join(dir, `long-${times}.wav`);
  writeFileSync(path, Buffer.concat([header, pcm]));
  return path;
}

const finals = (events: ApiResponse[]) => events.filter((e) => e.type === 'segment' && e.is_final !== false);

describe.skipIf(!hasChromium)('settings and imports in Chromium', () => {
  let harness: Harness;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'utterly-e2e-files-'));
    harness = await startHarness({ microphoneWav: dataFile('mic-speech-12s.wav'), model: { ...INSTANT_MODEL, delay: 0.02 } });
  }, 60_000);
  afterAll(() => harness?.close());

  async function saveSettings(fields: Record<string, string>): Promise<void> {
    const { page } = harness;
    await page.getByRole('button', { name: 'Settings…' }).click();
    const dialog = page.getByRole('dialog');
    for (const [label, value] of Object.entries(fields)) await dialog.getByLabel(label, { exact: true }).fill(value);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  async function importFile(path: string): Promise<Session> {
    const before = new Set((await storedSessions(harness)).map((s) => s.id));
    await harness.page.locator('input[type=file]').setInputFiles(path);
    for (;;) {
      const added = (await storedSessions(harness)).find((s) => !before.has(s.id));
      if (added) return added;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function ended(id: string, timeout = 90_000): Promise<Session> {
    const until = Date.now() + timeout;
    for (;;) {
      const session = (await storedSessions(harness)).find((s) => s.id === id);
      if (session && session.status !== 'processing' && session.status !== 'recording') return session;
      if (Date.now() > until) throw new Error(`session ${id} did not end`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('a model setting changed in the UI (failure rate 1) shows on the next import: errors instead of finals', async () => {
    await saveSettings({ 'Failure rate (0–1)': '1' });
    const session = await importFile(dataFile('vad-node-test.wav'));
    expect((await ended(session.id)).status).toBe('done');
    const events = await exported(harness, session.id);
    expect(finals(events)).toHaveLength(0);
    expect(events.filter((e) => e.type === 'error').length).toBeGreaterThan(0);
    await saveSettings({ 'Failure rate (0–1)': '0' });
  }, 120_000);

  it('settings changed again and again during an import and a recording lose nothing', async () => {
    const { page } = harness;
    const imported = await importFile(longWav(scratch, 4));
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    for (let i = 0; i < 4; i++) {
      await saveSettings({ 'Jitter (s)': String((i + 1) / 100) });
      await page.waitForTimeout(700);
    }
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 30_000 });
    const recorded = (await storedSessions(harness)).find((s) => s.source === 'mic')!;
    for (const session of [await ended(imported.id), await ended(recorded.id)]) {
      expect(session.status, session.error ?? '').toBe('done');
      const events = await exported(harness, session.id);
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(finals(events).length).toBeGreaterThan(0);
    }
  }, 180_000);

  it('simple mode from the microphone with 1-s chunks finishes within about 2 s of Stop', async () => {
    const { page } = harness;
    await page.locator('section.record').getByLabel('Mode').selectOption('simple');
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    await page.waitForTimeout(5_000);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const stopped = Date.now();
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 30_000 });
    expect(Date.now() - stopped).toBeLessThan(2_500);
    const [session] = (await storedSessions(harness)).filter((s) => s.source === 'mic');
    expect(session).toMatchObject({ status: 'done', settings: { mode: 'simple', chunk_ms: 1000 } });
    const segments = (await exported(harness, session!.id)).filter(
      (e): e is Extract<ApiResponse, { type: 'segment' }> => e.type === 'segment' && e.channel === 0,
    );
    expect(segments.length).toBeLessThanOrEqual(Math.ceil(session!.duration!) + 1);
    for (const segment of segments.slice(0, -1)) expect(segment.end_time - segment.start_time).toBeCloseTo(1, 2);
    await page.locator('section.record').getByLabel('Mode').selectOption('segmented');
  }, 60_000);

  it('after Stop, the Record button says how many results are still to come', async () => {
    const { page } = harness;
    // A model slower than the audio: each 1-s chunk takes 2 s to answer, so results wait at Stop.
    await saveSettings({ 'Delay (s)': '2' });
    await page.locator('section.record').getByLabel('Mode').selectOption('simple');
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    await page.waitForTimeout(3_000);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: /^Finishing… \d+ results? to come$/ }).waitFor({ timeout: 5_000 });
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 30_000 });
    await page.locator('section.record').getByLabel('Mode').selectOption('segmented');
    await saveSettings({ 'Delay (s)': '0.02' });
  }, 60_000);

  it("an import's progress bar survives a reload and can still be cancelled", async () => {
    const { page } = harness;
    await saveSettings({ 'Delay (s)': '0.3' });
    const session = await importFile(longWav(scratch, 10));
    await page.locator('.imports li', { hasText: 'long-10' }).locator('progress').waitFor();
    await page.reload();
    const item = page.locator('.imports li', { hasText: 'long-10' });
    await item.locator('progress').waitFor({ timeout: 15_000 });
    await expect.poll(() => item.locator('progress').evaluate((p: HTMLProgressElement) => p.value), { timeout: 15_000 }).toBeGreaterThan(0);
    await item.getByRole('button', { name: /Cancel/ }).click();
    await item.getByText('Cancelled').waitFor({ timeout: 15_000 });
    expect((await ended(session.id)).status).toBe('cancelled');
    await saveSettings({ 'Delay (s)': '0.02' });
  }, 120_000);

  it('exports SRT and WebVTT that download and parse', async () => {
    const { page } = harness;
    const session = await importFile(dataFile('stereo-two-speakers.wav'));
    expect((await ended(session.id)).status).toBe('done');
    const item = page.locator('.imports li', { hasText: 'stereo-two-speakers.wav' }).last();
    await item.getByRole('button', { name: 'Open' }).click();
    const cueCount = finals(await exported(harness, session.id)).length;
    expect(cueCount).toBeGreaterThan(0);

    for (const [button, extension] of [
      ['Export SRT', 'srt'],
      ['Export WebVTT', 'vtt'],
    ] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      expect(download.suggestedFilename()).toBe(`stereo-two-speakers.${extension}`);
      const text = readFileSync((await download.path())!, 'utf8');
      const body = extension === 'vtt' ? text.replace(/^WEBVTT\n\n/, '') : text;
      if (extension === 'vtt') expect(text.startsWith('WEBVTT\n\n')).toBe(true);
      const cues = body.trim().split('\n\n');
      expect(cues).toHaveLength(cueCount);
      cues.forEach((cue, i) => {
        const lines = cue.split('\n');
        if (extension === 'srt') expect(lines.shift()).toBe(String(i + 1));
        const sep = extension === 'srt' ? ',' : '\\.';
        expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d${sep}\\d{3} --> \\d\\d:\\d\\d:\\d\\d${sep}\\d{3}$`));
        expect(lines[1]).toMatch(/^ch [12]: count \d+/);
      });
    }
  }, 120_000);
});
