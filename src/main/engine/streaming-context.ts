// The engine: audio in (PCM bytes or decoded channels), ApiResponse events out, through the
// simple runner (every chunk is one inference) or the segmented runner (VAD per channel, a
// final inference per utterance and interim ones while someone speaks).
import { defaultPoolSize } from './pool-size';
import type { ApiResponse, StartMessage } from '../../shared/api';
import { MODEL_DEFAULTS, type ModelParams } from '../../shared/model-config';
import { MODEL_SAMPLE_RATE } from '../../shared/model-audio';
import { VAD_DEFAULTS } from '../../shared/vad-settings';
import { forkSpawner, type Spawner } from '../process/child';
import type { RestartPolicy } from '../process/worker-host';
import { InferencePool, type InferenceJob, type InferenceResult, type PoolClient } from './inference-pool';
import { PcmDecoder } from './pcm';
import { createResampler, type Resampler } from './resampler';
import { VadPool } from './vad-pool';
import { VadSession, type VadTransition } from './vad-session';

export type RunnerMode = 'simple' | 'segmented';

/** The seed's interim cadence: not part of the API, so a client cannot make the model run flat out. */
export const INTERIM_INTERVAL_SECONDS = 0.5;
/**
 * Audio a channel may have waiting for the VAD before writers are made to wait: enough that the
 * VAD process keeps working through a decoder's burst (an hour of stereo MP3: 4 s left it idle a
 * tenth of the time, 8 s does not; 16 s only grew the processes' memory).
 */
const VAD_BACKLOG_SAMPLES = 8 * MODEL_SAMPLE_RATE;
/** Final inferences a stream may have waiting, per max_futures, before writers are made to wait. */
const FINALS_BACKLOG_FACTOR = 4;

export interface EngineOptions {
  /** Model processes: the global limit of concurrent inferences. */
  poolSize?: number;
  /**
   * VAD processes. One is enough for several channels: onnxruntime-node runs the sessions of
   * different channels on its own threads at once, and every process costs ~100 MB.
   */
  vadProcesses?: number;
  model?: ModelParams;
  spawner?: Spawner;
  log?: (line: string) => void;
  policy?: Partial<RestartPolicy>;
}

export interface StreamOptions {
  mode: RunnerMode;
  start: StartMessage;
  /** Inferences this stream may have running at once. */
  maxFutures?: number;
}

const toSeconds = (samples: number) => samples / MODEL_SAMPLE_RATE;

export class StreamingContext {
  /** Streams (and holds) not yet ended: the engine is idle when there are none. */
  private open = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    readonly pool: InferencePool,
    readonly vad: VadPool,
  ) {}

  /** Streams open now (each until its stop or abort has finished, VAD included), and holds. */
  get openStreams(): number {
    return this.open;
  }

  /**
   * Keeps the engine from being closed by closeWhenIdle until `release` is called: for work
   * that has the engine but opens its stream later (an import probes its file first).
   */
  hold(): () => void {
    if (this.closed) throw new Error('the engine was replaced and has stopped; try again');
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      if (this.open === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const waiter of waiters) waiter();
      }
    };
  }

  /** Resolves once no stream is open (at once if none is). */
  whenIdle(): Promise<void> {
    return this.open === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Closes the engine once every stream that uses it has ended, VAD included. A turn of the event
   * loop is given first, so that work which has just been handed the engine can hold it.
   */
  async closeWhenIdle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (this.open > 0) await this.whenIdle();
    this.closed = true;
    await this.close();
  }

  static async create(options: EngineOptions = {}): Promise<StreamingContext> {
    const shared = { spawner: options.spawner ?? forkSpawner, log: options.log, policy: options.policy };
    const pool = new InferencePool({ ...shared, size: options.poolSize ?? defaultPoolSize(), model: options.model ?? MODEL_DEFAULTS });
    const vad = new VadPool({ ...shared, size: options.vadProcesses ?? 1 });
    const context = new StreamingContext(pool, vad);
    try {
      await Promise.all([pool.whenReady(), vad.whenReady()]);
    } catch (error) {
      await context.close();
      throw error;
    }
    return context;
  }

  /** Starts a stream; its events go to `emit` as they are ready. */
  async openStream(options: StreamOptions, emit: (response: ApiResponse) => void): Promise<AudioStream> {
    const release = this.hold();
    try {
      const client = this.pool.openClient(options.maxFutures ?? this.pool.size);
      const { channels } = options.start.format;
      if (options.mode === 'simple') {
        const lanes = Array.from({ length: channels }, (_, c) => new SimpleLane(c, client, options.start.format.sample_rate, emit));
        return new AudioStream(options.start, lanes, client, this.pool, release);
      }
      const settings = options.start.vad ?? VAD_DEFAULTS;
      const interim = options.start.interim_results ? INTERIM_INTERVAL_SECONDS * MODEL_SAMPLE_RATE : 0;
      const lanes = this.vad
        .openScorers(channels)
        .map((scorer, c) => new SegmentedLane(c, client, options.start.format.sample_rate, new VadSession(scorer, settings, interim), emit));
      return new AudioStream(options.start, lanes, client, this.pool, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.pool.stop(), this.vad.stop()]);
  }
}

interface Lane {
  /** Takes the next samples of this channel, at the stream's sample rate. */
  accept(samples: Float32Array): void;
  /** True while the lane can take more audio without growing its backlog. */
  hasCapacity(): boolean;
  /** Samples (at the model's rate) this lane is done with: segmented by the VAD, or answered. */
  processed(): number;
  /** Resolves when the lane's backlog may have shrunk. */
  progress(): Promise<void>;
  /** End of audio: resolves once every result of this lane has been emitted. */
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * One stream: turns writes into per-channel audio, applies backpressure, and ends with every
 * result delivered (`stop`) or with the rest dropped (`abort`).
 */
export class AudioStream {
  private readonly decoder: PcmDecoder;
  private writes: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    readonly start: StartMessage,
    private readonly lanes: Lane[],
    private readonly client: PoolClient,
    private readonly pool: InferencePool,
    /** Tells the engine this stream has ended (its count of open streams). */
    private readonly release: () => void = () => undefined,
  ) {
    this.decoder = new PcmDecoder(start.format);
  }

  /** PCM bytes in the stream's format, cut anywhere. Resolves when the engine can take more. */
  writeBytes(bytes: Uint8Array): Promise<void> {
    return this.enqueue(() => this.decoder.decode(bytes));
  }

  /** Already decoded audio, one array per channel, at the stream's sample rate. */
  writeChannels(channels: Float32Array[]): Promise<void> {
    if (channels.length !== this.lanes.length) {
      return Promise.reject(new Error(`expected ${this.lanes.length} channels, got ${channels.length}`));
    }
    return this.enqueue(() => channels);
  }

  /**
   * Ends the audio and resolves once every result, final ones included, has been emitted.
   * Rejects, after every lane has ended, when the engine failed the stream (its VAD could not
   * run): the stream's results are then not whole.
   */
  async stop(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await this.writes;
      const ends = await Promise.allSettled(this.lanes.map((lane) => lane.finish()));
      const failed = ends.find((end): end is PromiseRejectedResult => end.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      this.pool.closeClient(this.client);
      this.release();
    }
  }

  /** Seconds of audio every channel is done with (for progress): segmented by the VAD, or answered. */
  processedSeconds(): number {
    return this.lanes.length === 0 ? 0 : toSeconds(Math.min(...this.lanes.map((lane) => lane.processed())));
  }

  /** Inferences of this stream queued or running in the pool: results still to come. */
  resultsToCome(): number {
    return this.client.outstanding;
  }

  /** Drops whatever is waiting; results already emitted stay emitted, no more follow. */
  async abort(): Promise<void> {
    this.ended = true;
    this.pool.closeClient(this.client);
    try {
      await Promise.all(this.lanes.map((lane) => lane.abort()));
    } finally {
      this.release();
    }
  }

  private enqueue(channelsOf: () => Float32Array[]): Promise<void> {
    if (this.ended) return Promise.reject(new Error('the stream has ended'));
    this.writes = this.writes.then(async () => {
      if (this.ended && this.client.closed) return;
      const channels = channelsOf();
      this.lanes.forEach((lane, c) => lane.accept(channels[c]!));
      while (!this.lanes.every((lane) => lane.hasCapacity())) {
        await Promise.race(this.lanes.map((lane) => lane.progress()));
      }
    });
    return this.writes;
  }
}

/** Resolves waiters whenever something a writer may be waiting on has changed. */
class Signal {
  private waiters: Array<() => void> = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Emits inference results in the order their requests were made. */
class OrderedOutput {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly settled: Signal) {}

  push(result: Promise<InferenceResult>, toResponse: (result: InferenceResult) => ApiResponse | undefined, emit: (r: ApiResponse) => void): void {
    this.tail = this.tail.then(async () => {
      const response = toResponse(await result);
      if (response) emit(response);
      this.settled.notify();
    });
  }

  drained(): Promise<void> {
    return this.tail;
  }
}

function errorResponse(channel: number, message: string, bounds?: { start: number; end: number }): ApiResponse {
  return bounds
    ? { channel, type: 'error', message, start_time: toSeconds(bounds.start), end_time: toSeconds(bounds.end) }
    : { channel, type: 'error', message };
}

/** The simple runner for one channel: each chunk received is one inference, answered in order. */
class SimpleLane implements Lane {
  private readonly resampler: Resampler;
  private readonly resampling: boolean;
  private readonly settled = new Signal();
  private readonly output = new OrderedOutput(this.settled);
  private position = 0;
  private answered = 0;
  /** While resampling, a chunk waits for the next one so that the converter's tail joins the last chunk. */
  private held: Float32Array | undefined;
  private aborted = false;

  constructor(
    private readonly channel: number,
    private readonly client: PoolClient,
    sampleRate: number,
    private readonly emit: (r: ApiResponse) => void,
  ) {
    this.resampler = createResampler(sampleRate, MODEL_SAMPLE_RATE);
    this.resampling = sampleRate !== MODEL_SAMPLE_RATE;
  }

  accept(samples: Float32Array): void {
    const resampled = this.resampler.process(samples);
    if (!this.resampling) return this.infer(resampled);
    if (this.held) this.infer(this.held);
    this.held = resampled;
  }

  hasCapacity(): boolean {
    return this.client.outstanding < this.client.maxInFlight;
  }

  processed(): number {
    return this.answered;
  }

  progress(): Promise<void> {
    return this.settled.wait();
  }

  async finish(): Promise<void> {
    const tail = this.resampler.flush();
    if (this.held) {
      const last = new Float32Array(this.held.length + tail.length);
      last.set(this.held);
      last.set(tail, this.held.length);
      this.held = undefined;
      this.infer(last);
    }
    await this.output.drained();
  }

  async abort(): Promise<void> {
    this.aborted = true;
    this.held = undefined;
    await this.output.drained();
  }

  private infer(samples: Float32Array): void {
    const start = this.position;
    this.position += samples.length;
    const end = this.position;
    const job = this.client.submit(samples);
    this.output.push(
      job.result,
      (result) => {
        this.answered = end;
        if (this.aborted || result.status === 'cancelled') return undefined;
        if (result.status === 'failed') return errorResponse(this.channel, result.message, { start, end });
        return { channel: this.channel, type: 'segment', start_time: toSeconds(start), end_time: toSeconds(end), ...result.output };
      },
      this.emit,
    );
  }
}

/** The segmented runner for one channel: VAD, interim results while speaking, a final per utterance. */
class SegmentedLane implements Lane {
  private readonly resampler: Resampler;
  private readonly settled = new Signal();
  private readonly output = new OrderedOutput(this.settled);
  private vadWork: Promise<void> = Promise.resolve();
  private vadBacklog = 0;
  private vadDone = 0;
  private vadFailed: string | undefined;
  private aborted = false;
  /** The interim inference of the utterance in progress, if one is queued or running. */
  private interim: { job: InferenceJob; bounds: { start: number; end: number } } | undefined;

  constructor(
    private readonly channel: number,
    private readonly client: PoolClient,
    sampleRate: number,
    private readonly vad: VadSession,
    private readonly emit: (r: ApiResponse) => void,
  ) {
    this.resampler = createResampler(sampleRate, MODEL_SAMPLE_RATE);
  }

  accept(samples: Float32Array): void {
    this.feedVad(this.resampler.process(samples));
  }

  processed(): number {
    return this.vadDone;
  }

  hasCapacity(): boolean {
    return this.vadBacklog < VAD_BACKLOG_SAMPLES && this.client.queue.length < this.client.maxInFlight * FINALS_BACKLOG_FACTOR;
  }

  progress(): Promise<void> {
    return this.settled.wait();
  }

  async finish(): Promise<void> {
    this.feedVad(this.resampler.flush());
    await this.vadWork;
    if (!this.vadFailed) this.vad.finish((t) => this.onTransition(t));
    await this.output.drained();
    await this.vad.close();
    if (this.vadFailed) throw new Error(`channel ${this.channel + 1}: ${this.vadFailed}`);
  }

  async abort(): Promise<void> {
    this.aborted = true;
    await this.vadWork;
    await this.output.drained();
    await this.vad.close();
  }

  private feedVad(samples: Float32Array): void {
    if (samples.length === 0 || this.aborted || this.vadFailed) return;
    this.vadBacklog += samples.length;
    this.vadWork = this.vad
      .process(samples, (t) => this.onTransition(t))
      .catch((error: unknown) => {
        // The channel cannot be segmented any more; say so once and keep the stream going.
        if (this.vadFailed) return;
        this.vadFailed = `voice activity detection failed: ${error instanceof Error ? error.message : String(error)}`;
        this.emit(errorResponse(this.channel, this.vadFailed));
      })
      .finally(() => {
        this.vadBacklog -= samples.length;
        this.vadDone += samples.length;
        this.settled.notify();
      });
  }

  private onTransition(transition: VadTransition): void {
    if (this.aborted) return;
    switch (transition.type) {
      case 'speech_start':
        this.emit({ channel: this.channel, type: 'active', time: toSeconds(transition.start) });
        break;
      case 'interim_due':
        this.requestInterim(transition.start, transition.end);
        break;
      case 'speech_end':
        this.dropQueuedInterim();
        this.emit({ channel: this.channel, type: 'inactive', time: toSeconds(transition.end) });
        this.infer(this.client.submit(transition.samples), transition, true);
        break;
      case 'misfire':
        this.dropQueuedInterim();
        this.emit({ channel: this.channel, type: 'inactive', time: toSeconds(transition.end) });
        break;
    }
  }

  /** At most one interim per channel: a queued one is brought up to date, a running one makes this one skip. */
  private requestInterim(start: number, end: number): void {
    if (this.interim && !this.interim.job.started) {
      this.interim.job.replace(this.vad.currentSpeech());
      this.interim.bounds.start = start;
      this.interim.bounds.end = end;
      return;
    }
    if (this.interim) return;
    const bounds = { start, end };
    const job = this.client.submit(this.vad.currentSpeech());
    const interim = { job, bounds };
    this.interim = interim;
    void job.result.then(() => {
      if (this.interim === interim) this.interim = undefined;
    });
    this.infer(job, bounds, false);
  }

  private dropQueuedInterim(): void {
    if (this.interim?.job.cancel()) this.interim = undefined;
  }

  private infer(job: InferenceJob, bounds: { start: number; end: number }, isFinal: boolean): void {
    this.output.push(
      job.result,
      (result) => {
        // A dropped interim has nothing to say; finals are only dropped when the stream is.
        if (this.aborted || result.status === 'cancelled') return undefined;
        if (result.status === 'failed') return errorResponse(this.channel, result.message, bounds);
        return {
          channel: this.channel,
          type: 'segment',
          start_time: toSeconds(bounds.start),
          end_time: toSeconds(bounds.end),
          is_final: isFinal,
          ...result.output,
        };
      },
      this.emit,
    );
  }
}
