// Every recording and every import as a session: audio kept on disk as it arrives, events
// written in batches, progress and results pushed to whoever listens (the window, the server).
import { EventEmitter } from 'node:events';
import { copyFile, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { ApiResponse, AudioFormat, StartMessage } from '../../shared/api';
import type { ImportProgress } from '../../shared/contract';
import type { Session, SessionExport, SessionSettings, SessionSource } from '../../shared/sessions';
import { VAD_DEFAULTS } from '../../shared/vad-settings';
import { runFile } from '../engine/file-job';
import { probeAudioFile } from '../engine/file-source';
import type { AudioStream, StreamingContext } from '../engine/streaming-context';
import { EventWriter } from '../storage/event-writer';
import { exportSessionJson, exportSessionLabels } from '../storage/export';
import type { SessionStore } from '../storage/session-store';
import { repairWav, WavRecorder } from '../storage/wav-recorder';

export interface SessionServiceEvents {
  /** An engine event of a session, as it is stored. */
  event: [sessionId: string, event: ApiResponse];
  progress: [ImportProgress];
  /** A session was created, changed state, renamed or deleted. */
  changed: [Session | { id: string; deleted: true }];
}

/** A request that is well formed but cannot be done in the session's current state. */
export class PreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionError';
  }
}

export class SessionNotFoundError extends Error {
  constructor(id: string) {
    super(`no session with id ${id}`);
    this.name = 'SessionNotFoundError';
  }
}

/** A live stream being recorded: the microphone, or a client of the streaming API. */
export class Recording {
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly session: Session,
    private readonly stream: AudioStream,
    private readonly audio: WavRecorder,
    private readonly finishWith: (status: 'done' | 'interrupted' | 'failed', error?: string) => Promise<Session>,
  ) {}

  /** PCM bytes in the session's format: kept on disk first, then given to the engine. */
  write(bytes: Uint8Array): Promise<void> {
    this.audio.append(bytes);
    this.writes = this.writes.then(() => this.stream.writeBytes(bytes));
    return this.writes;
  }

  /** Ends the audio; resolves with the session once every final result is stored. */
  async stop(): Promise<Session> {
    try {
      await this.writes;
      await this.stream.stop();
    } catch (error) {
      // The audio is on disk whatever went wrong: the session ends, it does not stay "recording".
      return this.finishWith('failed', (error as Error).message);
    }
    return this.finishWith('done');
  }

  /** The source went away before `stop`: what arrived is processed and kept, marked as such. */
  async interrupt(reason: string): Promise<Session> {
    await this.writes.catch(() => undefined);
    await this.stream.stop();
    return this.finishWith('interrupted', reason);
  }
}

interface QueuedImport {
  session: Session;
  path: string;
  controller: AbortController;
}

export interface SessionServiceOptions {
  store: SessionStore;
  /** The engine, started on first use: listing or exporting sessions needs no worker process. */
  engine: () => Promise<StreamingContext>;
  audioDir: string;
}

export class SessionService extends EventEmitter<SessionServiceEvents> {
  private readonly store: SessionStore;
  private readonly engine: () => Promise<StreamingContext>;
  private readonly audioDir: string;
  private readonly recordings = new Set<Recording>();
  private readonly imports: QueuedImport[] = [];
  private importing: Promise<void> | undefined;

  constructor(options: SessionServiceOptions) {
    super();
    this.store = options.store;
    this.engine = options.engine;
    this.audioDir = options.audioDir;
  }

  /**
   * Start-up: sessions left recording or processing by a crash become `interrupted`, their WAV
   * headers brought up to the audio that reached the disk.
   */
  recoverInterrupted(): Session[] {
    const interrupted = this.store.markUnfinishedAsInterrupted();
    for (const session of interrupted) {
      if (session.audio_path && session.audio_path.endsWith('.wav') && session.source !== 'file') {
        try {
          const { frames } = repairWav(session.audio_path);
          if (session.format) this.store.updateSession(session.id, { duration: frames / session.format.sample_rate });
        } catch {
          // Audio that cannot be repaired stays as it is; the session and its events are kept.
        }
      }
    }
    return interrupted;
  }

  async startRecording(input: { source: Extract<SessionSource, 'mic' | 'api'>; format: AudioFormat; settings: SessionSettings; title?: string }): Promise<Recording> {
    const session = this.store.createSession({
      title: input.title ?? defaultTitle(input.source),
      source: input.source,
      format: input.format,
      settings: input.settings,
      status: 'recording',
    });
    const audioPath = join(this.audioDir, `${session.id}.wav`);
    const audio = WavRecorder.create(audioPath, input.format);
    const recorded = this.store.updateSession(session.id, { audio_path: audioPath });
    this.emit('changed', recorded);

    const writer = new EventWriter(this.store, session.id);
    const start: StartMessage = { request: 'start', format: input.format, interim_results: input.settings.interim_results, vad: input.settings.vad ?? VAD_DEFAULTS };
    let stream: AudioStream;
    try {
      stream = await (await this.engine()).openStream({ mode: input.settings.mode, start, maxFutures: input.settings.max_futures }, (event) => {
        writer.push(event);
        this.emit('event', session.id, event);
      });
    } catch (error) {
      audio.close();
      writer.close();
      this.finish(session.id, 'failed', (error as Error).message);
      throw error;
    }
    const recording = new Recording(recorded, stream, audio, async (status, reason) => {
      const frames = audio.close();
      writer.close();
      this.recordings.delete(recording);
      return this.finish(session.id, status, reason, frames / input.format.sample_rate);
    });
    this.recordings.add(recording);
    return recording;
  }

  /** Queues a file; it becomes a session at once, processed when its turn comes. */
  async importFile(path: string, settings: SessionSettings, title?: string): Promise<Session> {
    await probeAudioFile(path);
    const name = basename(path);
    const session = this.store.createSession({
      title: title ?? name.replace(/\.[^.]+$/, ''),
      source: 'file',
      original_name: name,
      settings,
      status: 'processing',
    });
    // A copy, so that moving or deleting the original loses nothing and re-runs still work.
    const audioPath = join(this.audioDir, `${session.id}${extname(name).toLowerCase()}`);
    try {
      await copyFile(path, audioPath);
    } catch (error) {
      this.finish(session.id, 'failed', `cannot copy the file: ${(error as Error).message}`);
      throw error;
    }
    const queued = this.store.updateSession(session.id, { audio_path: audioPath });
    this.emit('changed', queued);
    this.imports.push({ session: queued, path: audioPath, controller: new AbortController() });
    this.importing ??= this.drainImports();
    return queued;
  }

  /** Processes a stored session's audio again, with other settings, as a new session. */
  async rerun(id: string, settings: SessionSettings): Promise<Session> {
    const original = this.require(id);
    if (!original.audio_path) throw new PreconditionError(`session ${id} has no stored audio`);
    if (!(await stat(original.audio_path).catch(() => undefined))) throw new PreconditionError(`the audio of session ${id} is missing`);
    const session = await this.importFile(original.audio_path, settings, `${original.title} (re-run)`);
    return this.store.updateSession(session.id, { rerun_of: original.id, original_name: original.original_name });
  }

  /** Cancels a queued or running import; what it found so far is kept. */
  cancelImport(id: string): boolean {
    const queued = this.imports.find((job) => job.session.id === id);
    if (!queued) return false;
    queued.controller.abort(new Error('cancelled'));
    return true;
  }

  list(options: { limit: number; offset: number; query?: string }) {
    return this.store.listSessions(options);
  }

  get(id: string): Session {
    return this.require(id);
  }

  events(id: string, options: { offset: number; limit: number }): ApiResponse[] {
    this.require(id);
    return this.store.getEvents(id, options);
  }

  rename(id: string, title: string): Session {
    this.require(id);
    const session = this.store.updateSession(id, { title });
    this.emit('changed', session);
    return session;
  }

  async delete(id: string): Promise<void> {
    const session = this.require(id);
    if (session.status === 'recording' || session.status === 'processing') {
      throw new PreconditionError(`session ${id} is still ${session.status}; stop or cancel it first`);
    }
    this.store.deleteSession(id);
    if (session.audio_path) await rm(session.audio_path, { force: true });
    this.emit('changed', { id, deleted: true });
  }

  exportJson(id: string): SessionExport {
    this.require(id);
    return exportSessionJson(this.store, id);
  }

  exportLabels(id: string): string {
    this.require(id);
    return exportSessionLabels(this.store, id);
  }

  /** Quitting: recordings end cleanly with their results, imports stop where they are. */
  async close(): Promise<void> {
    for (const job of this.imports) job.controller.abort(new Error('the app is quitting'));
    await Promise.all([...this.recordings].map((recording) => recording.stop()));
    await this.importing;
  }

  private async drainImports(): Promise<void> {
    while (this.imports.length > 0) {
      await this.runImport(this.imports[0]!);
      this.imports.shift();
    }
    this.importing = undefined;
  }

  private async runImport(job: QueuedImport): Promise<void> {
    const { session, path, controller } = job;
    if (controller.signal.aborted) {
      this.finish(session.id, 'cancelled');
      return;
    }
    const writer = new EventWriter(this.store, session.id);
    const started = performance.now();
    let duration = 0;
    let lastReport = 0;
    try {
      await runFile(
        await this.engine(),
        path,
        {
          mode: session.settings.mode,
          interim: session.settings.interim_results,
          vad: session.settings.vad,
          maxFutures: session.settings.max_futures,
          chunkMs: session.settings.chunk_ms,
          signal: controller.signal,
          onStart: (format) => void this.store.updateSession(session.id, { format }),
          onFed: (seconds) => (duration = seconds),
          onProgress: (fraction) => {
            const now = performance.now();
            if (now - lastReport < 100 && fraction < 1) return;
            lastReport = now;
            const elapsed = (now - started) / 1000;
            const eta = fraction > 0.02 ? (elapsed / fraction) * (1 - fraction) : null;
            this.emit('progress', { session_id: session.id, fraction, eta_seconds: eta });
          },
        },
        (event) => {
          writer.push(event);
          this.emit('event', session.id, event);
        },
      );
      writer.close();
      this.finish(session.id, 'done', undefined, duration);
    } catch (error) {
      writer.close();
      if (controller.signal.aborted) this.finish(session.id, 'cancelled', undefined, duration);
      else this.finish(session.id, 'failed', (error as Error).message, duration);
    }
  }

  private finish(id: string, status: Session['status'], error?: string, duration?: number): Session {
    const session = this.store.updateSession(id, {
      status,
      finished_at: new Date().toISOString(),
      ...(error === undefined ? {} : { error }),
      ...(duration === undefined ? {} : { duration }),
    });
    this.emit('changed', session);
    return session;
  }

  private require(id: string): Session {
    const session = this.store.getSession(id);
    if (!session) throw new SessionNotFoundError(id);
    return session;
  }
}

function defaultTitle(source: 'mic' | 'api'): string {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return source === 'mic' ? `Recording ${when}` : `Stream ${when}`;
}
