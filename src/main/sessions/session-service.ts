// Every recording and every import as a session: audio kept on disk as it arrives, events
// written in batches, progress and results pushed to whoever listens (the window, the server).
//
// A storage failure (a full disk, an I/O error, a damaged database, a session deleted under its
// writer) ends the session it hit, `failed` with the reason, its audio kept, and nothing else:
// no write to the database throws into the engine's callbacks, a session whose end cannot be
// written yet is shown ended and written when the database takes writes again, and a failure
// that is not the caller's doing reaches it as a StorageError that says what happened.
import { EventEmitter } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ApiResponse, StartMessage } from '../../shared/api';
import type { ImportProgress, RecordingFinishing } from '../../shared/contract';
import { DEFAULT_CHUNK_MS, isUnfinished, type Session, type SessionExport, type SessionSettings } from '../../shared/sessions';
import { VAD_DEFAULTS } from '../../shared/vad-settings';
import { runFile } from '../engine/file-job';
import { AudioFileError, openRegularFile, probeAudioFile } from '../engine/file-source';
import type { AudioStream, StreamingContext } from '../engine/streaming-context';
import { EventWriter } from '../storage/event-writer';
import { exportSessionJson, exportSessionLabels, exportSessionPieces, type ExportFormat, type ExportStreamOptions } from '../storage/export';
import type { SessionStore } from '../storage/session-store';
import { asStorageError, isCorruption, PreconditionError, SessionNotFoundError, storageFailureReason } from '../storage/storage-errors';
import { repairWav, WavRecorder } from '../storage/wav-recorder';
import { ByteChunker, Connection, Recording, type LiveRecordings, type RecordingInput } from './recording';
import { errorMessage } from '../../shared/errors';

export interface SessionServiceEvents {
  /** An engine event of a session, as it is stored. */
  event: [sessionId: string, event: ApiResponse];
  progress: [ImportProgress];
  /** A stopped recording waits for its last results: how many are still to come, when that changes. */
  finishing: [RecordingFinishing];
  /** A session was created, changed state, renamed or deleted. */
  changed: [Session | { id: string; deleted: true }];
  /** A problem with the data folder the person should know of (a damaged database), once each. */
  warning: [message: string];
}

/**
 * A session's events on their way to the database. Never throws: the engine calls push() from
 * its own callbacks, where nothing would catch. The first failure (a batch that could not be
 * written, now or by the flush timer) is reported once through `onFailure`; later events are
 * dropped.
 */
class EventSink {
  private writer: EventWriter | undefined;
  private failure: { error: unknown } | undefined;
  private reported = false;
  private closed = false;

  constructor(
    store: SessionStore,
    private readonly sessionId: string,
    /** The open sinks by session, so that a reader can have a session's buffered events written first. */
    private readonly open: Map<string, EventSink>,
    private readonly onFailure: (error: unknown) => void,
  ) {
    try {
      this.writer = new EventWriter(store, sessionId, { onError: (error) => this.fail(error) });
    } catch (error) {
      this.failure = { error };
    }
    open.set(sessionId, this);
  }

  /** Writes what is buffered now (a reader is about to read the session's events). */
  flush(): void {
    if (this.closed || this.failure) return;
    try {
      this.writer!.flush();
    } catch (error) {
      this.fail(error);
    }
  }

  /** True when the event is taken (buffered or written); false when it is dropped. */
  push(event: ApiResponse): boolean {
    if (this.closed) return false;
    if (!this.failure) {
      try {
        this.writer!.push(event);
        return true;
      } catch (error) {
        this.failure = { error };
      }
    }
    this.report();
    return false;
  }

  fail(error: unknown): void {
    this.failure ??= { error };
    this.report();
  }

  /** Writes what is buffered; returns the failure, if any, that lost events. */
  close(): { error: unknown } | undefined {
    if (!this.closed) {
      this.closed = true;
      this.open.delete(this.sessionId);
      if (!this.failure) {
        try {
          this.writer!.close();
        } catch (error) {
          this.failure = { error };
        }
      }
    }
    return this.failure;
  }

  private report(): void {
    if (this.reported || this.closed) return;
    this.reported = true;
    this.onFailure(this.failure!.error);
  }
}

const describeFailure = (error: unknown) => storageFailureReason(error) ?? errorMessage(error);

/** The words an import's or a recording's end gives for events that could not be stored. */
const eventsLost = (error: unknown) => `the events could not be stored: ${describeFailure(error)}`;

/** How a storage failure aborts an import: not a cancel. */
class ImportStorageFailure extends Error {}

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
  /** Where browsers' uploads wait to be imported: an upload is removed once its import has copied it, or failed. */
  uploadDir?: string;
}

export class SessionService extends EventEmitter<SessionServiceEvents> implements LiveRecordings {
  private readonly store: SessionStore;
  private readonly engine: () => Promise<StreamingContext>;
  private readonly audioDir: string;
  /** Live recordings by session id, until they have ended. */
  private readonly recordings = new Map<string, Recording>();
  /** Who waits for a session to end (whenFinished), by session id. */
  private readonly finishWaiters = new Map<string, Array<(session: Session) => void>>();
  private readonly imports: QueuedImport[] = [];
  private importing: Promise<void> | undefined;
  /** Sessions being written (recording, or an import queued or running), as last known: they cannot be deleted. */
  private readonly active = new Map<string, Session>();
  private readonly openSinks = new Map<string, EventSink>();
  /** Sessions whose end could not be written yet (a full disk), as they are: written by a retry. */
  private readonly unsaved = new Map<string, Session>();
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly warnings: string[] = [];
  private damageReported = false;

  constructor(options: SessionServiceOptions) {
    super();
    this.store = options.store;
    this.engine = options.engine;
    this.audioDir = options.audioDir;
    this.uploadDir = options.uploadDir === undefined ? undefined : resolve(options.uploadDir);
  }

  private readonly uploadDir: string | undefined;

  /** An upload (a file in its own folder under uploadDir) is no longer needed: its folder goes. */
  private async discardUpload(path: string): Promise<void> {
    if (!this.uploadDir) return;
    const folder = dirname(resolve(path));
    if (dirname(folder) !== this.uploadDir) return;
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
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

  /** Problems with the data folder found so far (a damaged database), for the UI to show. */
  storageWarnings(): string[] {
    return [...this.warnings];
  }

  /** A damaged database, found by the start-up check or on the way: only the first report is kept. */
  reportDamage(message: string): void {
    if (this.damageReported) return;
    this.damageReported = true;
    this.warn(message);
  }

  /** Records a problem with the data folder: logged once, kept for storageWarnings(), emitted as `warning`. */
  warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    console.warn(`Utterly: ${message}`);
    this.emit('warning', message);
  }

  /**
   * A client of the service (a window's page, a bridge socket, a streaming socket): the
   * recordings it starts are its own.
   */
  connect(): Connection {
    return new Connection(this);
  }

  /** The live recording of session `id`, until it has ended. */
  liveRecording(id: string): Recording | undefined {
    return this.recordings.get(id);
  }

  /** The live recordings `owner` started. */
  recordingsOf(owner: Connection): Recording[] {
    return [...this.recordings.values()].filter((recording) => recording.owner === owner);
  }

  /**
   * Starts a live recording for `owner` (through Connection.startRecording); `onEvent` is given
   * each of its events as it is stored.
   */
  async startRecording(owner: Connection, input: RecordingInput, onEvent?: (event: ApiResponse) => void): Promise<Recording> {
    const cannotStart = 'the recording could not be started';
    const session = this.stored(cannotStart, () =>
      this.store.createSession({
        title: input.title ?? defaultTitle(input.source),
        source: input.source,
        format: input.format,
        settings: input.settings,
        status: 'recording',
      }),
    );
    this.active.set(session.id, session);
    const audioPath = join(this.audioDir, `${session.id}.wav`);
    let audio: WavRecorder;
    let recorded: Session;
    try {
      audio = WavRecorder.create(audioPath, input.format);
    } catch (error) {
      this.finish(session.id, 'failed', `the audio file could not be created: ${describeFailure(error)}`);
      throw asStorageError(cannotStart, error);
    }
    try {
      recorded = this.store.updateSession(session.id, { audio_path: audioPath });
    } catch (error) {
      closeAudio(audio);
      this.finish(session.id, 'failed', `the session could not be written: ${describeFailure(error)}`);
      throw asStorageError(cannotStart, error);
    }
    this.active.set(session.id, recorded);
    this.emit('changed', recorded);

    // The sink reports a failure only after an event, so once the recording exists; a failure
    // before (its writer could not even start) waits for it.
    let recording: Recording | undefined;
    let earlyFailure: { error: unknown } | undefined;
    const sink = new EventSink(this.store, session.id, this.openSinks, (error) => {
      if (recording) void recording.fail(error, 'the events could not be stored');
      else earlyFailure ??= { error };
    });
    const start: StartMessage = {
      request: 'start',
      format: input.format,
      interim_results: input.settings.interim_results,
      vad: input.settings.vad ?? VAD_DEFAULTS,
    };
    // The microphone sends small blocks; in simple mode each chunk is one inference, so they are
    // joined into chunks of the session's duration. A streaming API client chooses its own chunks.
    const chunker =
      input.source === 'mic' && input.settings.mode === 'simple' ? new ByteChunker(input.format, input.settings.chunk_ms ?? DEFAULT_CHUNK_MS) : undefined;
    let stream: AudioStream;
    try {
      stream = await (
        await this.engine()
      ).openStream({ mode: input.settings.mode, start, maxFutures: input.settings.max_futures }, (event) => {
        if (!sink.push(event)) return;
        this.emit('event', session.id, event);
        onEvent?.(event);
      });
    } catch (error) {
      closeAudio(audio);
      sink.close();
      this.finish(session.id, 'failed', errorMessage(error));
      throw error;
    }
    const created: Recording = new Recording(
      recorded,
      owner,
      stream,
      audio,
      async (status, reason, storageFailure = false) => {
        const frames = closeAudio(audio);
        const lost = sink.close();
        if (lost && (status !== 'failed' || !storageFailure)) {
          // Results that could not be stored: the session did not end well, whatever else happened.
          status = 'failed';
          reason = eventsLost(lost.error);
          storageFailure = true;
        }
        this.recordings.delete(session.id);
        if (storageFailure) {
          this.announceFailure(session.id, reason!);
          onEvent?.({ channel: 0, type: 'error', message: reason! });
        }
        const finished = this.finish(session.id, status, reason, frames / input.format.sample_rate);
        if (storageFailure) created.reportFailed(finished);
        return finished;
      },
      chunker,
      (results_to_come) => this.emit('finishing', { session_id: session.id, results_to_come }),
    );
    recording = created;
    this.recordings.set(session.id, created);
    if (earlyFailure) void created.fail(earlyFailure.error, 'the events could not be stored');
    return created;
  }

  /**
   * Queues a file; it becomes a session at once, processed when its turn comes. Only a regular
   * file is taken (checked on the opened file: a named pipe or a device is refused at once,
   * never waited on), and it is copied from that opened file.
   */
  async importFile(path: string, settings: SessionSettings, title?: string): Promise<Session> {
    try {
      return await this.importCopy(path, settings, title);
    } finally {
      // Copied into the data folder, or refused: an upload has served its purpose either way.
      await this.discardUpload(path);
    }
  }

  private async importCopy(path: string, settings: SessionSettings, title?: string): Promise<Session> {
    await probeAudioFile(path);
    const name = basename(path);
    const session = this.stored(`${name} could not be imported`, () =>
      this.store.createSession({
        title: title ?? name.replace(/\.[^.]+$/, ''),
        source: 'file',
        original_name: name,
        settings,
        status: 'processing',
      }),
    );
    this.active.set(session.id, session);
    // A copy, so that moving or deleting the original loses nothing and re-runs still work.
    const audioPath = join(this.audioDir, `${session.id}${extname(name).toLowerCase()}`);
    let queued: Session;
    try {
      await copyRegularFile(path, audioPath);
      queued = this.store.updateSession(session.id, { audio_path: audioPath });
    } catch (error) {
      // Whatever made it (a full disk above all): the partial copy would only take more room.
      await rm(audioPath, { force: true }).catch(() => undefined);
      this.finish(session.id, 'failed', `cannot copy the file: ${describeFailure(error)}`);
      throw error instanceof AudioFileError ? error : asStorageError(`${name} could not be copied into Utterly's data folder`, error);
    }
    this.active.set(session.id, queued);
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
    const linked = this.stored('the re-run could not be linked to its session', () =>
      this.store.updateSession(session.id, { rerun_of: original.id, original_name: original.original_name }),
    );
    if (this.active.has(linked.id)) this.active.set(linked.id, linked);
    return linked;
  }

  /**
   * Resolves with the session once it has ended (done, failed, interrupted, cancelled): at once
   * for a session that is not recording or being imported; rejects with SessionNotFoundError for
   * an unknown one.
   */
  async whenFinished(id: string): Promise<Session> {
    if (!this.active.has(id)) return this.get(id);
    return new Promise((resolve) => this.finishWaiters.set(id, [...(this.finishWaiters.get(id) ?? []), resolve]));
  }

  /** Cancels a queued or running import; what it found so far is kept. */
  cancelImport(id: string): boolean {
    const queued = this.imports.find((job) => job.session.id === id);
    if (!queued) return false;
    queued.controller.abort(new Error('cancelled'));
    return true;
  }

  list(options: { limit: number; offset: number; query?: string }) {
    const listed = this.stored('the sessions could not be read', () => this.store.listSessions(options));
    if (this.unsaved.size > 0) listed.sessions = listed.sessions.map((session) => this.unsaved.get(session.id) ?? session);
    return listed;
  }

  get(id: string): Session {
    return this.unsaved.get(id) ?? this.require(id);
  }

  events(id: string, options: { offset: number; limit: number }): ApiResponse[] {
    this.require(id);
    // A live session's latest events may still wait in its batch: a client that starts watching
    // it now must read them here, since it will only be pushed the ones after.
    this.openSinks.get(id)?.flush();
    return this.stored(`the events of session ${id} could not be read`, () => this.store.getEvents(id, options));
  }

  rename(id: string, title: string): Session {
    this.require(id);
    const stored = this.stored(`session ${id} could not be renamed`, () => this.store.updateSession(id, { title }));
    // A session whose end is not written yet is shown as it ended, with its new title.
    const unsaved = this.unsaved.get(id);
    const session = unsaved ? { ...unsaved, title: stored.title } : stored;
    if (unsaved) this.unsaved.set(id, session);
    if (this.active.has(id)) this.active.set(id, session);
    this.emit('changed', session);
    return session;
  }

  /** Refused while the session is being written (recording, or an import queued or running). */
  async delete(id: string): Promise<void> {
    const session = this.get(id);
    const writing = this.active.get(id);
    if (writing || isUnfinished(session)) {
      throw new PreconditionError(`session ${id} is still ${(writing ?? session).status}; stop or cancel it first`);
    }
    this.stored(`session ${id} could not be deleted`, () => this.store.deleteSession(id));
    this.unsaved.delete(id);
    if (session.audio_path) await rm(session.audio_path, { force: true });
    this.emit('changed', { id, deleted: true });
  }

  /** The whole export in memory: for small sessions (tests); transports use exportStream. */
  exportJson(id: string): SessionExport {
    this.require(id);
    return this.stored(`session ${id} could not be exported`, () => exportSessionJson(this.store, id));
  }

  /** The whole label track in memory: for small sessions (tests); transports use exportStream. */
  exportLabels(id: string): string {
    this.require(id);
    return this.stored(`session ${id} could not be exported`, () => exportSessionLabels(this.store, id));
  }

  /**
   * The export as text pieces to write as they come (`for await`, or
   * `pipeline(Readable.from(pieces), destination)`): JSON (pretty-printed, with a final line
   * break) or an Audacity label track. Events are read a page at a time and the event loop
   * runs between slices of about 10 ms, so any session exports with bounded memory and without
   * holding up other clients. Throws SessionNotFoundError at once for an unknown session; a
   * storage failure on the way rejects the iteration with a StorageError (what was written is
   * then not a whole export).
   */
  exportStream(id: string, format: ExportFormat, options?: ExportStreamOptions): AsyncGenerator<string, void, undefined> {
    this.require(id);
    return this.guardStorage(`session ${id} could not be exported`, exportSessionPieces(this.store, id, format, options));
  }

  /** exportStream's pieces joined into one string, without blocking: for a contract that returns the content whole. */
  async exportText(id: string, format: ExportFormat): Promise<string> {
    const pieces: string[] = [];
    for await (const piece of this.exportStream(id, format)) pieces.push(piece);
    return pieces.join('');
  }

  /** Quitting: recordings end cleanly with their results, imports stop where they are. */
  async close(): Promise<void> {
    for (const job of this.imports) job.controller.abort(new Error('the app is quitting'));
    await Promise.all([...this.recordings.values()].map((recording) => recording.stop()));
    await this.importing;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.saveUnsaved();
    if (this.unsaved.size > 0) {
      console.warn(
        `Utterly: the end of ${this.unsaved.size} session(s) could not be written; they will show as interrupted, with their audio and the events that were stored`,
      );
    }
  }

  private async drainImports(): Promise<void> {
    while (this.imports.length > 0) {
      await this.runImport(this.imports[0]!).catch((error: unknown) => {
        // runImport ends its session whatever happens; this is for what nothing foresaw.
        console.error('Utterly: an import could not be ended cleanly:', error);
      });
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
    const sink = new EventSink(this.store, session.id, this.openSinks, () => controller.abort(new ImportStorageFailure()));
    const eta = new EtaEstimate();
    let duration = 0;
    let lastReport = 0;
    let release: (() => void) | undefined;
    try {
      // The engine is held until the import ends: new settings replace it for the next session
      // only, and close it once this one (its VAD included) is done with it.
      const context = await this.engine();
      release = context.hold();
      await runFile(
        context,
        path,
        {
          mode: session.settings.mode,
          interim: session.settings.interim_results,
          vad: session.settings.vad,
          maxFutures: session.settings.max_futures,
          chunkMs: session.settings.chunk_ms,
          signal: controller.signal,
          onStart: (format, source_format) => {
            try {
              this.store.updateSession(session.id, { format, source_format });
            } catch (error) {
              sink.fail(error);
            }
          },
          onFed: (seconds) => (duration = seconds),
          onProgress: (fraction, processed, total) => {
            const now = performance.now();
            const eta_seconds = eta.update(now / 1000, processed, total);
            if (now - lastReport < 100 && fraction < 1) return;
            lastReport = now;
            this.emit('progress', { session_id: session.id, fraction, eta_seconds, processed_seconds: round3(processed), total_seconds: round3(total) });
          },
        },
        (event) => {
          if (sink.push(event)) this.emit('event', session.id, event);
        },
      );
      const lost = sink.close();
      if (lost) this.finishFailed(session.id, eventsLost(lost.error), duration);
      else this.finish(session.id, 'done', undefined, duration);
    } catch (error) {
      const lost = sink.close();
      if (lost) this.finishFailed(session.id, eventsLost(lost.error), duration);
      else if (controller.signal.aborted) this.finish(session.id, 'cancelled', undefined, duration);
      else this.finish(session.id, 'failed', errorMessage(error), duration);
    } finally {
      release?.();
    }
  }

  /** A session ended by a storage failure: an error event says why (not stored: the database failed), then the end. */
  private finishFailed(id: string, reason: string, duration?: number): Session {
    this.announceFailure(id, reason);
    return this.finish(id, 'failed', reason, duration);
  }

  private announceFailure(id: string, reason: string): void {
    this.emit('event', id, { channel: 0, type: 'error', message: reason });
  }

  /**
   * Ends a session. Never throws: when the database cannot take the end (a full disk), the
   * session is shown ended all the same, and written by a retry every second until it can be.
   * A session deleted under its writer (not through this service) is reported deleted.
   */
  private finish(id: string, status: Session['status'], error?: string, duration?: number): Session {
    const session = this.writeEnd(id, status, error, duration);
    const waiters = this.finishWaiters.get(id) ?? [];
    this.finishWaiters.delete(id);
    for (const resolve of waiters) resolve(session);
    return session;
  }

  private writeEnd(id: string, status: Session['status'], error?: string, duration?: number): Session {
    const known = this.active.get(id);
    this.active.delete(id);
    const patch = {
      status,
      finished_at: new Date().toISOString(),
      ...(error === undefined ? {} : { error }),
      ...(duration === undefined ? {} : { duration }),
    };
    let current: Session | undefined;
    try {
      current = this.store.getSession(id);
      if (current) {
        const session = this.store.updateSession(id, patch);
        this.unsaved.delete(id);
        this.emit('changed', session);
        return session;
      }
    } catch (failure) {
      const session: Session = { ...(this.unsaved.get(id) ?? current ?? known ?? placeholderSession(id)), ...patch };
      this.unsaved.set(id, session);
      this.noteStorageFailure(failure);
      console.warn(`Utterly: session ${id} ended ${status}, which cannot be written yet (${describeFailure(failure)}); trying again every second`);
      this.scheduleRetry();
      this.emit('changed', session);
      return session;
    }
    this.unsaved.delete(id);
    this.emit('changed', { id, deleted: true });
    return { ...(known ?? placeholderSession(id)), ...patch };
  }

  private scheduleRetry(): void {
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.saveUnsaved();
    }, 1000).unref();
  }

  /** Writes the ends that could not be written; what still cannot be waits for the next try. */
  private saveUnsaved(): void {
    for (const [id, session] of this.unsaved) {
      try {
        if (this.store.getSession(id)) {
          const { status, finished_at, error, duration } = session;
          this.emit('changed', this.store.updateSession(id, { status, finished_at, error, duration }));
        }
        this.unsaved.delete(id);
      } catch {
        this.scheduleRetry();
        return;
      }
    }
  }

  private require(id: string): Session {
    const session = this.stored(`session ${id} could not be read`, () => this.store.getSession(id));
    if (!session) throw new SessionNotFoundError(id);
    return session;
  }

  /** Runs a store operation; a storage failure becomes a StorageError saying `what` could not be done. */
  private stored<T>(what: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      this.noteStorageFailure(error);
      throw asStorageError(what, error);
    }
  }

  private async *guardStorage<T>(what: string, source: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
    try {
      yield* source;
    } catch (error) {
      this.noteStorageFailure(error);
      throw asStorageError(what, error);
    }
  }

  /** A damaged database found on the way: the person is told once, as with the start-up check. */
  private noteStorageFailure(error: unknown): void {
    if (isCorruption(error)) this.reportDamage(`the database is damaged (${errorMessage(error)}); sessions that can be read still work: export what you need`);
  }
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/**
 * Time left of an import, from how fast its audio has been processed lately (the last 10 s),
 * smoothed so that it settles: each new estimate moves the previous one, counted down since, a
 * fifth of the way. None until a second of work has been measured.
 */
export class EtaEstimate {
  private samples: Array<{ at: number; processed: number }> = [];
  private last: { at: number; eta: number } | undefined;

  update(at: number, processed: number, total: number): number | null {
    this.samples.push({ at, processed });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= 10) this.samples.shift();
    const first = this.samples[0]!;
    const span = at - first.at;
    if (span < 1) return this.last ? Math.max(0, this.last.eta - (at - this.last.at)) : null;
    const rate = (processed - first.processed) / span;
    const left = Math.max(0, total - processed);
    if (rate <= 0) return this.last ? Math.max(0, this.last.eta - (at - this.last.at)) : null;
    const raw = left / rate;
    const predicted = this.last ? Math.max(0, this.last.eta - (at - this.last.at)) : raw;
    const eta = left === 0 ? 0 : predicted + 0.2 * (raw - predicted);
    this.last = { at, eta };
    return eta;
  }
}

/** Closes a recording's audio file; whatever fails, the frames written so far. */
function closeAudio(audio: WavRecorder): number {
  try {
    return audio.close();
  } catch {
    return audio.frames;
  }
}

/** Copies a regular file from its opened descriptor (openRegularFile), never creating over an existing file. */
async function copyRegularFile(from: string, to: string): Promise<void> {
  const { file } = await openRegularFile(from);
  try {
    await pipeline(file.createReadStream({ autoClose: false, highWaterMark: 1 << 20 }), createWriteStream(to, { flags: 'wx' }));
  } finally {
    await file.close();
  }
}

/** What is known of a session whose row could not be read. */
function placeholderSession(id: string): Session {
  return {
    id,
    title: 'Untitled',
    source: 'file',
    original_name: null,
    format: null,
    source_format: null,
    settings: { mode: 'segmented', interim_results: false },
    status: 'failed',
    created_at: new Date().toISOString(),
    finished_at: null,
    duration: null,
    audio_path: null,
    error: null,
    rerun_of: null,
  };
}

function defaultTitle(source: 'mic' | 'api'): string {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return source === 'mic' ? `Recording ${when}` : `Stream ${when}`;
}
