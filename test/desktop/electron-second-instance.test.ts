// One desktop app per user: a second launch hands over to the first and quits before it opens
// anything; the first brings its window forward.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-double')).electron.module);
const { electron, BrowserWindowDouble } = await import('./electron-double');

describe('a second launch', () => {
  it('quits at once when another instance holds the lock', async () => {
    const home = mkdtempSync(join(tmpdir(), 'utterly-second-'));
    process.env.XDG_DATA_HOME = join(home, 'data');
    electron.app.setPath('logs', join(home, 'logs'));
    electron.app.singleInstanceLock = false;

    await import('../../src/main/desktop/index');
    expect(electron.app.quitCalls).toBe(1);
    electron.becomeReady();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(BrowserWindowDouble.getAllWindows()).toHaveLength(0);
    expect(electron.protocol.schemes).toEqual([]);
    expect(electron.ipcMain.handlers.size).toBe(0);
  });
});
