// The contract over Electron IPC (src/main/desktop/ipc.ts), with the `electron` module mocked
// (the Electron binary is not needed) and, for each page, a client whose handlers record their
// calls and which owns SESSION_ID once the page has started a recording.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventEmitter } from 'node:events';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';

vi.mock('electron', async () => (await import('./electron-double')).electron.module);
const { electron, BrowserWindowDouble, IpcRendererDouble, WebFrameMainDouble } = await import('./electron-double');

import type { WebContents } from 'electron';
import { appFrameCheck, PUSH_BATCH_MS, setupIpc } from '../../src/main/desktop/ipc';
import type { BridgeClient, Handlers } from '../../src/main/bridge/handlers';
import type { SessionService } from '../../src/main/sessions/session-service';
import { AUDIO_CHANNEL, ipcChannel, METHOD_NAMES, PUSH_CHANNEL, type MethodName, type Push } from '../../src/shared/contract';
import type { Session } from '../../src/shared/sessions';
import type { AppLocation } from '../../src/main/desktop/window';

const rendererIndexHtml = join('/opt', 'utterly', 'out', 'renderer', 'index.html');
const location: AppLocation = { rendererIndexHtml };
const appUrl = pathToFileURL(rendererIndexHtml).href;

type Page = InstanceType<typeof IpcRendererDouble>;
type Window = InstanceType<typeof BrowserWindowDouble>;

const session = (id: string): Session => ({
  id,
  title: 'A',
  source: 'mic',
  original_name: null,
  format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false },
  source_format: null,
  settings: { mode: 'segmented', interim_results: true },
  status: 'recording',
  created_at: '2024-05-01T10:00:00.000Z',
  finished_at: null,
  duration: null,
  audio_path: null,
  error: null,
  rerun_of: null,
});

const SESSION_ID = '0b6c3c59-6a58-4f2c-9a59-5f3f0d3e1c11';

let handlers: Record<MethodName, Mock<(args: unknown) => Promise<unknown>>>;
let sendAudio: Mock<BridgeClient['sendAudio']>;
let release: Mock<BridgeClient['release']>;
let connect: Mock<() => BridgeClient>;
let service: EventEmitter;
let win: Window;
let appWindow: Window | undefined;
let page: Page;
let dispose: () => void;

/** The pages that must not reach the back end, each as the renderer it would call from. */
const FOREIGN_PAGES: [string, () => Page][] = [
  [
    'another site in the app window',
    () => {
      const other = new BrowserWindowDouble();
      void other.loadURL('https://evil.example/');
      appWindow = other;
      return other.webContents.renderer;
    },
  ],
  [
    'the app page in another window',
    () => {
      const other = new BrowserWindowDouble();
      void other.loadFile(rendererIndexHtml);
      return other.webContents.renderer;
    },
  ],
  [
    'another file in the app window',
    () => {
      void win.loadFile('/tmp/index.html');
      return win.webContents.renderer;
    },
  ],
  [
    'a sub frame of the app page',
    () => {
      const sub = new WebFrameMainDouble(appUrl, win.webContents.processId);
      sub.parent = win.webContents.mainFrame;
      return new IpcRendererDouble(win.webContents, sub);
    },
  ],
  ['a frame that is gone', () => new IpcRendererDouble(win.webContents, null)],
];

const tick = () => new Promise((resolve) => setImmediate(resolve));

beforeAll(() => electron.becomeReady());

beforeEach(async () => {
  handlers = Object.fromEntries(
    METHOD_NAMES.map((method) => [method, vi.fn(async (_args: unknown): Promise<unknown> => ({ from: method }))]),
  ) as typeof handlers;
  handlers.startRecording.mockImplementation(async () => session(SESSION_ID));
  // The page's client takes audio for its own recording and refuses any other.
  sendAudio = vi.fn<BridgeClient['sendAudio']>((id) => (id === SESSION_ID ? undefined : `session ${id} is recorded by another connection`));
  release = vi.fn<BridgeClient['release']>(async () => undefined);
  connect = vi.fn(() => ({ handlers: handlers as unknown as Handlers, sendAudio, wants: () => true, release }));
  service = new EventEmitter();
  win = new BrowserWindowDouble();
  await win.loadFile(rendererIndexHtml);
  appWindow = win;
  page = win.webContents.renderer;
  dispose = setupIpc({
    connect,
    service: service as SessionService,
    isAppFrame: appFrameCheck(location, () => appWindow?.webContents as unknown as WebContents | undefined),
    getWebContents: () => appWindow?.webContents as unknown as WebContents | undefined,
  });
});

afterEach(() => {
  dispose();
  vi.useRealTimers();
});

describe('methods', () => {
  it('registers one handler per method, on its own channel, and removes them all', () => {
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(METHOD_NAMES.map(ipcChannel).sort());
    expect(new Set(METHOD_NAMES.map(ipcChannel)).size).toBe(METHOD_NAMES.length);
    // Electron refuses a second handler for a channel: a second setupIpc is a programming error.
    expect(() =>
      setupIpc({
        connect,
        service: service as SessionService,
        isAppFrame: () => true,
        getWebContents: () => undefined,
      }),
    ).toThrow(/second handler/);
    dispose();
    expect(electron.ipcMain.handlers.size).toBe(0);
    expect(electron.ipcMain.listenerCount(AUDIO_CHANNEL)).toBe(0);
    dispose = () => undefined;
  });

  it('answers the app page with the handler result, its params validated', async () => {
    expect(await page.invoke(ipcChannel('getSession'), { id: SESSION_ID })).toEqual({ ok: true, value: { from: 'getSession' } });
    expect(handlers.getSession).toHaveBeenCalledWith({ id: SESSION_ID });
    // Defaults filled in by the schema reach the handler.
    await page.invoke(ipcChannel('listSessions'), {});
    expect(handlers.listSessions).toHaveBeenCalledWith({ offset: 0, limit: 100 });
    expect(await page.invoke(ipcChannel('getSession'), { id: 42 })).toEqual({ ok: false, error: { code: 'invalid_argument', message: 'id must be text' } });
    expect(handlers.getSession).toHaveBeenCalledTimes(1);
  });

  it.each(FOREIGN_PAGES)('refuses %s without reaching any handler', async (_name, foreignPage) => {
    const foreign = foreignPage();
    for (const method of METHOD_NAMES) {
      expect(await foreign.invoke(ipcChannel(method), { id: SESSION_ID })).toEqual({
        ok: false,
        error: { code: 'failed_precondition', message: 'caller is not the app' },
      });
      expect(handlers[method]).not.toHaveBeenCalled();
    }
  });

  it('recognises the app page by URL, dev server included, in the main frame only', async () => {
    const contents = () => win.webContents as unknown as WebContents;
    const dev = appFrameCheck({ rendererIndexHtml, devServerUrl: 'http://localhost:5173' }, contents);
    await win.loadURL('http://localhost:5173/');
    expect(dev(win.webContents.mainFrame as never)).toBe(true);
    await win.loadURL('http://localhost:5174/');
    expect(dev(win.webContents.mainFrame as never)).toBe(false);
    await win.loadURL(appUrl);
    expect(dev(win.webContents.mainFrame as never)).toBe(false);
    await win.loadURL(`${appUrl}?x#y`);
    expect(appFrameCheck(location, contents)(win.webContents.mainFrame as never)).toBe(true);
  });

  it.each([
    ['brackets and a tilde', '/opt/Utterly [beta]~1/out/renderer/index.html', 'file:///opt/Utterly%20%5Bbeta%5D%7E1/out/renderer/index.html'],
    ['non-ASCII letters', '/home/zoë/Utterly/out/renderer/index.html', 'file:///home/zo%C3%AB/Utterly/out/renderer/index.html'],
    ['a percent sign and a hash', '/srv/100% #1/out/renderer/index.html', 'file:///srv/100%25%20%231/out/renderer/index.html'],
  ])('recognises the app page installed under a path with %s, however the URL encodes it', async (_name, installed, chromiumUrl) => {
    const check = appFrameCheck({ rendererIndexHtml: installed }, () => win.webContents as unknown as WebContents);
    for (const url of [chromiumUrl, pathToFileURL(installed).href]) {
      await win.loadURL(url);
      expect(check(win.webContents.mainFrame as never)).toBe(true);
    }
    await win.loadURL(pathToFileURL(installed.replace('index.html', 'other.html')).href);
    expect(check(win.webContents.mainFrame as never)).toBe(false);
  });
});

describe('pushes', () => {
  it('forwards the service events to the window in order, batched', async () => {
    const received: Push[][] = [];
    page.on(PUSH_CHANNEL, (_event: unknown, pushes: Push[]) => received.push(pushes));
    const event = { channel: 0, type: 'active', time: 1.5 } as const;
    service.emit('changed', session(SESSION_ID));
    service.emit('event', SESSION_ID, event);
    service.emit('progress', { session_id: SESSION_ID, fraction: 0.5, eta_seconds: 3 });
    service.emit('changed', { id: SESSION_ID, deleted: true });
    await tick();
    expect(received).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, PUSH_BATCH_MS + 20));
    const expected: Push[] = [
      { kind: 'session', session: session(SESSION_ID) },
      { kind: 'event', session_id: SESSION_ID, event },
      { kind: 'progress', progress: { session_id: SESSION_ID, fraction: 0.5, eta_seconds: 3 } },
      { kind: 'deleted', id: SESSION_ID },
    ];
    expect(received).toEqual([expected]);

    service.emit('event', SESSION_ID, event);
    await new Promise((resolve) => setTimeout(resolve, PUSH_BATCH_MS + 20));
    expect(received).toHaveLength(2);
  });

  it('drops pushes while there is no window, and stops on dispose', async () => {
    const received: unknown[] = [];
    page.on(PUSH_CHANNEL, (_event: unknown, pushes: Push[]) => received.push(pushes));
    const wait = () => new Promise((resolve) => setTimeout(resolve, PUSH_BATCH_MS + 20));
    appWindow = undefined;
    service.emit('changed', { id: SESSION_ID, deleted: true });
    await wait();
    appWindow = win;
    win.close();
    service.emit('changed', { id: SESSION_ID, deleted: true });
    await wait();
    expect(received).toEqual([]);

    dispose();
    dispose = () => undefined;
    expect(service.listenerCount('changed')).toBe(0);
  });
});

describe('audio', () => {
  const FORMAT = { format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } };

  it('passes the audio of a recording the page started to sendAudio, in order with its stop', async () => {
    await page.invoke(ipcChannel('startRecording'), FORMAT);
    const calls: string[] = [];
    sendAudio.mockImplementation((_id, bytes) => void calls.push(`audio ${bytes.length}`));
    handlers.stopRecording.mockImplementation(async () => void calls.push('stop'));
    page.send(AUDIO_CHANNEL, SESSION_ID, new Uint8Array([1, 2, 3, 4, 5]));
    page.send(AUDIO_CHANNEL, SESSION_ID, new Uint8Array(7));
    await page.invoke(ipcChannel('stopRecording'), { id: SESSION_ID });
    expect(sendAudio).toHaveBeenNthCalledWith(1, SESSION_ID, new Uint8Array([1, 2, 3, 4, 5]));
    expect(calls).toEqual(['audio 5', 'audio 7', 'stop']);
  });

  it('ignores audio of any other shape, or for a recording the page did not start, warning once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      page.send(AUDIO_CHANNEL, SESSION_ID, new Uint8Array(4));
      await page.invoke(ipcChannel('startRecording'), FORMAT);
      for (const args of [
        [null],
        ['audio'],
        [SESSION_ID],
        [7, new Uint8Array(4)],
        [SESSION_ID, [1, 2]],
        [SESSION_ID, new ArrayBuffer(4)],
        ['another', new Uint8Array(4)],
      ]) {
        page.send(AUDIO_CHANNEL, ...args);
      }
      await tick();
      // Only the well-formed chunk reached the page's client, which refused it: another's session.
      expect(sendAudio.mock.calls).toEqual([['another', new Uint8Array(4)]]);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });

  it.each(FOREIGN_PAGES)('ignores audio from %s', async (_name, foreignPage) => {
    await page.invoke(ipcChannel('startRecording'), FORMAT);
    const foreign = foreignPage();
    foreign.send(AUDIO_CHANNEL, SESSION_ID, new Uint8Array(4));
    await tick();
    expect(sendAudio).not.toHaveBeenCalled();
  });

  it.each([
    ['the page reloads', (w: Window) => w.webContents.reload()],
    ['the window closes', (w: Window) => w.close()],
    ['the renderer crashes', (w: Window) => w.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 })],
  ])('interrupts the recordings the page started when %s, once', async (_name, goAway) => {
    await page.invoke(ipcChannel('startRecording'), FORMAT);
    goAway(win);
    expect(release).toHaveBeenCalledTimes(1);
    expect(release).toHaveBeenCalledWith(expect.any(String));
    goAway(win);
    win.webContents.reload();
    expect(release).toHaveBeenCalledTimes(1);
    // The next page is a client of its own, which owns nothing yet.
    if (!win.isDestroyed()) {
      await win.webContents.renderer.invoke(ipcChannel('getSession'), { id: SESSION_ID });
      expect(connect).toHaveBeenCalledTimes(2);
    }
  });

  it('stops watching the window on dispose', async () => {
    await page.invoke(ipcChannel('startRecording'), FORMAT);
    dispose();
    dispose = () => undefined;
    win.close();
    expect(release).not.toHaveBeenCalled();
  });
});
