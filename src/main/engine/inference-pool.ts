// N model processes shared by every stream. N is the global limit of concurrent inferences;
// each client (one stream) has its own limit, max_futures, and clients are served in turn so
// that one busy import cannot starve a live recording.
import { INTERNAL_SERVER_ERROR, type ModelOutput } from '../../shared/api';
import type { ModelParams } from '../../shared/model-config';
import type { Spawner } from '../process/child';
import { WorkerCrashedError, WorkerHost, type RestartPolicy } from '../process/worker-host';

export type InferenceResult =
  | { status: 'done'; output: ModelOutput }
  | { status: 'failed'; message: string }
  /** Dropped before it started: by its stream, or because the stream was closed. */
  | { status: 'cancelled' };

interface Job {
  client: PoolClient;
  /** Read when the job starts, so that a queued interim can be brought up to date meanwhile. */
  samples: Float32Array;
  resolve(result: InferenceResult): void;
  started: boolean;
}

export class PoolClient {
  readonly queue: Job[] = [];
  running = 0;
  closed = false;

  constructor(
    private readonly pool: InferencePool,
    readonly maxInFlight: number,
  ) {}

  /** Jobs queued or running for this client. */
  get outstanding(): number {
    return this.queue.length + this.running;
  }

  submit(samples: Float32Array): InferenceJob {
    let resolve!: (result: InferenceResult) => void;
    const result = new Promise<InferenceResult>((r) => (resolve = r));
    const job: Job = { client: this, samples, resolve, started: false };
    this.queue.push(job);
    this.pool.dispatch();
    return {
      result,
      get started() {
        return job.started;
      },
      replace: (samples) => {
        if (!job.started) job.samples = samples;
        return !job.started;
      },
      cancel: () => {
        const index = this.queue.indexOf(job);
        if (index < 0) return false;
        this.queue.splice(index, 1);
        job.resolve({ status: 'cancelled' });
        return true;
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ status: 'cancelled' });
  }
}

export interface InferenceJob {
  readonly result: Promise<InferenceResult>;
  readonly started: boolean;
  /** Swaps the audio of a job that has not started yet; false once it has. */
  replace(samples: Float32Array): boolean;
  /** Drops a job that has not started yet; false once it has. */
  cancel(): boolean;
}

export interface InferencePoolOptions {
  size: number;
  model: ModelParams;
  spawner: Spawner;
  log?: (line: string) => void;
  policy?: Partial<RestartPolicy>;
}

export class InferencePool {
  readonly workers: WorkerHost[];
  private readonly busy = new Set<WorkerHost>();
  private readonly clients: PoolClient[] = [];
  private nextClient = 0;

  constructor(options: InferencePoolOptions) {
    this.workers = Array.from({ length: options.size }, (_, i) => {
      const host = new WorkerHost({
        kind: 'model',
        name: `model-${i + 1}`,
        args: [JSON.stringify(options.model)],
        spawner: options.spawner,
        log: options.log,
        policy: options.policy,
      });
      host.on('ready', () => this.dispatch());
      // Once a worker is given up on, queued jobs must not wait for it forever.
      host.on('failed', () => this.dispatch());
      return host;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Streams using the pool right now. */
  get openClients(): number {
    return this.clients.length;
  }

  /** Model processes up and answering right now. */
  get liveWorkers(): number {
    return this.workers.filter((w) => w.isReady).length;
  }

  async whenReady(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.whenReady()));
  }

  openClient(maxInFlight: number): PoolClient {
    const client = new PoolClient(this, maxInFlight);
    this.clients.push(client);
    return client;
  }

  closeClient(client: PoolClient): void {
    client.close();
    const index = this.clients.indexOf(client);
    if (index >= 0) this.clients.splice(index, 1);
  }

  /** Starts queued jobs on idle workers, taking clients in turn. */
  dispatch(): void {
    if (this.workers.every((w) => w.hasFailed)) {
      this.failAllQueued('no model process could be started');
      return;
    }
    for (const worker of this.workers) {
      if (!worker.isReady || this.busy.has(worker)) continue;
      const job = this.nextJob();
      if (!job) return;
      this.run(worker, job);
    }
  }

  async stop(): Promise<void> {
    for (const client of [...this.clients]) this.closeClient(client);
    await Promise.all(this.workers.map((w) => w.stop()));
  }

  private nextJob(): Job | undefined {
    for (let tried = 0; tried < this.clients.length; tried++) {
      const client = this.clients[(this.nextClient + tried) % this.clients.length]!;
      if (client.queue.length > 0 && client.running < client.maxInFlight) {
        this.nextClient = (this.nextClient + tried + 1) % this.clients.length;
        return client.queue.shift();
      }
    }
    return undefined;
  }

  private run(worker: WorkerHost, job: Job): void {
    this.busy.add(worker);
    job.started = true;
    job.client.running++;
    worker
      .request<ModelOutput>({ type: 'infer', samples: job.samples })
      .then(
        (output): InferenceResult => ({ status: 'done', output }),
        (error: Error): InferenceResult => ({
          status: 'failed',
          message: error instanceof WorkerCrashedError ? INTERNAL_SERVER_ERROR : error.message,
        }),
      )
      .then((result) => {
        this.busy.delete(worker);
        job.client.running--;
        job.resolve(result);
        this.dispatch();
      });
  }

  private failAllQueued(message: string): void {
    for (const client of this.clients) {
      for (const job of client.queue.splice(0)) job.resolve({ status: 'failed', message });
    }
  }
}
