// The process host and the pool, on real processes.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { forkSpawner, forkWorker, type Spawner } from '../../src/main/process/child';
import { WorkerHost } from '../../src/main/process/worker-host';
import { InferencePool } from '../../src/main/engine/inference-pool';
import { INSTANT_MODEL } from '../support/helpers';

/** Runs test/late-ready.worker.mjs whatever the kind; remembers every pid. */
function lateReadySpawner(pids: number[]): Spawner {
  const path = fileURLToPath(new URL('../support/late-ready.worker.mjs', import.meta.url));
  return ({ name, args }) => {
    const child = forkWorker({ path, fromSource: false }, name, args);
    pids.push(child.pid!);
    return child;
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('WorkerHost', () => {
  it('kills a process that does not exit when asked, and answers its request', async () => {
    // A model blocked in a 60 s inference cannot read the request to shut down.
    const host = new WorkerHost({
      kind: 'model',
      name: 'model-stuck',
      args: [JSON.stringify({ ...INSTANT_MODEL, delay: 60 })],
      spawner: forkSpawner,
      policy: { exitTimeoutMs: 300 },
    });
    await host.whenReady();
    const pid = host.pid!;
    const answer = host.request({ type: 'infer', samples: new Float32Array(10) }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    await host.stop();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(alive(pid)).toBe(false);
    expect(String(await answer)).toMatch(/model-stuck exited \(signal SIGKILL\)/);
  });

  it('stops a process that exits when asked without killing it', async () => {
    const host = new WorkerHost({ kind: 'model', name: 'model-idle', args: ['{}'], spawner: forkSpawner });
    await host.whenReady();
    const pid = host.pid!;
    await host.stop();
    expect(alive(pid)).toBe(false);
    expect(host.spawnCount).toBe(1);
  });

  it('gives up after five failed starts in a row, with a message saying why', async () => {
    // A model config the worker refuses: it exits before it is ready, every time.
    const host = new WorkerHost({
      kind: 'model',
      name: 'model-broken',
      args: ['{"delay": -1}'],
      spawner: forkSpawner,
      policy: { initialDelayMs: 1, maxDelayMs: 5 },
    });
    await expect(host.whenReady()).rejects.toThrow(/model-broken is unavailable: it failed to start 5 times in a row/);
    expect(host.spawnCount).toBe(5);
    expect(host.hasFailed).toBe(true);
  });

  it('kills a process that is not ready in time and counts it as a failed start', async () => {
    const pids: number[] = [];
    const host = new WorkerHost({
      kind: 'model',
      name: 'model-unready',
      spawner: lateReadySpawner(pids),
      policy: { readyTimeoutMs: 200, initialDelayMs: 1, maxDelayMs: 5 },
    });
    await expect(host.whenReady()).rejects.toThrow(/model-unready is unavailable: it failed to start 5 times in a row \(not ready within 200 ms\)/);
    expect(host.spawnCount).toBe(5);
    expect(pids).toHaveLength(5);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('leaves a process alone once it is ready, however long it then runs', async () => {
    const pids: number[] = [];
    const host = new WorkerHost({ kind: 'model', name: 'model-late', args: ['100'], spawner: lateReadySpawner(pids), policy: { readyTimeoutMs: 1500 } });
    try {
      await host.whenReady();
      await new Promise((r) => setTimeout(r, 1600));
      expect(host.isReady).toBe(true);
      expect(host.spawnCount).toBe(1);
      expect(alive(pids[0]!)).toBe(true);
    } finally {
      await host.stop();
    }
  });
});

describe('InferencePool', () => {
  it('serves clients in turn: a live stream is not starved by an import with a long queue', async () => {
    const pool = new InferencePool({ size: 1, model: { ...INSTANT_MODEL, delay: 0.02 }, spawner: forkSpawner });
    try {
      await pool.whenReady();
      const importJob = pool.openClient(10);
      const live = pool.openClient(10);
      const order: string[] = [];
      const submit = (client: typeof live, name: string) => client.submit(new Float32Array(160)).result.then(() => order.push(name));
      const done = [...Array.from({ length: 10 }, () => submit(importJob, 'import')), ...Array.from({ length: 3 }, () => submit(live, 'live'))];
      await Promise.all(done);
      // First come, first served would run all ten import jobs first; in turn, the live
      // jobs run second, fourth and sixth.
      expect(order.slice(0, 6)).toEqual(['import', 'live', 'import', 'live', 'import', 'live']);
      expect(pool.liveWorkers).toBe(1);
    } finally {
      await pool.stop();
    }
  });
});
