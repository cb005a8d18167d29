// A desktop app that cannot start says why in a dialog, with where its log is, and quits; the
// reason is in the log. Here: a database from a newer Utterly in the data folder.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../src/main/storage/migrations';

vi.mock('electron', async () => (await import('./electron-double')).electron.module);
const { electron, BrowserWindowDouble } = await import('./electron-double');

describe('a desktop app that cannot start', () => {
  it('shows the reason and the log file in a dialog, logs it, opens no window and quits', async () => {
    const home = mkdtempSync(join(tmpdir(), 'utterly-startup-'));
    process.env.XDG_DATA_HOME = join(home, 'data');
    mkdirSync(join(home, 'data', 'utterly'), { recursive: true });
    const db = new BetterSqlite3(join(home, 'data', 'utterly', 'utterly.db'));
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    electron.app.setPath('userData', join(home, 'user-data'));
    electron.app.setPath('logs', join(home, 'logs'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    await import('../../src/main/desktop/index');
    electron.becomeReady();
    await vi.waitFor(() => expect(electron.app.quitCalls).toBe(1));

    expect(electron.dialog.errorBoxes).toHaveLength(1);
    const [{ title, content }] = electron.dialog.errorBoxes as [{ title: string; content: string }];
    expect(title).toBe('Utterly could not start');
    expect(content).toContain('written by a newer version of Utterly');
    const logFile = join(home, 'logs', 'main.log');
    expect(content).toContain(logFile);
    expect(readFileSync(logFile, 'utf8')).toMatch(/error: Utterly: failed to start: .*newer version of Utterly/);
    expect(BrowserWindowDouble.getAllWindows()).toHaveLength(0);
    errors.mockRestore();
  });
});
