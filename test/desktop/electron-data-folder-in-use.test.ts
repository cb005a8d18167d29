// The desktop app started while another Utterly owns the data folder (`cli serve`, or the app of
// another user session): a dialog names the holder, the folder is left alone, the app quits.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-double')).electron.module);
const { electron, BrowserWindowDouble } = await import('./electron-double');

describe('a desktop app whose data folder has another owner', () => {
  it('names the holder in a dialog and quits without touching the folder', async () => {
    const home = mkdtempSync(join(tmpdir(), 'utterly-in-use-'));
    process.env.XDG_DATA_HOME = join(home, 'data');
    const dataDir = join(home, 'data', 'utterly');
    electron.app.setPath('userData', join(home, 'user-data'));
    electron.app.setPath('logs', join(home, 'logs'));
    mkdirSync(dataDir, { recursive: true });
    const holderScript = fileURLToPath(new URL('../support/lock-holder.child.ts', import.meta.url));
    const holder = spawn(process.execPath, ['--import', 'tsx', holderScript, dataDir, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        holder.stdout!.once('data', resolve);
        holder.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
      });
      const lockBefore = readFileSync(join(dataDir, 'utterly.lock'), 'utf8');
      const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);

      await import('../../src/main/desktop/index');
      electron.becomeReady();
      await vi.waitFor(() => expect(electron.app.quitCalls).toBe(1));

      const [{ content }] = electron.dialog.errorBoxes as [{ title: string; content: string }];
      expect(content).toContain(`is in use by a hold test (pid ${holder.pid}`);
      expect(BrowserWindowDouble.getAllWindows()).toHaveLength(0);
      expect(readFileSync(join(dataDir, 'utterly.lock'), 'utf8')).toBe(lockBefore);
      errors.mockRestore();
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
