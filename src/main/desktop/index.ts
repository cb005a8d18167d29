// Electron main process entry. Kept thin: it composes the setup pieces.
import { app, BrowserWindow, session } from 'electron';
import { setupBackend } from './backend-setup';
import { createHandlers } from '../bridge/handlers';
import { desktopDialogs, mediaUrlOf, registerMediaScheme, setupMediaProtocol } from './media-protocol';
import { appFrameCheck, setupIpc } from './ipc';
import { appLocation, setupPermissions, setupWindow } from './window';

registerMediaScheme();

app
  .whenReady()
  .then(() => {
    setupPermissions(session.defaultSession);
    const backend = setupBackend();
    setupMediaProtocol(backend.service);
    setupIpc({
      ...createHandlers(backend.service, { getSettings: backend.getSettings, setSettings: backend.setSettings, audioUrl: mediaUrlOf, desktop: desktopDialogs }),
      service: backend.service,
      isAppFrame: appFrameCheck(appLocation(), () => BrowserWindow.getAllWindows()[0]?.webContents),
      getWebContents: () => BrowserWindow.getAllWindows()[0]?.webContents,
    });
    setupWindow();

    // macOS: re-create a window when the dock icon is clicked and none is open.
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) setupWindow();
    });
  })
  .catch((error: unknown) => {
    console.error('Utterly: failed to start:', error);
    app.quit();
  });

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
