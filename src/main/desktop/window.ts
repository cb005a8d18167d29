// The app window and its security settings.
//
// The decisions (which URL is the app, which navigation or permission is allowed)
// are small pure functions so they can be unit-tested without the Electron binary;
// the setup functions only wire them to Electron.
import { app, BrowserWindow, screen } from 'electron';
import { readWindowState, restoredState, writeWindowState, type WindowState } from './window-state';
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the renderer is served from. */
export interface AppLocation {
  /** URL of the electron-vite dev server; undefined when loading the built renderer. */
  readonly devServerUrl?: string;
  /** Absolute path of the built renderer's index.html (out/renderer/index.html). */
  readonly rendererIndexHtml: string;
}

/** The parts of Electron's permission request and check details the decision uses. */
export interface PermissionDetails {
  readonly isMainFrame?: boolean;
  /** Set on a `media` permission request: the kinds of media asked for. */
  readonly mediaTypes?: readonly string[];
  /** Set on a `media` permission check: 'audio', 'video' or 'unknown'. */
  readonly mediaType?: string;
  /** Only set for cross-origin sub frames. */
  readonly embeddingOrigin?: string;
}

export const WINDOW_SIZE = { width: 1280, height: 800, minWidth: 1024, minHeight: 640 } as const;

/**
 * Directory of the bundled main process (out/main/). This module is bundled into
 * out/main/index.js, so its own URL is the one of that file.
 */
const mainDir = dirname(fileURLToPath(import.meta.url));

export function preloadPath(baseDir: string = mainDir): string {
  return join(baseDir, '..', 'preload', 'index.cjs');
}

export function resolveAppLocation(env: NodeJS.ProcessEnv, isPackaged: boolean, baseDir: string = mainDir): AppLocation {
  const rendererIndexHtml = join(baseDir, '..', 'renderer', 'index.html');
  // A packaged app never loads a page named by an environment variable.
  const devServerUrl = isPackaged ? undefined : env['ELECTRON_RENDERER_URL'] || undefined;
  return devServerUrl ? { devServerUrl, rendererIndexHtml } : { rendererIndexHtml };
}

export function appLocation(): AppLocation {
  return resolveAppLocation(process.env, app.isPackaged);
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** `url` without its fragment, normalised by the URL parser; undefined if it does not parse. */
function withoutHash(url: string): string | undefined {
  const parsed = parseUrl(url);
  if (!parsed) return undefined;
  parsed.hash = '';
  return parsed.href;
}

/** Whether `url` is a page of the app itself: the dev server's origin, or the built index.html. */
export function isAppUrl(url: string, location: AppLocation): boolean {
  const parsed = parseUrl(url);
  if (!parsed) return false;
  if (location.devServerUrl) {
    const dev = parseUrl(location.devServerUrl);
    return dev !== undefined && (dev.protocol === 'http:' || dev.protocol === 'https:') && parsed.origin === dev.origin;
  }
  return parsed.protocol === 'file:' && isFileUrlOf(parsed, location.rendererIndexHtml);
}

/**
 * Whether a file: URL names `path`. Compared as decoded paths, not as URL strings: Chromium and
 * Node percent-encode some characters of a path (`[`, `]`, `~`, non-ASCII) differently.
 */
export function isFileUrlOf(url: URL, path: string): boolean {
  try {
    return relative(resolve(fileURLToPath(url)), resolve(path)) === '';
  } catch {
    return false;
  }
}

/** Navigation is only allowed to the page already shown (a reload); fragments are ignored. */
export function isSamePage(targetUrl: string, currentUrl: string): boolean {
  const target = withoutHash(targetUrl);
  return target !== undefined && target === withoutHash(currentUrl);
}

/** True when the details ask for audio and nothing else. */
export function isAudioOnly(details: PermissionDetails): boolean {
  if (details.mediaTypes !== undefined) {
    return details.mediaTypes.length > 0 && details.mediaTypes.every((type) => type === 'audio');
  }
  return details.mediaType === 'audio';
}

/**
 * The permission policy: microphone access ('media' with audio only) for the app's own
 * page in its main frame; everything else, and everything from anywhere else, is refused.
 */
export function shouldGrantPermission(permission: string, requestingUrl: string, details: PermissionDetails, location: AppLocation): boolean {
  if (permission !== 'media') return false;
  if (details.isMainFrame === false || details.embeddingOrigin !== undefined) return false;
  if (!isAppUrl(requestingUrl, location)) return false;
  return isAudioOnly(details);
}

/** `devTools`: false in a packaged app. `state`: the size and position kept from the last run. */
export function windowOptions(preload: string, devTools: boolean, state?: WindowState): BrowserWindowConstructorOptions {
  return {
    ...WINDOW_SIZE,
    ...(state && { x: state.x, y: state.y, width: state.width, height: state.height }),
    show: false,
    title: 'Utterly',
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools,
    },
  };
}

/** Refuses navigation away from the current page and any new window. */
export function guardNavigation(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (!isSamePage(event.url, contents.getURL())) event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function setupPermissions(session: Session, location: AppLocation = appLocation()): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(shouldGrantPermission(permission, details.requestingUrl, details, location));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    shouldGrantPermission(permission, details.requestingUrl ?? requestingOrigin, details, location),
  );
}

export function setupWindow(location: AppLocation = appLocation()): BrowserWindow {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const state = restoredState(
    readWindowState(stateFile),
    screen.getAllDisplays().map((display) => display.workArea),
    WINDOW_SIZE,
  );
  const win = new BrowserWindow(windowOptions(preloadPath(), !app.isPackaged, state));
  if (state?.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => writeWindowState(stateFile, { ...win.getNormalBounds(), maximized: win.isMaximized() }));
  guardNavigation(win.webContents);
  const loaded = location.devServerUrl ? win.loadURL(location.devServerUrl) : win.loadFile(location.rendererIndexHtml);
  loaded.catch((error: unknown) => {
    console.error('Utterly: could not load the renderer:', error);
  });
  return win;
}
