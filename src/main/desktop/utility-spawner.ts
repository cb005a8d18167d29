// The desktop app's workers: Electron utilityProcess children, driven through the same
// ChildHandle as Node's fork so that the engine does not know which it has.
import { utilityProcess } from 'electron';
import { WORKER_NODE_FLAGS, workerEntry, type ChildHandle, type Spawner } from '../process/child';

export const utilitySpawner: Spawner = ({ kind, name, args }) => {
  const child = utilityProcess.fork(workerEntry(kind).path, args, { serviceName: `Utterly ${name}`, stdio: 'pipe', execArgv: WORKER_NODE_FLAGS });
  let exited = false;
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  child.on('exit', (code) => {
    exited = true;
    for (const listener of exitListeners) listener(code, null);
  });
  return {
    get pid() {
      return child.pid;
    },
    postMessage(message) {
      if (!exited) child.postMessage(message);
    },
    kill() {
      if (!exited) child.kill();
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    onLog(listener) {
      for (const stream of [child.stdout, child.stderr]) {
        stream?.on('data', (chunk: Buffer) => {
          for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) listener(line);
        });
      }
    },
  } satisfies ChildHandle;
};
