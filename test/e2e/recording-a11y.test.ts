// Recording and accessibility, in Debian's Chromium against `cli -- serve`: the channels kept
// (a mono mix by default, or each channel), the microphone opened only when asked and closed
// after, a refused microphone explained where recording starts, axe-core on every main state,
// the Tab order (skip link first, one stop per session), focus after rename and delete, Alt+R
// ignored while typing, a lost connection noticed at once and recovered, and a warning before
// the page is closed mid-recording.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/shared/sessions';
import { INSTANT_MODEL, dataFile } from '../support/helpers';
import { axeViolations, importAndOpen, startHarness, timelineProbe, type Harness } from './harness';
import { CHROMIUM } from '../support/chromium';

const run = promisify(execFile);
const hasChromium = existsSync(CHROMIUM);

/** Counts the page's getUserMedia calls and keeps the streams, to see their tracks end. */
const INSTRUMENT_MICROPHONE = `
  (() => {
    const media = navigator.mediaDevices;
    const original = media.getUserMedia.bind(media);
    window.__microphone = { calls: 0, streams: [] };
    media.getUserMedia = async (constraints) => {
      window.__microphone.calls++;
      const stream = await original(constraints);
      window.__microphone.streams.push(stream);
      return stream;
    };
  })();
`;

interface MicrophoneUse {
  calls: number;
  /** Per stream opened, whether each of its tracks is still live. */
  live: boolean[];
}

function microphoneUse(page: Harness['page']): Promise<MicrophoneUse> {
  return page.evaluate(() => {
    const probe = (window as unknown as { __microphone: { calls: number; streams: MediaStream[] } }).__microphone;
    return { calls: probe.calls, live: probe.streams.map((stream) => stream.getTracks().some((track) => track.readyState === 'live')) };
  });
}

/** Whether closing the page now would ask first (a beforeunload listener cancels the event). */
function closingAsks(page: Harness['page']): Promise<boolean> {
  return page.evaluate(() => {
    const event = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  });
}

async function storedSessions(harness: Harness): Promise<Session[]> {
  const { stdout } = await run(process.execPath, ['out/node/cli.js', 'sessions', '--json', '--data-dir', harness.dataDir]);
  const out = stdout.trim();
  return out ? out.split('\n').map((line) => JSON.parse(line)) : [];
}

async function expectNoAxeViolations(page: Harness['page'], state: string): Promise<void> {
  expect(await axeViolations(page), `axe-core in the state: ${state}`).toEqual([]);
}

describe.skipIf(!hasChromium)('recording and accessibility in Chromium', () => {
  let harness: Harness;

  beforeAll(async () => {
    // A stereo microphone: two channels with different voices.
    harness = await startHarness({ microphoneWav: dataFile('stereo-two-speakers.wav'), model: INSTANT_MODEL, initScript: INSTRUMENT_MICROPHONE });
    await harness.page.getByRole('button', { name: 'Record', exact: true }).waitFor();
  });
  afterAll(() => harness?.close());

  /** Records for `seconds` and stops; gives the session as stored. */
  async function recordFor(seconds: number): Promise<Session> {
    const { page } = harness;
    const before = new Set((await storedSessions(harness)).map((s) => s.id));
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    await page.waitForTimeout(seconds * 1000);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await storedSessions(harness)).find((s) => !before.has(s.id))?.status, { timeout: 30_000 }).toBe('done');
    return (await storedSessions(harness)).find((s) => !before.has(s.id))!;
  }

  it('opens nothing on load: no microphone asked for, no error shown; axe-core finds nothing on the empty page; the skip link is the first Tab stop', async () => {
    const { page } = harness;
    await page.waitForTimeout(500);
    expect((await microphoneUse(page)).calls).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.locator('[role=application]').count()).toBe(0);
    await expectNoAxeViolations(page, 'empty');

    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: /Skip to/ });
    expect(await skip.evaluate((link) => link === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // The hidden file input is no Tab stop: after Import files… comes Settings….
    await page.getByRole('button', { name: 'Import files…' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Settings…');
  });

  it('records a mono mix by default: one channel in the session, one lane; the microphone closes after Stop; closing the page asks only while recording', async () => {
    const { page } = harness;
    expect(await page.getByRole('combobox', { name: 'Channels' }).inputValue()).toBe('mix');
    expect(await closingAsks(page)).toBe(false);
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    expect((await microphoneUse(page)).calls).toBe(1);
    expect(await closingAsks(page)).toBe(true);
    await page.waitForTimeout(3000);
    await expectNoAxeViolations(page, 'recording');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 30_000 });
    expect(await closingAsks(page)).toBe(false);
    await expect.poll(async () => (await microphoneUse(page)).live).toEqual([false]);

    const [session] = await storedSessions(harness);
    expect(session!.format!.channels).toBe(1);
    await page.locator('.session h1').waitFor();
    await expect.poll(async () => (await timelineProbe(page)).laneNames.length).toBe(1);
  });

  it('records each channel when asked: two channels, two lanes', async () => {
    const { page } = harness;
    await page.getByRole('combobox', { name: 'Channels' }).selectOption({ label: 'Each channel (2)' });
    const session = await recordFor(3);
    expect(session.format!.channels).toBe(2);
    await expect.poll(async () => (await timelineProbe(page)).laneNames.length).toBe(2);
    await expect.poll(async () => (await microphoneUse(page)).live.every((live) => !live)).toBe(true);
    await page.getByRole('combobox', { name: 'Channels' }).selectOption('mix');
  });

  it('the level check opens the microphone and closes it when turned off', async () => {
    const { page } = harness;
    const calls = (await microphoneUse(page)).calls;
    const check = page.getByRole('button', { name: 'Level check' });
    await check.click();
    await expect.poll(async () => (await microphoneUse(page)).calls).toBe(calls + 1);
    await expect
      .poll(() =>
        page
          .getByRole('meter')
          .first()
          .evaluate((m: HTMLMeterElement) => m.value),
      )
      .toBeGreaterThan(0);
    await check.click();
    await expect.poll(async () => (await microphoneUse(page)).live.every((live) => !live)).toBe(true);
  });

  it('Alt+R does nothing while typing in the search field', async () => {
    const { page } = harness;
    const calls = (await microphoneUse(page)).calls;
    const search = page.getByRole('searchbox', { name: 'Search sessions' });
    await search.focus();
    await page.keyboard.press('Alt+r');
    await page.waitForTimeout(500);
    expect((await microphoneUse(page)).calls).toBe(calls);
    expect(await page.getByRole('button', { name: 'Stop', exact: true }).count()).toBe(0);
    expect(await search.evaluate((field) => field === document.activeElement)).toBe(true);
  });

  it('one Tab stop per session; focus stays on the session after a rename and moves to its neighbour after a delete; axe-core finds nothing with a session open', async () => {
    const { page } = harness;
    const sidebar = page.getByRole('navigation', { name: 'Sessions' });
    const open = sidebar.locator('li button.open');
    await expect.poll(() => open.count()).toBe(2);
    await expectNoAxeViolations(page, 'a session open');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectNoAxeViolations(page, 'a session open, dark theme');
    await page.emulateMedia({ colorScheme: 'light' });

    await open.nth(0).focus();
    await page.keyboard.press('Tab');
    expect(await open.nth(1).evaluate((button) => button === document.activeElement)).toBe(true);

    // Rename with F2, then Enter: focus is back on the session's button.
    await page.keyboard.press('F2');
    const title = sidebar.getByRole('textbox', { name: /New title/ });
    await title.fill('Renamed by keyboard');
    await title.press('Enter');
    await sidebar.getByText('Renamed by keyboard').waitFor();
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.querySelector('.title')?.textContent)).toBe('Renamed by keyboard');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('open'))).toBe(true);

    // Rename with the button and the mouse: the same.
    await sidebar.getByRole('button', { name: 'Rename Renamed by keyboard', exact: true }).click();
    await title.fill('Renamed again');
    await title.press('Enter');
    await sidebar.getByText('Renamed again').waitFor();
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.querySelector('.title')?.textContent)).toBe('Renamed again');

    // Delete with the Delete key: after confirming, focus is on the other session.
    const other = await open.nth(0).locator('.title').innerText();
    await page.keyboard.press('Delete');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => open.count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.querySelector('.title')?.textContent)).toBe(other);
  });

  it('axe-core finds nothing with the settings dialog open or an import busy', async () => {
    const { page } = harness;
    await page.getByRole('button', { name: 'Settings…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    await expectNoAxeViolations(page, 'settings dialog open');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Five minutes of speech, made from the fixture, to keep the import busy a while.
    const fixture = readFileSync(dataFile('silero-test.wav'));
    const pcm = Buffer.concat(Array.from({ length: 5 }, () => fixture.subarray(44)));
    const header = Buffer.from(fixture.subarray(0, 44));
    header.writeUInt32LE(36 + pcm.length, 4);
    header.writeUInt32LE(pcm.length, 40);
    const long = join(harness.dataDir, '..', 'five-minutes.wav');
    writeFileSync(long, Buffer.concat([header, pcm]));
    await page.locator('input[type=file]').setInputFiles(long);
    const item = page.locator('.imports li', { hasText: 'five-minutes.wav' });
    await item.getByText('Processing').waitFor({ timeout: 30_000 });
    await expectNoAxeViolations(page, 'import queue busy');
    await item.getByRole('button', { name: /Cancel/ }).click();
    await item.getByText('Cancelled').waitFor({ timeout: 30_000 });
  });

  it('notices a lost connection at once while recording, and reconnects when the server is back', async () => {
    const { page } = harness;
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    await page.waitForTimeout(2000);
    const recordingId = await page.evaluate(() => document.querySelector('nav li[data-id]')?.getAttribute('data-id'));

    const stopped = Date.now();
    await harness.killServer();
    await page.getByRole('alert').filter({ hasText: 'The connection to Utterly is lost' }).waitFor({ timeout: 2000 });
    await page.getByRole('alert').filter({ hasText: 'the recording stopped at' }).waitFor({ timeout: 2000 });
    expect(Date.now() - stopped).toBeLessThan(5000);
    // The timer has stopped, the microphone is closed, and closing the page no longer asks.
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 2000 });
    expect(await page.locator('.elapsed').count()).toBe(0);
    const at = await page.locator('.lost-at').innerText();
    await page.waitForTimeout(1500);
    expect(await page.locator('.lost-at').innerText()).toBe(at);
    expect(await closingAsks(page)).toBe(false);
    await expect.poll(async () => (await microphoneUse(page)).live.every((live) => !live)).toBe(true);
    // The session is marked in the sidebar.
    expect(await page.locator(`nav li[data-id="${recordingId}"] .status`).innerText()).toBe('interrupted');

    await harness.restartServer();
    await page.getByRole('status').filter({ hasText: 'Connected again' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('alert').filter({ hasText: 'The connection to Utterly is lost' }).count()).toBe(0);
    // The page reads again from the back end: the session as stored, interrupted (the server
    // marks a recording its crash left unfinished so when it starts).
    expect(await page.locator(`nav li[data-id="${recordingId}"] .status`).innerText()).toBe('interrupted');
    expect((await storedSessions(harness)).find((s) => s.id === recordingId)?.status).toBe('interrupted');
    // And works again: a new recording starts and stops.
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    await page.waitForTimeout(1000);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Record', exact: true }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').count()).toBe(0);
  });
});

describe.skipIf(!hasChromium)('a refused microphone in Chromium', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ microphoneWav: dataFile('mic-speech-12s.wav'), model: INSTANT_MODEL, microphone: 'deny' });
  });
  afterAll(() => harness?.close());

  it('says nothing until Record is pressed, then explains it there; importing still works', async () => {
    const { page } = harness;
    const record = page.getByRole('button', { name: 'Record', exact: true });
    await record.waitFor();
    await page.waitForTimeout(500);
    expect(await page.getByRole('alert').count()).toBe(0);
    await record.click();
    const explained = page.getByRole('region', { name: 'Record' }).getByRole('alert');
    await explained.waitFor({ timeout: 10_000 });
    expect(await explained.innerText()).toMatch(/may not use the microphone.*allow it.*Importing files works without it/s);
    await expectNoAxeViolations(page, 'microphone refused');
    await importAndOpen(page, dataFile('stereo-two-speakers.wav'));
  });
});
