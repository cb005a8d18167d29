// The window and permission setup of src/main/desktop/window.ts, with the `electron` module mocked
// (the Electron binary is not needed).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-double')).electron.module);
const { electron, BrowserWindowDouble } = await import('./electron-double');

const userData = mkdtempSync(join(tmpdir(), 'utterly-window-'));
electron.app.setPath('userData', userData);
electron.becomeReady();

import type { MenuItemConstructorOptions, Session } from 'electron';
import { menuTemplate, setupMenu } from '../../src/main/desktop/menu';
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

type RequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void, details: Record<string, unknown>) => void;
type CheckHandler = (contents: unknown, permission: string, requestingOrigin: string, details: Record<string, unknown>) => boolean;

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
function requestPermission(handler: RequestHandler, permission: string, requestingUrl: string, extra: Record<string, unknown> = {}): boolean {
  const callback = vi.fn();
  handler({}, permission, callback, { isMainFrame: true, requestingUrl, ...extra });
  expect(callback).toHaveBeenCalledTimes(1);
  return callback.mock.calls[0]![0] as boolean;
}

const created = BrowserWindowDouble.windows;

beforeEach(() => {
  created.length = 0;
  electron.app.isPackaged = false;
  rmSync(join(userData, 'window-state.json'), { force: true });
});

describe('window', () => {
  it('creates a sandboxed, context-isolated window without Node integration', () => {
    setupWindow(builtApp);
    expect(created).toHaveLength(1);
    const options = created[0]!.options;
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
    expect(windowOptions('/x/preload/index.cjs', true).webPreferences).toMatchObject({
      preload: '/x/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
  });

  it('shows the window only once it is ready', () => {
    setupWindow(builtApp);
    const win = created[0]!;
    expect(win.visible).toBe(false);
    win.emit('ready-to-show');
    expect(win.visible).toBe(true);
  });

  it('loads the built index.html, or the dev server when there is one', () => {
    setupWindow(builtApp);
    expect(created[0]!.webContents.getURL()).toBe(appPageUrl);
    setupWindow(devApp);
    expect(created[1]!.webContents.getURL()).toBe('http://localhost:5173');
  });

  it('refuses navigation away from the page', () => {
    setupWindow(builtApp);
    const contents = created[0]!.webContents;
    for (const url of ['https://example.com/', 'file:///etc/passwd', pathToFileURL('/opt/utterly/out/renderer/other.html').href]) {
      const event = { url, preventDefault: vi.fn() };
      contents.emit('will-navigate', event);
      expect(event.preventDefault, url).toHaveBeenCalled();
    }
    const reload = { url: `${appPageUrl}#timeline`, preventDefault: vi.fn() };
    contents.emit('will-navigate', reload);
    expect(reload.preventDefault).not.toHaveBeenCalled();
  });

  it('has no developer tools in a packaged app', () => {
    setupWindow(builtApp);
    electron.app.isPackaged = true;
    setupWindow(builtApp);
    expect(created.map((w) => (w.options['webPreferences'] as { devTools: boolean }).devTools)).toEqual([true, false]);
  });

  it('opens where it was closed, maximized if it was, unless that place is off every display now', () => {
    const first = setupWindow(builtApp) as unknown as InstanceType<typeof BrowserWindowDouble>;
    first.bounds = { x: 300, y: 200, width: 1100, height: 700 };
    first.close();
    setupWindow(builtApp);
    expect(created[1]!.options).toMatchObject({ x: 300, y: 200, width: 1100, height: 700 });

    // Closed on a second monitor that is unplugged by the next start: the default place.
    created[1]!.bounds = { x: 2500, y: 100, width: 1100, height: 700 };
    created[1]!.close();
    setupWindow(builtApp);
    expect(created[2]!.options).not.toHaveProperty('x');
    expect(created[2]!.options).toMatchObject({ width: 1280, height: 800 });
  });

  it('denies every new window', () => {
    setupWindow(builtApp);
    const handler = created[0]!.webContents.windowOpenHandler!;
    expect(handler({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(handler({ url: appPageUrl })).toEqual({ action: 'deny' });
  });
});

describe('menu', () => {
  const roles = (items: MenuItemConstructorOptions[]): string[] =>
    items.flatMap((item) => [...(item.role ? [item.role] : []), ...(Array.isArray(item.submenu) ? roles(item.submenu) : [])]);

  it('has Edit, View with zoom, Window and Help with About; Reload and DevTools only when not packaged', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      const packaged = roles(menuTemplate(platform, true));
      expect(packaged).toEqual(expect.arrayContaining(['editMenu', 'windowMenu', 'help', 'zoomIn', 'zoomOut', 'resetZoom']));
      expect(packaged).not.toContain('reload');
      expect(packaged).not.toContain('forceReload');
      expect(packaged).not.toContain('toggleDevTools');
      expect(roles(menuTemplate(platform, false))).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
    }
    expect(roles(menuTemplate('darwin', true))[0]).toBe('appMenu');
  });

  it('installs itself, its About panel showing the version', () => {
    setupMenu();
    expect(electron.Menu.applicationMenu).not.toBeNull();
    expect(electron.app.aboutPanelOptions).toMatchObject({ applicationName: 'Utterly', applicationVersion: electron.app.getVersion() });
    const help = menuTemplate('linux', true).find((item) => item.role === 'help')!;
    const about = (help.submenu as MenuItemConstructorOptions[]).find((item) => item.label === 'About Utterly')!;
    const show = vi.spyOn(electron.app, 'showAboutPanel');
    about.click!(undefined as never, undefined, undefined as never);
    expect(show).toHaveBeenCalledOnce();
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
