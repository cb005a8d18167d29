// The app's own menu: Electron's default one keeps Reload and DevTools in a release.
import { app, Menu, type MenuItemConstructorOptions } from 'electron';

export function menuTemplate(platform: NodeJS.Platform, isPackaged: boolean): MenuItemConstructorOptions[] {
  const developer: MenuItemConstructorOptions[] = isPackaged
    ? []
    : [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }];
  return [
    platform === 'darwin' ? { role: 'appMenu' } : { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [...developer, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'About Utterly', click: () => app.showAboutPanel() }] },
  ];
}

export function setupMenu(): void {
  app.setAboutPanelOptions({ applicationName: 'Utterly', applicationVersion: app.getVersion(), version: `Electron ${process.versions.electron ?? ''}`.trim() });
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(process.platform, app.isPackaged)));
}
