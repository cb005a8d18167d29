// The VAD processes. Each channel of each stream gets a scorer on the least loaded process,
// so that the channels of a stereo import are scored on two cores at once.
import type { Spawner } from '../process/child';
import { WorkerCrashedError, WorkerHost, type RestartPolicy } from '../process/worker-host';
import type { VadScoreReply } from '../workers/protocol';
import type { SpeechScorer } from './vad-session';

export interface VadPoolOptions {
  size: number;
  spawner: Spawner;
  log?: (line: string) => void;
  policy?: Partial<RestartPolicy>;
}

export class VadPool {
  readonly workers: WorkerHost[];
  private readonly openSessions = new Map<WorkerHost, number>();
  private nextSession = 1;

  constructor(options: VadPoolOptions) {
    this.workers = Array.from({ length: options.size }, (_, i) => {
      const host = new WorkerHost({
        kind: 'vad',
        name: `vad-${i + 1}`,
        spawner: options.spawner,
        log: options.log,
        policy: options.policy,
      });
      this.openSessions.set(host, 0);
      return host;
    });
  }

  async whenReady(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.whenReady()));
  }

  /**
   * Scorers for the `channels` channels of one stream, on the least loaded process. Their frames
   * are scored together, one batch row per channel: a channel's n-th call waits for the other
   * channels' n-th calls (a stream's channels advance in step, their audio coming interleaved),
   * and the batch goes out as one request.
   */
  openScorers(channels: number): SpeechScorer[] {
    const host = [...this.openSessions.entries()].sort((a, b) => a[1] - b[1])[0]![0];
    const session = this.nextSession++;
    this.openSessions.set(host, this.openSessions.get(host)! + 1);
    const open = () => host.request({ type: 'vad-open', session, channels });
    let opened = open();
    const request = async (frames: Float32Array): Promise<Float32Array> => {
      await opened;
      try {
        return await host.request<VadScoreReply>({ type: 'vad-score', session, frames });
      } catch (error) {
        if (!(error instanceof WorkerCrashedError)) throw error;
        // The process was restarted with no memory of this session: open it again with a
        // fresh state and score these frames once more rather than lose them.
        opened = open();
        await opened;
        return await host.request<VadScoreReply>({ type: 'vad-score', session, frames });
      }
    };
    const batch = new ChannelBatch(channels, request);
    let channelsOpen = channels;
    return Array.from({ length: channels }, (_, channel) => {
      let closed = false;
      return {
        score: (frames) => batch.score(channel, frames),
        close: async () => {
          if (closed) return;
          closed = true;
          batch.leave(channel);
          if (--channelsOpen > 0) return;
          this.openSessions.set(host, this.openSessions.get(host)! - 1);
          await host.request({ type: 'vad-close', session }).catch(() => undefined);
        },
      };
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}

interface Pending {
  frames: Float32Array;
  resolve: (probabilities: Float32Array) => void;
  reject: (error: unknown) => void;
}

/** Joins the channels' n-th calls into one request: their frames channel after channel. */
class ChannelBatch {
  private readonly pending: Pending[][];
  private readonly left: boolean[];
  /** Once a request fails, the channels' states are out of step: every later call fails too. */
  private failure: unknown;

  constructor(
    channels: number,
    private readonly request: (frames: Float32Array) => Promise<Float32Array>,
  ) {
    this.pending = Array.from({ length: channels }, () => []);
    this.left = new Array<boolean>(channels).fill(false);
  }

  score(channel: number, frames: Float32Array): Promise<Float32Array> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending[channel]!.push({ frames, resolve, reject });
      this.send();
    });
  }

  /** A channel that is done: the others no longer wait for it (it is scored as silence). */
  leave(channel: number): void {
    this.left[channel] = true;
    this.send();
  }

  private send(): void {
    for (;;) {
      const heads = this.pending.map((queue, c) => (this.left[c] ? undefined : queue[0]));
      if (heads.every((head) => head === undefined) || heads.some((head, c) => head === undefined && !this.left[c])) return;
      const length = heads.find((head) => head)!.frames.length;
      for (const queue of this.pending) queue.shift();
      if (heads.some((head) => head && head.frames.length !== length)) {
        this.fail(heads, new Error('the channels of a stream went out of step'));
        continue;
      }
      const frames = new Float32Array(length * heads.length);
      heads.forEach((head, c) => head && frames.set(head.frames, c * length));
      this.request(frames).then(
        (probabilities) => {
          const count = probabilities.length / heads.length;
          heads.forEach((head, c) => head?.resolve(probabilities.subarray(c * count, (c + 1) * count)));
        },
        (error: unknown) => this.fail(heads, error),
      );
    }
  }

  private fail(heads: Array<Pending | undefined>, error: unknown): void {
    this.failure ??= error;
    for (const head of heads) head?.reject(error);
    for (const queue of this.pending) for (const waiting of queue.splice(0)) waiting.reject(error);
  }
}
