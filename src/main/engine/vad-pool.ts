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

  async openScorer(): Promise<SpeechScorer> {
    const host = [...this.openSessions.entries()].sort((a, b) => a[1] - b[1])[0]![0];
    const session = this.nextSession++;
    this.openSessions.set(host, this.openSessions.get(host)! + 1);
    let opened = host.request({ type: 'vad-open', session });
    let closed = false;
    return {
      score: async (frames) => {
        await opened;
        try {
          return await host.request<VadScoreReply>({ type: 'vad-score', session, frames });
        } catch (error) {
          if (!(error instanceof WorkerCrashedError)) throw error;
          // The process was restarted with no memory of this session: open it again with a
          // fresh state and score these frames once more rather than lose them.
          opened = host.request({ type: 'vad-open', session });
          await opened;
          return await host.request<VadScoreReply>({ type: 'vad-score', session, frames });
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.openSessions.set(host, this.openSessions.get(host)! - 1);
        await host.request({ type: 'vad-close', session }).catch(() => undefined);
      },
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
