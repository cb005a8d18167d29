// Electron main process entry. Kept thin: it composes the setup pieces.
import { app, BrowserWindow, dialog, session } from 'electron';
import { setupBackend } from './backend-setup';
import { createHandlers } from '../bridge/handlers';
import { desktopDialogs, mediaUrlOf, registerMediaScheme, setupMediaProtocol } from './media-protocol';
import { appFrameCheck, setupIpc } from './ipc';
import { setupLogging } from './logging';
import { setupMenu } from './menu';
import { unsupportedPlatformReason } from './platform';
import { appLocation, setupPermissions, setupWindow } from './window';

const log = setupLogging();

/** One app per user: a second launch brings the first one's window forward and quits. */
function setupSingleInstance(): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });
  return true;
}

function start(): void {
  const unsupported = unsupportedPlatformReason(process.platform, process.arch);
  if (unsupported) throw new Error(unsupported);
  setupMenu();
  setupPermissions(session.defaultSession);
  const backend = setupBackend();
  setupMediaProtocol(backend.service);
  const appWindow = () => BrowserWindow.getAllWindows()[0]?.webContents;
  setupIpc({
    connect: createHandlers(backend.service, {
      getSettings: backend.getSettings,
      setSettings: backend.setSettings,
      audioUrl: mediaUrlOf,
      desktop: desktopDialogs,
    }).connect,
    service: backend.service,
    isAppFrame: appFrameCheck(appLocation(), appWindow),
    getWebContents: appWindow,
  });
  setupWindow();

  // macOS: re-create a window when the dock icon is clicked and none is open.
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) setupWindow();
  });
}

/** Nobody reads a desktop app's console: a failure to start is said in a dialog, with where the log is. */
function failedToStart(error: unknown): void {
  console.error('Utterly: failed to start:', error);
  const reason = error instanceof Error ? error.message : String(error);
  dialog.showErrorBox('Utterly could not start', `${reason}\n\nThe log is in ${log.path}`);
  app.quit();
}

if (setupSingleInstance()) {
  registerMediaScheme();
  app.whenReady().then(start).catch(failedToStart);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
