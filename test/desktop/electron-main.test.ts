// The desktop app's back end and its shutdown, with the `electron` module replaced by a test
// double whose utilityProcess.fork starts real Node processes (the Electron binary is absent).
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dataFile, finals, readPcmWav } from '../helpers';

type Listener = (...args: unknown[]) => void;

const electron = vi.hoisted(() => {
  const listeners = new Map<string, Listener[]>();
  const children: Array<{ pid?: number; exitCode: number | null; signalCode: string | null }> = [];
  const app = {
    userData: '',
    getPath: (name: string) => (name === 'userData' ? app.userData : ''),
    getAppPath: () => process.cwd(),
    on: (event: string, listener: Listener) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    emit: (event: string, ...args: unknown[]) => (listeners.get(event) ?? []).forEach((l) => l(...args)),
    quit: (() => undefined) as () => void,
  };
  return { app, children };
});

vi.mock('electron', () => ({
  app: electron.app,
  utilityProcess: {
    // Electron's UtilityProcess, played by a Node child process speaking the same messages.
    fork: (modulePath: string, args: string[], options: { execArgv?: string[] }) => {
      const child = fork(modulePath, args, { serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: options.execArgv });
      electron.children.push(child);
      return {
        get pid() {
          return child.pid;
        },
        stdout: child.stdout,
        stderr: child.stderr,
        postMessage: (message: unknown) => child.send(message as object),
        kill: () => child.kill('SIGKILL'),
        on: (event: string, listener: Listener) => child.on(event, event === 'exit' ? (code: number) => listener(code) : listener),
      };
    },
  },
}));

const { setupBackend } = await import('../../src/main/desktop/backend-setup');

describe('the desktop back end', () => {
  it('on quit: stops the recording with its final results, closes the database, ends the children, then quits', async () => {
    electron.app.userData = mkdtempSync(join(tmpdir(), 'utterly-electron-'));
    const order: string[] = [];
    electron.app.quit = () => order.push('quit');
    const backend = setupBackend();
    // The shipped model (with its warm-up), through the utilityProcess spawner the app uses.
    const { format, bytes } = readPcmWav(dataFile('vad-node-test.wav'));
    const recording = await backend.service.startRecording({ source: 'mic', format, settings: { mode: 'segmented', interim_results: false } });
    await recording.write(bytes);
    expect(electron.children.length).toBeGreaterThan(0);

    const quitting = { preventDefault: vi.fn(() => order.push('prevented')) };
    electron.app.emit('will-quit', quitting);
    expect(quitting.preventDefault).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(order).toContain('quit'), { timeout: 60_000 });

    expect(order).toEqual(['prevented', 'quit']);
    // Everything was finished before quitting: the session, its results, the children.
    expect(() => backend.store.getSession(recording.session.id)).toThrow(/database connection is not open/);
    for (const child of electron.children) expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    const { openBackend } = await import('../../src/main/backend');
    const reopened = openBackend({ dataDir: electron.app.userData });
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
