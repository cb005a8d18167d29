// Keeps one worker process alive: starts it, answers requests by id, notices when it dies,
// fails whatever was in flight, restarts it with capped backoff, and stops it politely
// before killing it.
import { EventEmitter } from 'node:events';
import type { ChildHandle, Spawner, WorkerKind } from './child';
import type { WorkerReply, WorkerRequest } from '../workers/protocol';

export class WorkerCrashedError extends Error {
  constructor(
    readonly workerName: string,
    readonly code: number | null,
    readonly signal: string | null,
  ) {
    super(`${workerName} exited (${signal ? `signal ${signal}` : `code ${code}`})`);
    this.name = 'WorkerCrashedError';
  }
}

export class WorkerUnavailableError extends Error {
  constructor(workerName: string, reason: string) {
    super(`${workerName} is unavailable: ${reason}`);
    this.name = 'WorkerUnavailableError';
  }
}

export interface RestartPolicy {
  /** Delay before the first restart after a crash; doubled for each crash without a success between. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that dies this many times in a row before it is ready is given up on. */
  maxFailedStarts: number;
  /** How long a stopping process may take to exit before it is killed. */
  exitTimeoutMs: number;
  /** How long a process may take to say it is ready; one that takes longer is killed, a failed start. */
  readyTimeoutMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 20,
  maxDelayMs: 2000,
  maxFailedStarts: 5,
  exitTimeoutMs: 2000,
  // Loading Silero through onnxruntime takes a few seconds on a busy two-core machine.
  readyTimeoutMs: 30_000,
};

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

type State = 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface WorkerHostOptions {
  kind: WorkerKind;
  name: string;
  args?: string[];
  spawner: Spawner;
  log?: (line: string) => void;
  policy?: Partial<RestartPolicy>;
}

/**
 * Events: 'ready' (a process is up and answering), 'failed' (Error: given up restarting).
 */
export class WorkerHost extends EventEmitter {
  readonly name: string;
  private readonly policy: RestartPolicy;
  private child: ChildHandle | undefined;
  private state: State = 'starting';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private crashesInARow = 0;
  private failedStarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  /** Why the current process is being killed before it was ready, for the give-up message. */
  private startFailure: string | undefined;
  private readyWaiters: Array<{ resolve(): void; reject(error: Error): void }> = [];
  private exitWaiters: Array<() => void> = [];
  private failure: Error | undefined;
  /** Processes started so far, restarts included. */
  spawnCount = 0;

  constructor(private readonly options: WorkerHostOptions) {
    super();
    this.name = options.name;
    this.policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
    this.spawn();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** Given up on after too many failed starts; stays down. */
  get hasFailed(): boolean {
    return this.state === 'failed';
  }

  /** Resolves once a process is up and answering; rejects if the host gave up or was stopped. */
  whenReady(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'failed' || this.state === 'stopped' || this.state === 'stopping') {
      return Promise.reject(this.failure ?? new WorkerUnavailableError(this.name, this.state));
    }
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Sends one request to the current process. Rejects with WorkerCrashedError if it dies first. */
  async request<T>(request: WorkerRequest): Promise<T> {
    await this.whenReady();
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.postMessage({ ...request, id });
    });
  }

  /** Asks the process to exit, waits for it, kills it if it hangs; no restart afterwards. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    clearTimeout(this.restartTimer);
    clearTimeout(this.readyTimer);
    const wasFailed = this.state === 'failed';
    this.state = 'stopping';
    this.rejectReadyWaiters(new WorkerUnavailableError(this.name, 'stopped'));
    const child = this.child;
    if (child && !wasFailed) {
      child.postMessage({ type: 'shutdown' });
      const exited = await this.waitForExit(this.policy.exitTimeoutMs);
      if (!exited) {
        this.log(`did not exit within ${this.policy.exitTimeoutMs} ms; killing it`);
        child.kill();
        await this.waitForExit(this.policy.exitTimeoutMs);
      }
    }
    this.state = 'stopped';
  }

  private waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.child) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private spawn(): void {
    this.spawnCount++;
    let child: ChildHandle;
    try {
      child = this.options.spawner({ kind: this.options.kind, name: this.name, args: this.options.args ?? [] });
    } catch (error) {
      this.onExit(undefined, null, null, error instanceof Error ? error.message : String(error));
      return;
    }
    this.child = child;
    this.state = this.state === 'stopping' ? 'stopping' : 'starting';
    this.startFailure = undefined;
    this.readyTimer = setTimeout(() => this.onReadyTimeout(child), this.policy.readyTimeoutMs);
    child.onLog((line) => this.log(line));
    child.onMessage((message) => this.onMessage(message as WorkerReply));
    child.onExit((code, signal) => this.onExit(child, code, signal));
  }

  private onMessage(message: WorkerReply): void {
    if (message.type === 'ready') {
      // Too late: a process being killed for taking too long stays a failed start.
      if (this.startFailure) return;
      clearTimeout(this.readyTimer);
      this.failedStarts = 0;
      if (this.state !== 'starting') return;
      this.state = 'ready';
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const waiter of waiters) waiter.resolve();
      this.emit('ready');
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    this.crashesInARow = 0;
    if (message.type === 'result') pending.resolve(message.result);
    else pending.reject(new Error(message.message));
  }

  /** A process that never says ready (a model that cannot load) would otherwise hold its work forever. */
  private onReadyTimeout(child: ChildHandle): void {
    if (child !== this.child || this.state !== 'starting') return;
    this.startFailure = `not ready within ${this.policy.readyTimeoutMs} ms`;
    this.log(`${this.startFailure}; killing it`);
    child.kill();
  }

  private onExit(child: ChildHandle | undefined, code: number | null, signal: string | null, spawnError?: string): void {
    if (child && child !== this.child) return;
    clearTimeout(this.readyTimer);
    const wasStarting = this.state === 'starting';
    const crash = new WorkerCrashedError(this.name, code, signal);
    const inFlight = [...this.pending.values()];
    this.pending.clear();
    for (const request of inFlight) request.reject(crash);
    const exitWaiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const waiter of exitWaiters) waiter();
    this.child = undefined;

    if (this.state === 'stopping' || this.state === 'stopped') return;
    const reason = spawnError ?? this.startFailure ?? crash.message;
    this.log(spawnError ? `could not start: ${spawnError}` : crash.message);

    if (wasStarting) this.failedStarts++;
    if (this.failedStarts >= this.policy.maxFailedStarts) {
      this.state = 'failed';
      this.failure = new WorkerUnavailableError(this.name, `it failed to start ${this.failedStarts} times in a row (${reason})`);
      this.rejectReadyWaiters(this.failure);
      this.emit('failed', this.failure);
      return;
    }
    this.state = 'restarting';
    const delay = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** this.crashesInARow);
    this.crashesInARow++;
    this.restartTimer = setTimeout(() => {
      this.state = 'starting';
      this.spawn();
    }, delay);
  }

  private rejectReadyWaiters(error: Error): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private log(line: string): void {
    this.options.log?.(`[${this.name}${this.child?.pid ? ` ${this.child.pid}` : ''}] ${line}`);
  }
}
