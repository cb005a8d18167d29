// The desktop app's back end and its shutdown, with the `electron` module replaced by a test
// double whose utilityProcess.fork starts real Node processes (the Electron binary is absent).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dataFile, finals, readPcmWav } from '../support/helpers';

vi.mock('electron', async () => (await import('./electron-double')).electron.module);
const { electron } = await import('./electron-double');
electron.becomeReady();

const { setupBackend } = await import('../../src/main/desktop/backend-setup');

describe('the desktop back end', () => {
  it('on quit: stops the recording with its final results, closes the database, ends the children, then quits', async () => {
    // The desktop app keeps its data where the command line does.
    process.env.XDG_DATA_HOME = mkdtempSync(join(tmpdir(), 'utterly-electron-'));
    const dataDir = join(process.env.XDG_DATA_HOME, 'utterly');
    const order: string[] = [];
    electron.app.quit = () => order.push('quit');
    const backend = setupBackend();
    // The shipped model (with its warm-up), through the utilityProcess spawner the app uses.
    const { format, bytes } = readPcmWav(dataFile('vad-node-test.wav'));
    const recording = await backend.service.connect().startRecording({ source: 'mic', format, settings: { mode: 'segmented', interim_results: false } });
    await recording.write(bytes);
    expect(electron.children.length).toBeGreaterThan(0);
    // The workers collect garbage as they go: --expose-gc reached V8 (through --js-flags).
    for (const child of electron.children) expect(child.spawnargs).toContain('--expose-gc');

    const quitting = { preventDefault: vi.fn(() => order.push('prevented')) };
    electron.app.emit('will-quit', quitting);
    expect(quitting.preventDefault).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(order).toContain('quit'), { timeout: 60_000 });

    expect(order).toEqual(['prevented', 'quit']);
    // Everything was finished before quitting: the session, its results, the children.
    expect(() => backend.store.getSession(recording.session.id)).toThrow(/database connection is not open/);
    for (const child of electron.children) expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    const { openBackend } = await import('../../src/main/backend');
    const reopened = openBackend({ dataDir });
    try {
      const session = reopened.service.get(recording.session.id);
      expect(session.status).toBe('done');
      expect(finals(reopened.service.events(session.id, { offset: 0, limit: 100 }))).toHaveLength(1);
      expect(reopened.recovered).toEqual([]);
    } finally {
      await reopened.close();
    }

    // The second will-quit (from app.quit) goes through.
    const again = { preventDefault: vi.fn() };
    electron.app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });
});
