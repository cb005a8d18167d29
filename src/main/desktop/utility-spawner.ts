// The desktop app's workers: Electron utilityProcess children, driven through the same
// ChildHandle as Node's fork so that the engine does not know which it has.
import { utilityProcess } from 'electron';
import { WORKER_ENV, WORKER_NODE_FLAGS, workerEntry, type ChildHandle, type Spawner } from '../process/child';
import { readLines } from '../process/line-reader';

/**
 * A utility process's execArgv become switches of its command line and reach Node only after V8
 * has started, so a V8 flag such as --expose-gc there does nothing. V8 reads its flags from
 * --js-flags before it starts (electron/electron: shell/browser/api/electron_api_utility_process.cc,
 * WithExtraCommandLineSwitches(exec_args); shell/browser/javascript_environment.cc, kJavaScriptFlags;
 * --js-flags is for V8 flags only: electron/electron#39465).
 */
const UTILITY_EXEC_ARGV = [`--js-flags=${WORKER_NODE_FLAGS.join(' ')}`];

export const utilitySpawner: Spawner = ({ kind, name, args }) => {
  const child = utilityProcess.fork(workerEntry(kind).path, args, {
    serviceName: `Utterly ${name}`,
    stdio: 'pipe',
    execArgv: UTILITY_EXEC_ARGV,
    env: { ...process.env, ...WORKER_ENV },
  });
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
      readLines([child.stdout, child.stderr], listener);
    },
  } satisfies ChildHandle;
};
