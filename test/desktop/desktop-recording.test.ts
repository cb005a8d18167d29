// The desktop app's recording path end to end, with `electron` replaced by the strict double
// (./electron-double.ts): the real main entry starts the back end, IPC and the window; the real
// preload runs in that window; speech goes in through the preload's `sendAudio` in float blocks
// as the capture worklet makes them; the finals must be those `cli process` finds in the stored
// audio.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Result, UtterlyApi } from '../../src/shared/contract';
import type { ApiResponse } from '../../src/shared/api';
import type { Session } from '../../src/shared/sessions';
import { dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';

vi.mock('electron', async () => (await import('./electron-double')).electron.module);
const { electron, BrowserWindowDouble, RendererMessageChannel } = await import('./electron-double');

const home = mkdtempSync(join(tmpdir(), 'utterly-desktop-'));
process.env.XDG_DATA_HOME = join(home, 'data');
electron.app.setPath('userData', join(home, 'user-data'));
electron.app.setPath('logs', join(home, 'logs'));

const BLOCK_FRAMES = 2048; // as src/renderer/public/capture-worklet.js

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

const finalTimes = (events: ApiResponse[]) =>
  events
    .filter((e) => e.type === 'segment' && e.is_final === true)
    .map((e) => [e.channel, (e as { start_time: number }).start_time, (e as { end_time: number }).end_time]);

afterAll(() => {
  for (const win of BrowserWindowDouble.getAllWindows()) win.close();
  electron.app.emit('will-quit', { preventDefault: () => undefined });
});

describe('the desktop app', () => {
  it('records what the preload sends: the same finals as cli process on the stored audio', async () => {
    await import('../../src/main/desktop/index');
    electron.becomeReady();
    await vi.waitFor(() => expect(BrowserWindowDouble.getAllWindows()).toHaveLength(1));
    const win = BrowserWindowDouble.getAllWindows()[0]!;
    // The page loads and its preload runs, with the window's own MessageChannel.
    electron.loadingPage(win.webContents);
    vi.stubGlobal('MessageChannel', RendererMessageChannel);
    await import('../../src/preload/index');
    const api = electron.mainWorld.utterly as UtterlyApi;
    expect(api.platform).toBe('desktop');

    const settings = unwrap(await api.getSettings({}));
    unwrap(await api.setSettings({ settings: { ...settings, model: INSTANT_MODEL } }));

    // The worklet's blocks: interleaved float PCM at the device's rate, each a fresh ArrayBuffer.
    const { format, bytes } = readPcmWav(dataFile('mic-speech-12s.wav'));
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    const session = unwrap(
      await api.startRecording({
        format: { channels: 1, sample_rate: format.sample_rate, bit_depth: 32, is_float: true },
        settings: { mode: 'segmented', interim_results: false },
      }),
    );
    for (let offset = 0; offset < samples.length; offset += BLOCK_FRAMES) {
      const block = Float32Array.from(samples.subarray(offset, offset + BLOCK_FRAMES), (s) => s / 32768);
      api.sendAudio(session.id, block.buffer);
      // In real time a block is 128 ms at 16 kHz; a little pacing keeps the order of a live stream.
      if ((offset / BLOCK_FRAMES) % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const stopped: Session = unwrap(await api.stopRecording({ id: session.id }));
    expect(stopped.status).toBe('done');
    expect(stopped.duration).toBeCloseTo(samples.length / format.sample_rate, 1);

    const events = unwrap(await api.getEvents({ id: session.id, offset: 0, limit: 10_000 }));
    const desktopFinals = finalTimes(events);
    expect(desktopFinals.length).toBeGreaterThanOrEqual(2);

    const modelConfig = join(home, 'instant.json');
    writeFileSync(modelConfig, JSON.stringify({ model: INSTANT_MODEL }));
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'cli', '--', 'process', stopped.audio_path!, '--model-config', modelConfig]);
    const cliFinals = finalTimes(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as ApiResponse),
    );
    expect(desktopFinals).toEqual(cliFinals);

    // The window plays the stored audio from the app's own scheme, with byte ranges for seeking.
    const { url } = unwrap(await api.getAudioUrl({ id: session.id }));
    const media = electron.protocol.handlers.get(new URL(url).protocol.replace(':', ''))!;
    const stored = readFileSync(stopped.audio_path!);
    const partial = (await media(new Request(url, { headers: { range: 'bytes=100-199' } }))) as Response;
    expect(partial.status).toBe(206);
    expect(Buffer.from(await partial.arrayBuffer())).toEqual(stored.subarray(100, 200));
    const last = (await media(new Request(url, { headers: { range: 'bytes=-100' } }))) as Response;
    expect(last.headers.get('content-range')).toBe(`bytes ${stored.length - 100}-${stored.length - 1}/${stored.length}`);
    expect(Buffer.from(await last.arrayBuffer())).toEqual(stored.subarray(stored.length - 100));
    expect(((await media(new Request(url, { headers: { range: `bytes=${stored.length}-` } }))) as Response).status).toBe(416);
    const whole = (await media(new Request(url))) as Response;
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(stored);
  });

  it('brings its window forward when launched a second time', () => {
    const win = BrowserWindowDouble.getAllWindows()[0]!;
    win.minimized = true;
    win.focused = false;
    electron.app.emit('second-instance', {}, ['utterly'], process.cwd());
    expect(win.isMinimized()).toBe(false);
    expect(win.focused).toBe(true);
  });
});
