// The player and the timeline's layout, in Debian's Chromium against `cli -- serve`: Space plays
// and pauses, Escape stops, the whole session plays through segment boundaries, a click or a drag
// on the waveform or the axis seeks, the view pages along with the playhead, the segment being
// played is marked in the list, keyboard zoom keeps the playhead or the selection in view; the
// timeline fills its panel with a waveform per channel, the split with the list resizes (mouse
// and keyboard), cut labels end in an ellipsis with the whole text on hover and in the details,
// channel names stay clear of the blocks, and the overview strip shows and moves the view.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineProbe } from '../../src/renderer/src/lib/timeline/types';
import { INSTANT_MODEL, dataFile } from '../support/helpers';
import { audioState, importAndOpen, screenshot, startHarness, timelinePoints, timelineProbe, type Harness } from './harness';
import { CHROMIUM } from '../support/chromium';

const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('the player and the timeline in Chromium', () => {
  let harness: Harness;
  /** The finals of silero-test.wav (60 s of speech, one channel), from the results list. */
  let rows: { id: number; start: number; end: number; text: string }[];

  beforeAll(async () => {
    harness = await startHarness({ microphoneWav: dataFile('mic-speech-12s.wav'), model: INSTANT_MODEL });
    await importAndOpen(harness.page, dataFile('silero-test.wav'));
    const list = harness.page.locator('.results .row.kind-final');
    await list.nth(4).waitFor({ timeout: 30_000 });
    await harness.page
      .locator('audio')
      .evaluate((audio: HTMLAudioElement) =>
        audio.readyState >= 1 ? undefined : new Promise((done) => audio.addEventListener('loadedmetadata', done, { once: true })),
      );
    rows = await list.evaluateAll((elements) =>
      elements.map((row) => {
        const [start, end] = row.querySelector('.times')!.textContent!.split('–');
        const [m1, s1] = start!.trim().split(':');
        const [m2, s2] = end!.trim().split(':');
        return {
          id: Number((row as HTMLElement).dataset['id']),
          start: Number(m1) * 60 + Number(s1),
          end: Number(m2) * 60 + Number(s2),
          text: row.querySelector('.text')!.textContent!,
        };
      }),
    );
  });
  afterAll(() => harness?.close());

  it('Space plays and pauses, Escape stops, and neither does anything while typing in a field', async () => {
    const { page } = harness;
    const player = page.getByRole('group', { name: 'Player' });
    await page.locator('.session .timeline').focus();
    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState(page)).currentTime, { timeout: 10_000 }).toBeGreaterThan(0.4);
    expect((await audioState(page)).paused).toBe(false);
    await player.getByRole('button', { name: 'Pause', exact: true }).waitFor();

    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState(page)).paused).toBe(true);
    const pausedAt = (await audioState(page)).currentTime;
    await page.waitForTimeout(400);
    expect((await audioState(page)).currentTime).toBeCloseTo(pausedAt, 2);
    await player.getByRole('button', { name: 'Play', exact: true }).waitFor();

    // On again from where it paused, then stopped: back to the start.
    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState(page)).currentTime).toBeGreaterThan(pausedAt + 0.2);
    await page.keyboard.press('Escape');
    await expect.poll(async () => audioState(page)).toEqual({ paused: true, currentTime: 0 });

    // With a segment selected, Escape goes back to its start; Enter plays exactly it.
    await page.locator(`.results .row[data-id="${rows[1]!.id}"]`).click();
    await page.locator('.results').press('Enter');
    await expect.poll(async () => (await audioState(page)).currentTime, { timeout: 10_000 }).toBeGreaterThan(rows[1]!.start + 0.3);
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await audioState(page)).paused).toBe(true);
    expect((await audioState(page)).currentTime).toBeCloseTo(rows[1]!.start, 1);

    // Typing a space or pressing Escape in a text field is typing.
    const search = page.getByRole('searchbox', { name: 'Search sessions' });
    await search.focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    expect(await audioState(page)).toEqual({ paused: true, currentTime: expect.closeTo(rows[1]!.start, 1) });
    await search.fill('');
  });

  it('seeks where the waveform or the axis is clicked, and scrubs while dragged', async () => {
    const { page } = harness;
    await page.locator('.session .timeline').focus();
    await page.keyboard.press('0'); // the whole session
    let points = await timelinePoints(page);
    const tolerance = 3 * points.probe.view.secondsPerPixel;

    await page.mouse.click(points.x(20), points.waveformY(0));
    await expect.poll(async () => (await audioState(page)).currentTime).toBeCloseTo(20, 0);
    expect(Math.abs((await audioState(page)).currentTime - 20)).toBeLessThan(tolerance);
    await page.mouse.click(points.x(33.3), points.axisY);
    await expect.poll(async () => Math.abs((await audioState(page)).currentTime - 33.3)).toBeLessThan(tolerance);
    expect((await audioState(page)).paused).toBe(true);

    // Drag from 10 s to 45 s: the playhead follows the pointer while the button is down.
    const selectedBefore = await page.locator('.results [aria-selected="true"]').getAttribute('data-id');
    points = await timelinePoints(page);
    await page.mouse.move(points.x(10), points.waveformY(0));
    await page.mouse.down();
    await expect.poll(async () => Math.abs((await audioState(page)).currentTime - 10)).toBeLessThan(tolerance);
    await page.mouse.move(points.x(30), points.waveformY(0), { steps: 5 });
    await expect.poll(async () => Math.abs((await audioState(page)).currentTime - 30)).toBeLessThan(tolerance);
    // Past the lanes and back: still scrubbing, the pointer is captured.
    await page.mouse.move(points.x(45), points.laneY(0) + 200, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => Math.abs((await audioState(page)).currentTime - 45)).toBeLessThan(tolerance);
    // Scrubbing selects nothing.
    expect(await page.locator('.results [aria-selected="true"]').getAttribute('data-id')).toBe(selectedBefore);
  });

  it('plays the whole session through segment boundaries, marking the segment being played in the list', async () => {
    const { page } = harness;
    // Two segments that touch: 0.4 s before the first one ends.
    const touching = rows.findIndex((row, i) => i > 0 && Math.abs(row.start - rows[i - 1]!.end) < 0.05);
    expect(touching).toBeGreaterThan(0);
    const [first, second] = [rows[touching - 1]!, rows[touching]!];
    const points = await timelinePoints(page);
    await page.mouse.click(points.x(first.end - 0.4), points.axisY);
    await expect.poll(async () => (await audioState(page)).currentTime).toBeLessThan(first.end);
    await expect.poll(() => page.locator('.results [aria-current]').getAttribute('data-id')).toBe(String(first.id));

    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState(page)).currentTime, { timeout: 10_000 }).toBeGreaterThan(second.start + 0.4);
    expect((await audioState(page)).paused).toBe(false);
    await expect.poll(() => page.locator('.results [aria-current]').getAttribute('data-id')).toBe(String(second.id));
    expect(await page.locator('.results [aria-current]').count()).toBe(1);
    await screenshot(page, 'player');
    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState(page)).paused).toBe(true);
  });

  it('pages the view along with the playhead when zoomed in', async () => {
    const { page } = harness;
    const timeline = page.locator('.session .timeline');
    await timeline.focus();
    await page.keyboard.press('0');
    for (let i = 0; i < 7; i++) await page.keyboard.press('+');
    let points = await timelinePoints(page);
    const span = points.probe.layout.plotWidth * points.probe.view.secondsPerPixel;
    expect(span).toBeLessThan(10);
    // Half a second before the right edge, then play.
    const from = points.probe.view.start + span - 0.5;
    await page.mouse.click(points.x(from), points.waveformY(0));
    await expect.poll(async () => Math.abs((await audioState(page)).currentTime - from)).toBeLessThan(0.1);
    const startBefore = points.probe.view.start;
    await page.keyboard.press('Space');
    await expect.poll(async () => (await timelineProbe(page)).view.start, { timeout: 10_000 }).toBeGreaterThan(startBefore + span / 2);
    points = await timelinePoints(page);
    const now = (await audioState(page)).currentTime;
    expect(now).toBeGreaterThanOrEqual(points.probe.view.start);
    expect(now).toBeLessThanOrEqual(points.probe.view.start + span);
    // Zooming while playing keeps the playhead in view.
    for (let i = 0; i < 3; i++) await page.keyboard.press('-');
    for (let i = 0; i < 5; i++) await page.keyboard.press('+');
    const { zoomed, playing } = await page.evaluate(() => ({
      zoomed: (document.querySelector('.session .timeline') as HTMLElement & { timelineProbe(): TimelineProbe }).timelineProbe(),
      playing: document.querySelector('audio')!.currentTime,
    }));
    // The audio runs up to a frame ahead of the playhead drawn.
    expect(playing).toBeGreaterThanOrEqual(zoomed.view.start);
    expect(playing).toBeLessThanOrEqual(zoomed.view.start + zoomed.layout.plotWidth * zoomed.view.secondsPerPixel + 0.05);
    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState(page)).paused).toBe(true);
  });

  it('keyboard zoom stays on the selection, and brings it back to the middle when scrolled away', async () => {
    const { page } = harness;
    const last = rows[rows.length - 1]!;
    await page.locator(`.results .row[data-id="${last.id}"]`).click();
    const timeline = page.locator('.session .timeline');
    await timeline.focus();
    await page.keyboard.press('0');
    for (let i = 0; i < 6; i++) await page.keyboard.press('+');
    let probe = await timelineProbe(page);
    let span = probe.layout.plotWidth * probe.view.secondsPerPixel;
    expect(span).toBeLessThan(10);
    const middle = (last.start + last.end) / 2;
    expect(middle).toBeGreaterThanOrEqual(probe.view.start);
    expect(middle).toBeLessThanOrEqual(probe.view.start + span);

    // Scrolled away from both, zooming brings the selection back to the middle.
    await page.keyboard.press('Home');
    await page.keyboard.press('+');
    probe = await timelineProbe(page);
    span = probe.layout.plotWidth * probe.view.secondsPerPixel;
    expect(Math.abs(probe.view.start + span / 2 - middle)).toBeLessThan(span * 0.05);
  });

  it('fills the panel: a waveform per channel, a split with the list that resizes by mouse and keyboard', async () => {
    const { page } = harness;
    await importAndOpen(page, dataFile('stereo-two-speakers.wav'));
    await expect.poll(() => page.locator('.results .row.kind-final').count(), { timeout: 30_000 }).toBe(2);
    const pane = page.locator('.session .timeline-pane');
    const canvas = page.locator('.session .timeline canvas');
    const heightOf = async (locator: typeof pane) => (await locator.boundingBox())!.height;

    // At 1280x800 the canvas takes its pane, and the waveforms and lanes most of the canvas.
    await expect.poll(async () => (await heightOf(canvas)) / (await heightOf(pane))).toBeGreaterThan(0.9);
    const probe = await timelineProbe(page);
    const { layout } = probe;
    expect(layout.channelsBottom - layout.channelsTop).toBeGreaterThan(0.7 * layout.height);
    expect(layout.channelsBottom - layout.channelsTop).toBe(2 * layout.bandHeight);
    expect(layout.waveformHeight).toBeGreaterThan(layout.laneHeight);

    // Each channel its own waveform: the left one speaks first, the right one after 5 s. Counts
    // the pixels unlike the background in a box 40 px wide just above the waveform's middle line.
    const inked = (time: number, channel: number) =>
      canvas.evaluate(
        (element: HTMLCanvasElement, [x, middle]) => {
          const ratio = element.width / element.getBoundingClientRect().width;
          const context = element.getContext('2d')!;
          const pixels = context.getImageData(
            Math.round((x! - 20) * ratio),
            Math.round((middle! - 20) * ratio),
            Math.round(40 * ratio),
            Math.round(16 * ratio),
          ).data;
          const [r, g, b] = context.getImageData(1, Math.round(middle! * ratio), 1, 1).data; // the gutter
          let differing = 0;
          for (let i = 0; i < pixels.length; i += 4)
            if (Math.abs(pixels[i]! - r!) + Math.abs(pixels[i + 1]! - g!) + Math.abs(pixels[i + 2]! - b!) > 30) differing++;
          return differing;
        },
        [
          layout.plotLeft + (time - probe.view.start) / probe.view.secondsPerPixel,
          layout.channelsTop + channel * layout.bandHeight + layout.waveformHeight / 2,
        ],
      );
    await expect.poll(() => inked(2.5, 0), { timeout: 10_000 }).toBeGreaterThan(40); // once the waveform has come
    expect(await inked(2.5, 1)).toBe(0);
    expect(await inked(7.5, 1)).toBeGreaterThan(40);
    expect(await inked(7.5, 0)).toBe(0);

    // A bigger window, a taller timeline.
    const before = await heightOf(canvas);
    await page.setViewportSize({ width: 1280, height: 1000 });
    await expect.poll(() => heightOf(canvas)).toBeGreaterThan(before + 100);
    await page.setViewportSize({ width: 1280, height: 800 });
    await expect.poll(() => heightOf(canvas)).toBeCloseTo(before, 0);

    // The split: a separator with its value, moved with the keyboard and dragged.
    const separator = page.getByRole('separator', { name: /Resize the timeline/ });
    const share = async () => Number(await separator.getAttribute('aria-valuenow'));
    const initial = await share();
    await separator.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await share()).toBe(initial + 10);
    await expect.poll(() => heightOf(canvas)).toBeGreaterThan(before + 20);
    await page.keyboard.press('Home');
    expect(await share()).toBe(20);
    await expect.poll(() => heightOf(canvas)).toBeLessThan(before);
    const box = (await separator.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + 150, { steps: 5 });
    await page.mouse.up();
    expect(await share()).toBeGreaterThan(35);
    // Back to where it was.
    await separator.focus();
    await page.keyboard.press('Home');
    for (let value = 20; value < initial; value += 5) await page.keyboard.press('ArrowDown');
    expect(await share()).toBe(initial);
  });

  it('keeps the channel names clear of the blocks', async () => {
    const { page } = harness;
    const points = await timelinePoints(page);
    const { layout, laneNames } = points.probe;
    expect(laneNames).toHaveLength(2);
    // The first block starts at 0.5 s, right of the plot's edge; the names end before it.
    const firstBlockX = points.x(0.48) - points.canvas.x;
    for (const [channel, name] of laneNames.entries()) {
      expect(name.right).toBeGreaterThan(name.left);
      expect(name.right).toBeLessThanOrEqual(layout.plotLeft);
      expect(name.right).toBeLessThan(firstBlockX);
      const top = layout.channelsTop + channel * layout.bandHeight + layout.waveformHeight;
      expect(name.top).toBeGreaterThanOrEqual(top);
      expect(name.bottom).toBeLessThanOrEqual(top + layout.laneHeight);
    }
  });

  it('cuts long labels with an ellipsis, with the whole text in a tooltip and in the details', async () => {
    const { page } = harness;
    await page.getByRole('navigation', { name: 'Sessions' }).getByText('silero-test').click();
    await page.locator('.session h1', { hasText: 'silero-test' }).waitFor();
    await expect.poll(() => page.locator('.results .row.kind-final').count()).toBe(rows.length);
    const timeline = page.locator('.session .timeline');
    await timeline.focus();
    await page.keyboard.press('0');
    // Some zoom at which a block is wide enough for a label but not for all of it.
    let cut: { id: number; text: string } | undefined;
    for (let zooms = 0; zooms < 6 && !cut; zooms++) {
      await expect.poll(async () => (await timelineProbe(page)).labels.length).toBeGreaterThan(0);
      cut = (await timelineProbe(page)).labels.find((label) => label.text.endsWith('…'));
      if (!cut) await page.keyboard.press('+');
    }
    expect(cut).toBeDefined();
    const row = rows.find((r) => r.id === cut!.id)!;
    expect(row.text.startsWith(cut!.text.slice(0, -1))).toBe(true);
    expect(cut!.text.length).toBeLessThan(row.text.length + 1);

    // Hovering the block shows its whole label.
    const points = await timelinePoints(page);
    const x = Math.max(points.x(row.start), points.canvas.x + points.probe.layout.plotLeft) + 8;
    await page.mouse.move(x, points.laneY(0));
    const tooltip = page.getByRole('tooltip');
    await tooltip.waitFor();
    expect(await tooltip.innerText()).toContain(row.text);
    // The list's cell has it as its title; a click on the block shows it in the details.
    expect(await page.locator(`.results .row[data-id="${row.id}"] .text`).getAttribute('title')).toBe(row.text);
    await page.mouse.click(x, points.laneY(0));
    await expect.poll(() => page.locator('.results [aria-selected="true"]').getAttribute('data-id')).toBe(String(row.id));
    expect(await page.locator('.session .details .text').innerText()).toBe(row.text);
    await page.mouse.move(points.canvas.x - 50, points.canvas.y - 50);
    await tooltip.waitFor({ state: 'detached' });
  });

  it('shows the visible window on the overview strip, and moves the view when it is clicked, dragged or keyed', async () => {
    const { page } = harness;
    const timeline = page.locator('.session .timeline');
    await timeline.focus();
    await page.keyboard.press('0');
    let points = await timelinePoints(page);
    const overview = page.getByRole('scrollbar', { name: /Overview/ });
    const strip = (await overview.boundingBox())!;
    // Zoomed out, the window is the whole strip.
    expect(points.probe.overviewWindow.left - points.probe.layout.plotLeft).toBeLessThan(2);
    expect(points.probe.overviewWindow.right - points.probe.layout.plotLeft).toBeGreaterThan(strip.width - 2);
    for (let i = 0; i < 4; i++) await page.keyboard.press('+');
    points = await timelinePoints(page);
    const { view, layout, duration } = points.probe;
    const span = layout.plotWidth * view.secondsPerPixel;
    // Zoomed in, the window is as wide as the view's share of the session, where the view is.
    const drawn = points.probe.overviewWindow;
    expect((drawn.right - drawn.left) / layout.plotWidth).toBeCloseTo(span / duration, 1);
    expect((drawn.left - layout.plotLeft) / layout.plotWidth).toBeCloseTo(view.start / duration, 1);

    // A click centres the window there.
    await page.mouse.click(strip.x + strip.width * 0.75, strip.y + strip.height / 2);
    let moved = await timelineProbe(page);
    expect(Math.abs(moved.view.start + span / 2 - 0.75 * duration)).toBeLessThan(duration * 0.02);

    // Dragging the window moves the view with it.
    const window = moved.overviewWindow;
    const grabX = strip.x + (window.left + window.right) / 2 - layout.plotLeft;
    await page.mouse.move(grabX, strip.y + strip.height / 2);
    await page.mouse.down();
    await page.mouse.move(grabX - 200, strip.y + strip.height / 2, { steps: 5 });
    await page.mouse.up();
    const dragged = await timelineProbe(page);
    expect(dragged.view.start).toBeCloseTo(moved.view.start - (200 / strip.width) * duration, 0);

    // From the keyboard: it is a scrollbar with its value.
    await overview.focus();
    await page.keyboard.press('End');
    moved = await timelineProbe(page);
    expect(moved.view.start + span).toBeCloseTo(duration, 1);
    expect(await overview.getAttribute('aria-valuenow')).toBe('100');
    await page.keyboard.press('Home');
    expect((await timelineProbe(page)).view.start).toBe(0);
    expect(await overview.getAttribute('aria-valuenow')).toBe('0');
    await page.keyboard.press('ArrowRight');
    expect((await timelineProbe(page)).view.start).toBeCloseTo(span * 0.1, 3);
  });

  it('names every control of the player and the timeline, and shows it focused', async () => {
    const { page } = harness;
    for (const name of ['Play', 'Stop playback', 'Play selection', 'Zoom out', 'Zoom in', 'Whole session']) {
      await page.getByRole('group', { name: 'Player' }).getByRole('button', { name, exact: true }).waitFor();
    }
    expect(await page.getByRole('button', { name: 'Play', exact: true }).getAttribute('aria-keyshortcuts')).toBe('Space');
    expect(await page.getByRole('button', { name: 'Stop playback', exact: true }).getAttribute('aria-keyshortcuts')).toBe('Escape');
    // Tab goes from the player to the timeline, its overview, the separator and the list, each with a visible outline.
    const reached: string[] = [];
    await page.getByRole('button', { name: 'Whole session' }).focus();
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        const style = getComputedStyle(element);
        return { role: element.getAttribute('role') ?? element.tagName, outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
      });
      reached.push(focused.role);
      expect(focused.outline).toBe(true);
    }
    expect(reached).toEqual(['application', 'scrollbar', 'separator', 'listbox']);
  });
});
