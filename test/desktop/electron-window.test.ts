// The window and permission setup of src/main/desktop/window.ts, with the `electron` module mocked
// (the Electron binary is not needed).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

type Listener = (...args: unknown[]) => void;

const mocks = vi.hoisted(() => {
  class FakeWebContents {
    readonly listeners = new Map<string, Listener[]>();
    url = '';
    windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
    on(event: string, listener: Listener): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    emit(event: string, ...args: unknown[]): void {
      for (const listener of this.listeners.get(event) ?? []) listener(...args);
    }
    getURL(): string {
      return this.url;
    }
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
      this.windowOpenHandler = handler;
    }
  }

  class FakeBrowserWindow {
    static readonly created: FakeBrowserWindow[] = [];
    readonly webContents = new FakeWebContents();
    readonly onceListeners = new Map<string, Listener>();
    readonly show = vi.fn();
    readonly loadURL = vi.fn(async (url: string) => {
      this.webContents.url = url;
    });
    readonly loadFile = vi.fn(async (file: string) => {
      this.webContents.url = pathToFileURL(file).href;
    });
    constructor(readonly options: Record<string, unknown>) {
      FakeBrowserWindow.created.push(this);
    }
    once(event: string, listener: Listener): this {
      this.onceListeners.set(event, listener);
      return this;
    }
  }

  return { FakeBrowserWindow, FakeWebContents, app: { isPackaged: false } };
});

vi.mock('electron', () => ({
  app: mocks.app,
  BrowserWindow: mocks.FakeBrowserWindow,
  session: { defaultSession: {} },
}));

import type { Session } from 'electron';
import {
  isAppUrl,
  isSamePage,
  resolveAppLocation,
  setupPermissions,
  setupWindow,
  shouldGrantPermission,
  windowOptions,
  type AppLocation,
} from '../../src/main/desktop/window';

const rendererIndexHtml = join('/opt', 'utterly', 'out', 'renderer', 'index.html');
const builtApp: AppLocation = { rendererIndexHtml };
const appPageUrl = pathToFileURL(rendererIndexHtml).href;
const devApp: AppLocation = { devServerUrl: 'http://localhost:5173', rendererIndexHtml };

type RequestHandler = (
  contents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details: Record<string, unknown>,
) => void;
type CheckHandler = (
  contents: unknown,
  permission: string,
  requestingOrigin: string,
  details: Record<string, unknown>,
) => boolean;

function fakeSession(location: AppLocation): { request: RequestHandler; check: CheckHandler } {
  let request: RequestHandler | undefined;
  let check: CheckHandler | undefined;
  const session = {
    setPermissionRequestHandler: (handler: RequestHandler) => {
      request = handler;
    },
    setPermissionCheckHandler: (handler: CheckHandler) => {
      check = handler;
    },
  };
  setupPermissions(session as unknown as Session, location);
  if (!request || !check) throw new Error('setupPermissions did not install both handlers');
  return { request, check };
}

/** Runs the request handler and returns what it answered. */
function requestPermission(
  handler: RequestHandler,
  permission: string,
  requestingUrl: string,
  extra: Record<string, unknown> = {},
): boolean {
  const callback = vi.fn();
  handler({}, permission, callback, { isMainFrame: true, requestingUrl, ...extra });
  expect(callback).toHaveBeenCalledTimes(1);
  return callback.mock.calls[0]![0] as boolean;
}

beforeEach(() => {
  mocks.FakeBrowserWindow.created.length = 0;
  mocks.app.isPackaged = false;
});

describe('window', () => {
  it('creates a sandboxed, context-isolated window without Node integration', () => {
    setupWindow(builtApp);
    expect(mocks.FakeBrowserWindow.created).toHaveLength(1);
    const options = mocks.FakeBrowserWindow.created[0]!.options;
    expect(options).toMatchObject({ width: 1280, height: 800, minWidth: 1024, minHeight: 640, show: false });
    expect(options['webPreferences']).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    const preload = (options['webPreferences'] as { preload: string }).preload;
    expect(preload.endsWith(join('preload', 'index.cjs'))).toBe(true);
  });

  it('keeps the same web preferences whatever the preload path', () => {
    expect(windowOptions('/x/preload/index.cjs').webPreferences).toMatchObject({
      preload: '/x/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
  });

  it('shows the window only once it is ready', () => {
    setupWindow(builtApp);
    const win = mocks.FakeBrowserWindow.created[0]!;
    expect(win.show).not.toHaveBeenCalled();
    win.onceListeners.get('ready-to-show')!();
    expect(win.show).toHaveBeenCalledTimes(1);
  });

  it('loads the built index.html, or the dev server when there is one', () => {
    setupWindow(builtApp);
    const built = mocks.FakeBrowserWindow.created[0]!;
    expect(built.loadFile).toHaveBeenCalledWith(rendererIndexHtml);
    expect(built.loadURL).not.toHaveBeenCalled();

    setupWindow(devApp);
    const dev = mocks.FakeBrowserWindow.created[1]!;
    expect(dev.loadURL).toHaveBeenCalledWith('http://localhost:5173');
    expect(dev.loadFile).not.toHaveBeenCalled();
  });

  it('refuses navigation away from the page', () => {
    setupWindow(builtApp);
    const contents = mocks.FakeBrowserWindow.created[0]!.webContents;
    contents.url = appPageUrl;
    for (const url of ['https://example.com/', 'file:///etc/passwd', pathToFileURL('/opt/utterly/out/renderer/other.html').href]) {
      const event = { url, preventDefault: vi.fn() };
      contents.emit('will-navigate', event);
      expect(event.preventDefault, url).toHaveBeenCalled();
    }
    const reload = { url: `${appPageUrl}#timeline`, preventDefault: vi.fn() };
    contents.emit('will-navigate', reload);
    expect(reload.preventDefault).not.toHaveBeenCalled();
  });

  it('denies every new window', () => {
    setupWindow(builtApp);
    const handler = mocks.FakeBrowserWindow.created[0]!.webContents.windowOpenHandler!;
    expect(handler({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(handler({ url: appPageUrl })).toEqual({ action: 'deny' });
  });
});

describe('permissions', () => {
  it('grants audio-only media to the built app page', () => {
    const { request } = fakeSession(builtApp);
    expect(requestPermission(request, 'media', appPageUrl, { mediaTypes: ['audio'] })).toBe(true);
    expect(requestPermission(request, 'media', `${appPageUrl}#record`, { mediaTypes: ['audio'] })).toBe(true);
  });

  it('refuses video, and audio together with video', () => {
    const { request } = fakeSession(builtApp);
    expect(requestPermission(request, 'media', appPageUrl, { mediaTypes: ['video'] })).toBe(false);
    expect(requestPermission(request, 'media', appPageUrl, { mediaTypes: ['audio', 'video'] })).toBe(false);
    expect(requestPermission(request, 'media', appPageUrl, { mediaTypes: [] })).toBe(false);
    expect(requestPermission(request, 'media', appPageUrl)).toBe(false);
  });

  it('refuses other permissions to the app page', () => {
    const { request } = fakeSession(builtApp);
    for (const permission of ['geolocation', 'notifications', 'display-capture', 'clipboard-read', 'openExternal', 'midi']) {
      expect(requestPermission(request, permission, appPageUrl, { mediaTypes: ['audio'] }), permission).toBe(false);
    }
  });

  it('refuses any permission to other origins and pages', () => {
    const { request } = fakeSession(builtApp);
    for (const url of [
      'https://example.com/',
      'http://localhost:5173/',
      'file:///tmp/index.html',
      pathToFileURL('/opt/utterly/out/renderer/other.html').href,
      'not a url',
    ]) {
      for (const permission of ['media', 'geolocation', 'notifications']) {
        expect(requestPermission(request, permission, url, { mediaTypes: ['audio'] }), `${permission} ${url}`).toBe(false);
      }
    }
  });

  it('refuses sub frames', () => {
    const { request } = fakeSession(builtApp);
    expect(requestPermission(request, 'media', appPageUrl, { mediaTypes: ['audio'], isMainFrame: false })).toBe(false);
  });

  it('grants audio to the dev server origin only', () => {
    const { request } = fakeSession(devApp);
    expect(requestPermission(request, 'media', 'http://localhost:5173/', { mediaTypes: ['audio'] })).toBe(true);
    expect(requestPermission(request, 'media', 'http://localhost:5174/', { mediaTypes: ['audio'] })).toBe(false);
    expect(requestPermission(request, 'media', 'https://localhost:5173/', { mediaTypes: ['audio'] })).toBe(false);
    expect(requestPermission(request, 'media', appPageUrl, { mediaTypes: ['audio'] })).toBe(false);
  });

  it('answers permission checks with the same policy', () => {
    const { check } = fakeSession(builtApp);
    const details = (extra: Record<string, unknown>) => ({ isMainFrame: true, requestingUrl: appPageUrl, ...extra });
    expect(check(null, 'media', 'file:///', details({ mediaType: 'audio' }))).toBe(true);
    expect(check(null, 'media', 'file:///', details({ mediaType: 'video' }))).toBe(false);
    expect(check(null, 'media', 'file:///', details({ mediaType: 'unknown' }))).toBe(false);
    expect(check(null, 'geolocation', 'file:///', details({}))).toBe(false);
    expect(check(null, 'notifications', 'file:///', details({}))).toBe(false);
    expect(check(null, 'media', 'https://example.com', { isMainFrame: true, requestingUrl: 'https://example.com/', mediaType: 'audio' })).toBe(false);
    // A cross-origin sub frame: no requesting URL, only its origin.
    expect(check(null, 'media', 'https://example.com', { isMainFrame: false, embeddingOrigin: 'file:///', mediaType: 'audio' })).toBe(false);
  });
});

describe('pure helpers', () => {
  it('isAppUrl matches the built page or the dev server origin', () => {
    expect(isAppUrl(appPageUrl, builtApp)).toBe(true);
    expect(isAppUrl(`${appPageUrl}?x=1#y`, builtApp)).toBe(true);
    expect(isAppUrl('file:///', builtApp)).toBe(false);
    expect(isAppUrl('http://localhost:5173/src/main.ts', devApp)).toBe(true);
    expect(isAppUrl('http://127.0.0.1:5173/', devApp)).toBe(false);
    expect(isAppUrl('', builtApp)).toBe(false);
  });

  it('isSamePage ignores only the fragment', () => {
    expect(isSamePage('http://localhost:5173/#a', 'http://localhost:5173/')).toBe(true);
    expect(isSamePage('http://localhost:5173/other', 'http://localhost:5173/')).toBe(false);
    expect(isSamePage('garbage', 'garbage')).toBe(false);
  });

  it('shouldGrantPermission needs media, audio only, the app page and the main frame', () => {
    expect(shouldGrantPermission('media', appPageUrl, { isMainFrame: true, mediaTypes: ['audio'] }, builtApp)).toBe(true);
    expect(shouldGrantPermission('media', appPageUrl, { isMainFrame: true, mediaTypes: ['audio', 'audio'] }, builtApp)).toBe(true);
    expect(shouldGrantPermission('media', appPageUrl, { isMainFrame: true, mediaType: 'video' }, builtApp)).toBe(false);
    expect(shouldGrantPermission('midi', appPageUrl, { isMainFrame: true, mediaTypes: ['audio'] }, builtApp)).toBe(false);
  });

  it('uses the dev server only when not packaged', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    expect(resolveAppLocation(env, false, '/opt/utterly/out/main')).toEqual({
      devServerUrl: 'http://localhost:5173',
      rendererIndexHtml: join('/opt/utterly/out/main', '..', 'renderer', 'index.html'),
    });
    expect(resolveAppLocation(env, true, '/opt/utterly/out/main')).toEqual({
      rendererIndexHtml: join('/opt/utterly/out/main', '..', 'renderer', 'index.html'),
    });
    expect(resolveAppLocation({}, false, '/opt/utterly/out/main').devServerUrl).toBeUndefined();
  });
});
