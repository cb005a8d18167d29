// The small interface every worker process is driven through, whatever started it:
// Node's child_process.fork (tests, CLI, server) or Electron's utilityProcess (desktop app).
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLines } from './line-reader';

export type WorkerKind = 'model' | 'vad';

export interface ChildHandle {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  /** Ends the process at once (SIGKILL where there are signals). */
  kill(): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone, whatever the cause. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  onLog(listener: (line: string) => void): void;
}

export interface SpawnRequest {
  kind: WorkerKind;
  /** Shown in logs and process listings, e.g. "model-2". */
  name: string;
  args: string[];
}

export type Spawner = (request: SpawnRequest) => ChildHandle;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * V8 flags of every worker; --expose-gc lets a worker collect the audio it was sent soon after it
 * is done with it (see workers/port.ts). V8 flags only: Node's fork takes them as they are, but
 * utilityProcess needs them folded into one --js-flags (see desktop/utility-spawner.ts).
 */
export const WORKER_NODE_FLAGS = ['--expose-gc'];

/**
 * What every worker's environment adds to ours. onnxruntime 1.30 reports to Microsoft from Linux
 * and macOS unless told not to (a device id under ~/.cache/Microsoft/DeveloperTools, one event per
 * process, counts of inferences: microsoft/onnxruntime#27379); Utterly sends nothing anywhere.
 */
export const WORKER_ENV = { ORT_DISABLE_TELEMETRY: '1' };

/**
 * The entry file of a worker kind. Built, the workers sit beside the bundled code that starts
 * them (out/main for the desktop app, out/node for the command line). From source (tests) the
 * Node bundle is used when `scripts/build-node.mjs` has made it, otherwise the TypeScript file
 * is run through tsx.
 */
export function workerEntry(kind: WorkerKind): { path: string; fromSource: boolean } {
  const file = `${kind}.worker.js`;
  for (const built of [join(here, file), resolve(here, '../../../out/node', file)]) {
    if (existsSync(built)) return { path: built, fromSource: false };
  }
  return { path: resolve(here, '..', 'workers', `${kind}.worker.ts`), fromSource: true };
}

/** Node's fork, with structured-clone messages so that typed arrays cross without JSON. */
export const forkSpawner: Spawner = ({ kind, name, args }) => forkWorker(workerEntry(kind), name, args);

/** Forks one worker script; tests use it directly to run workers of their own. */
export function forkWorker(entry: { path: string; fromSource: boolean }, name: string, args: string[]): ChildHandle {
  const child = fork(entry.path, args, {
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [...WORKER_NODE_FLAGS, ...(entry.fromSource ? ['--import', 'tsx'] : [])],
    env: { ...process.env, ...WORKER_ENV, UTTERLY_WORKER_NAME: name },
  });
  let exited = false;
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  const finish = (code: number | null, signal: string | null) => {
    if (exited) return;
    exited = true;
    for (const listener of exitListeners) listener(code, signal);
  };
  child.on('exit', finish);
  child.on('error', () => {
    // A failed spawn or a broken channel: make sure the process is gone, then report it.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    else finish(child.exitCode, child.signalCode);
  });
  // A lost IPC channel with a live process is a crash too: the process can no longer be reached.
  child.on('disconnect', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    get pid() {
      return child.pid;
    },
    postMessage(message) {
      if (child.connected) child.send(message as object);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    onLog(listener) {
      readLines([child.stdout, child.stderr], listener);
    },
  };
}
