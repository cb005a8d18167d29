// The contract over Electron IPC (src/main/desktop/ipc.ts), with the `electron` module mocked
// (the Electron binary is not needed) and handlers that record their calls.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';

type Listener = (...args: unknown[]) => unknown;

const electron = vi.hoisted(() => {
  const invokeHandlers = new Map<string, Listener>();
  const listeners = new Map<string, Listener[]>();
  const ipcMain = {
    handle(channel: string, handler: Listener) {
      // As Electron does: a second handler for a channel is a programming error.
      if (invokeHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      invokeHandlers.set(channel, handler);
    },
    removeHandler(channel: string) {
      invokeHandlers.delete(channel);
    },
    on(channel: string, listener: Listener) {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
    },
    removeListener(channel: string, listener: Listener) {
      listeners.set(channel, (listeners.get(channel) ?? []).filter((l) => l !== listener));
    },
  };
  return { ipcMain, invokeHandlers, listeners };
});

vi.mock('electron', () => ({ ipcMain: electron.ipcMain, app: { isPackaged: false }, BrowserWindow: class {} }));

import type { WebContents, WebFrameMain } from 'electron';
import { appFrameCheck, PUSH_BATCH_MS, setupIpc } from '../../src/main/desktop/ipc';
import type { Bridge, Handlers } from '../../src/main/bridge/handlers';
import type { SessionService } from '../../src/main/sessions/session-service';
import { AUDIO_PORT_CHANNEL, ipcChannel, METHOD_NAMES, PUSH_CHANNEL, type MethodName, type Push } from '../../src/shared/contract';
import type { Session } from '../../src/shared/sessions';
import type { AppLocation } from '../../src/main/desktop/window';

const rendererIndexHtml = join('/opt', 'utterly', 'out', 'renderer', 'index.html');
const location: AppLocation = { rendererIndexHtml };
const appUrl = pathToFileURL(rendererIndexHtml).href;

const frame = (url: string, parent: object | null = null) => ({ url, parent }) as unknown as WebFrameMain;
const appFrame = frame(`${appUrl}#sessions`);
const FOREIGN_FRAMES: [string, WebFrameMain | null][] = [
  ['another site', frame('https://evil.example/')],
  ['another file', frame(pathToFileURL('/tmp/index.html').href)],
  ['a sub frame of the app page', frame(appUrl, appFrame)],
  ['a frame that is gone', null],
];

const session = (id: string): Session => ({
  id,
  title: 'A',
  source: 'mic',
  original_name: null,
  format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false },
  settings: { mode: 'segmented', interim_results: true },
  status: 'recording',
  created_at: '2024-05-01T10:00:00.000Z',
  finished_at: null,
  duration: null,
  audio_path: null,
  error: null,
  rerun_of: null,
});

class FakePort extends EventEmitter {
  readonly start = vi.fn();
  readonly close = vi.fn();
}

const SESSION_ID = '0b6c3c59-6a58-4f2c-9a59-5f3f0d3e1c11';

let handlers: Record<MethodName, Mock<(args: unknown) => Promise<unknown>>>;
let sendAudio: Mock<Bridge['sendAudio']>;
let interruptRecording: Mock<Bridge['interruptRecording']>;
let service: EventEmitter;
let contents: { send: Mock; isDestroyed: () => boolean } | undefined;
let dispose: () => void;

function callMethod(method: string, params: unknown, senderFrame: WebFrameMain | null = appFrame): Promise<unknown> {
  const handler = electron.invokeHandlers.get(ipcChannel(method as MethodName));
  if (!handler) throw new Error(`no handler for ${method}`);
  return Promise.resolve(handler({ senderFrame }, params));
}

function sendPort(port: FakePort, senderFrame: WebFrameMain | null = appFrame): void {
  for (const listener of electron.listeners.get(AUDIO_PORT_CHANNEL) ?? []) listener({ senderFrame, ports: [port] });
}

beforeEach(() => {
  handlers = Object.fromEntries(METHOD_NAMES.map((method) => [method, vi.fn(async (_args: unknown): Promise<unknown> => ({ from: method }))])) as typeof handlers;
  handlers.startRecording.mockImplementation(async () => session(SESSION_ID));
  sendAudio = vi.fn<Bridge['sendAudio']>();
  interruptRecording = vi.fn<Bridge['interruptRecording']>(async () => undefined);
  service = new EventEmitter();
  contents = { send: vi.fn(), isDestroyed: () => false };
  dispose = setupIpc({
    handlers: handlers as unknown as Handlers,
    sendAudio,
    interruptRecording,
    service: service as SessionService,
    isAppFrame: appFrameCheck(location),
    getWebContents: () => contents as unknown as WebContents | undefined,
  });
});

afterEach(() => {
  dispose();
  vi.useRealTimers();
});

describe('methods', () => {
  it('registers one handler per method, on its own channel, and removes them all', () => {
    expect([...electron.invokeHandlers.keys()].sort()).toEqual(METHOD_NAMES.map(ipcChannel).sort());
    expect(new Set(METHOD_NAMES.map(ipcChannel)).size).toBe(METHOD_NAMES.length);
    dispose();
    expect(electron.invokeHandlers.size).toBe(0);
    expect(electron.listeners.get(AUDIO_PORT_CHANNEL)).toEqual([]);
    dispose = () => undefined;
  });

  it('answers the app page with the handler result, its params validated', async () => {
    expect(await callMethod('getSession', { id: SESSION_ID })).toEqual({ ok: true, value: { from: 'getSession' } });
    expect(handlers.getSession).toHaveBeenCalledWith({ id: SESSION_ID });
    // Defaults filled in by the schema reach the handler.
    await callMethod('listSessions', {});
    expect(handlers.listSessions).toHaveBeenCalledWith({ offset: 0, limit: 100 });
    expect(await callMethod('getSession', { id: 42 })).toEqual({ ok: false, error: { code: 'invalid_argument', message: 'id must be text' } });
    expect(handlers.getSession).toHaveBeenCalledTimes(1);
  });

  it.each(FOREIGN_FRAMES)('refuses %s without reaching any handler', async (_name, senderFrame) => {
    for (const method of METHOD_NAMES) {
      expect(await callMethod(method, { id: SESSION_ID }, senderFrame)).toEqual({ ok: false, error: { code: 'failed_precondition', message: 'caller is not the app' } });
      expect(handlers[method]).not.toHaveBeenCalled();
    }
  });

  it('recognises the app page by URL, dev server included, in the main frame only', () => {
    const dev = appFrameCheck({ rendererIndexHtml, devServerUrl: 'http://localhost:5173' });
    expect(dev(frame('http://localhost:5173/'))).toBe(true);
    expect(dev(frame('http://localhost:5174/'))).toBe(false);
    expect(dev(frame(appUrl))).toBe(false);
    expect(appFrameCheck(location)(frame(`${appUrl}?x#y`))).toBe(true);
  });
});

describe('pushes', () => {
  it('forwards the service events to the window in order, batched', () => {
    vi.useFakeTimers();
    const event = { channel: 0, type: 'active', time: 1.5 } as const;
    service.emit('changed', session(SESSION_ID));
    service.emit('event', SESSION_ID, event);
    service.emit('progress', { session_id: SESSION_ID, fraction: 0.5, eta_seconds: 3 });
    service.emit('changed', { id: SESSION_ID, deleted: true });
    expect(contents!.send).not.toHaveBeenCalled();
    vi.advanceTimersByTime(PUSH_BATCH_MS);
    const expected: Push[] = [
      { kind: 'session', session: session(SESSION_ID) },
      { kind: 'event', session_id: SESSION_ID, event },
      { kind: 'progress', progress: { session_id: SESSION_ID, fraction: 0.5, eta_seconds: 3 } },
      { kind: 'deleted', id: SESSION_ID },
    ];
    expect(contents!.send.mock.calls).toEqual([[PUSH_CHANNEL, expected]]);

    service.emit('event', SESSION_ID, event);
    vi.advanceTimersByTime(PUSH_BATCH_MS);
    expect(contents!.send).toHaveBeenCalledTimes(2);
  });

  it('drops pushes while there is no window, and stops on dispose', () => {
    vi.useFakeTimers();
    const send = contents!.send;
    contents = undefined;
    service.emit('changed', { id: SESSION_ID, deleted: true });
    vi.advanceTimersByTime(PUSH_BATCH_MS);
    contents = { send, isDestroyed: () => true };
    service.emit('changed', { id: SESSION_ID, deleted: true });
    vi.advanceTimersByTime(PUSH_BATCH_MS);
    expect(send).not.toHaveBeenCalled();

    contents = { send, isDestroyed: () => false };
    dispose();
    dispose = () => undefined;
    service.emit('changed', { id: SESSION_ID, deleted: true });
    vi.advanceTimersByTime(PUSH_BATCH_MS);
    expect(send).not.toHaveBeenCalled();
    expect(service.listenerCount('changed')).toBe(0);
  });
});

describe('audio port', () => {
  it('passes audio messages to sendAudio as bytes', () => {
    const port = new FakePort();
    sendPort(port);
    expect(port.start).toHaveBeenCalled();
    const chunk = new Uint8Array([1, 2, 3, 4, 5]).buffer;
    port.emit('message', { data: { sessionId: SESSION_ID, chunk } });
    expect(sendAudio).toHaveBeenCalledWith(SESSION_ID, new Uint8Array([1, 2, 3, 4, 5]));
  });

  it('ignores messages of any other shape, warning once', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const port = new FakePort();
      sendPort(port);
      for (const data of [null, 'audio', { sessionId: SESSION_ID }, { sessionId: 7, chunk: new ArrayBuffer(4) }, { sessionId: SESSION_ID, chunk: [1, 2] }, { sessionId: SESSION_ID, chunk: new Uint8Array(4) }]) {
        port.emit('message', { data });
      }
      expect(sendAudio).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });

  it.each(FOREIGN_FRAMES)('closes a port sent by %s', (_name, senderFrame) => {
    const port = new FakePort();
    sendPort(port, senderFrame);
    expect(port.close).toHaveBeenCalled();
    expect(port.start).not.toHaveBeenCalled();
    port.emit('message', { data: { sessionId: SESSION_ID, chunk: new ArrayBuffer(4) } });
    expect(sendAudio).not.toHaveBeenCalled();
  });

  it('interrupts the recordings the window started when its port closes', async () => {
    const port = new FakePort();
    sendPort(port);
    await callMethod('startRecording', { format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } });
    port.emit('close');
    expect(interruptRecording).toHaveBeenCalledTimes(1);
    expect(interruptRecording).toHaveBeenCalledWith(SESSION_ID, expect.any(String));
    // A new page sends a new port; the recordings of the old one are not interrupted twice.
    const next = new FakePort();
    sendPort(next);
    next.emit('close');
    expect(interruptRecording).toHaveBeenCalledTimes(1);
  });

  it('closes its ports on dispose', () => {
    const port = new FakePort();
    sendPort(port);
    dispose();
    dispose = () => undefined;
    expect(port.close).toHaveBeenCalled();
    expect(interruptRecording).not.toHaveBeenCalled();
  });
});
