// A live recording (the microphone, or a client of the streaming API), the connection that owns
// it, and the chunker that cuts a microphone's blocks into the chunks of simple mode.
import type { ApiResponse, AudioFormat } from '../../shared/api';
import type { Session, SessionSettings, SessionSource } from '../../shared/sessions';
import { errorMessage } from '../../shared/errors';
import type { AudioStream } from '../engine/streaming-context';
import { PreconditionError, storageFailureReason } from '../storage/storage-errors';
import type { WavRecorder } from '../storage/wav-recorder';

export type FinishRecording = (status: 'done' | 'interrupted' | 'failed', reason?: string, storageFailure?: boolean) => Promise<Session>;

/** How often a stopped recording's results still to come are looked at (reported when the count changes). */
const FINISHING_REPORT_MS = 250;

/** A live stream being recorded: the microphone, or a client of the streaming API. */
export class Recording {
  private writes: Promise<void> = Promise.resolve();
  private ending: Promise<Session> | undefined;
  /** A storage failure stopped the engine: audio queued for it is dropped. */
  private broken = false;
  private settleFailed!: (session: Session) => void;
  /**
   * Resolves with the session, ended `failed`, if a storage failure (its events or its audio
   * could not be written) ended the recording; never resolves otherwise. The service has then
   * emitted an error event for the session, with the reason: a transport sends it to its
   * client and closes that client's stream (the streaming API: close code 1011).
   */
  readonly failed = new Promise<Session>((resolve) => (this.settleFailed = resolve));

  constructor(
    readonly session: Session,
    /** The connection that started it: only it may feed or stop it. */
    readonly owner: Connection,
    private readonly stream: AudioStream,
    private readonly audio: WavRecorder,
    private readonly finishWith: FinishRecording,
    /** Cuts the audio into chunks of the session's duration before the engine (simple mode from the microphone). */
    private readonly chunker?: ByteChunker,
    /** After Stop, while the last results are waited for: how many are still to come, when that changes. */
    private readonly onFinishing?: (resultsToCome: number) => void,
  ) {}

  /** Stopped, interrupted or failed: it takes no more audio and cannot be stopped again. */
  get isEnding(): boolean {
    return this.ending !== undefined;
  }

  /**
   * PCM bytes in the session's format: kept on disk first, then given to the engine. Once the
   * recording has ended (stopped, interrupted, failed) bytes are dropped.
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.ending) return Promise.resolve();
    try {
      this.audio.append(bytes);
    } catch (error) {
      void this.fail(error, 'the audio could not be written');
      return Promise.resolve();
    }
    for (const piece of this.chunker ? this.chunker.push(bytes) : [bytes]) this.feed(piece);
    return this.writes;
  }

  private feed(bytes: Uint8Array): void {
    this.writes = this.writes.then(() => (this.broken ? undefined : this.stream.writeBytes(bytes)));
  }

  /** The audio the chunker still holds (less than a chunk), to the engine: the recording is ending. */
  private flushChunker(): void {
    const rest = this.chunker?.flush();
    if (rest) this.feed(rest);
  }

  /** Ends the audio; resolves with the session once every final result is stored. */
  stop(): Promise<Session> {
    return (this.ending ??= this.end());
  }

  /** The source went away before `stop`: what arrived is processed and kept, marked as such. */
  interrupt(reason: string): Promise<Session> {
    return (this.ending ??= this.endInterrupted(reason));
  }

  /**
   * The service's: a storage failure ends the recording now, `failed`, the engine stopped and
   * the audio so far kept. A recording already ending finds the failure when it finishes.
   */
  fail(error: unknown, what: string): Promise<Session> {
    if (this.ending) return this.ending;
    this.broken = true;
    const reason = `${what}: ${storageFailureReason(error) ?? errorMessage(error)}`;
    this.ending = (async () => {
      await this.stream.abort().catch(() => undefined);
      return this.finishWith('failed', reason, true);
    })();
    return this.ending;
  }

  /** The service's: the recording ended `failed` by a storage failure. */
  reportFailed(session: Session): void {
    this.settleFailed(session);
  }

  private async end(): Promise<Session> {
    const ticker = this.reportFinishing();
    try {
      this.flushChunker();
      await this.writes;
      await this.stream.stop();
    } catch (error) {
      // The audio is on disk whatever went wrong: the session ends, it does not stay "recording".
      return this.finishWith('failed', errorMessage(error));
    } finally {
      clearInterval(ticker);
    }
    return this.finishWith('done');
  }

  /** Reports the results still to come at once, then every 250 ms when the count has changed. */
  private reportFinishing(): NodeJS.Timeout | undefined {
    const report = this.onFinishing;
    if (!report) return undefined;
    let last = this.stream.resultsToCome();
    report(last);
    return setInterval(() => {
      const now = this.stream.resultsToCome();
      if (now !== last) report((last = now));
    }, FINISHING_REPORT_MS);
  }

  private async endInterrupted(reason: string): Promise<Session> {
    this.flushChunker();
    await this.writes.catch(() => undefined);
    await this.stream.stop().catch(() => undefined);
    return this.finishWith('interrupted', reason);
  }
}

/** What a live recording is. */
export interface RecordingInput {
  source: Extract<SessionSource, 'mic' | 'api'>;
  format: AudioFormat;
  settings: SessionSettings;
  title?: string;
}

/** What a connection needs of the session service: the one registry of live recordings. */
export interface LiveRecordings {
  startRecording(owner: Connection, input: RecordingInput, onEvent?: (event: ApiResponse) => void): Promise<Recording>;
  /** The live recording of session `id`, until it has ended. */
  liveRecording(id: string): Recording | undefined;
  /** The live recordings `owner` started. */
  recordingsOf(owner: Connection): Recording[];
  /** A session, or SessionNotFoundError. */
  get(id: string): Session;
}

/**
 * One client of the service: a window's page, a bridge socket, a streaming socket. The
 * recordings it starts are its own: only it may feed them audio or stop them, and they are
 * interrupted when it closes, their audio and results kept.
 */
export class Connection {
  /** Why the connection closed, once it has. */
  private closedWith: string | undefined;

  constructor(private readonly service: LiveRecordings) {}

  /** Starts a live recording of this connection; `onEvent` is given each of its events as it is stored. */
  async startRecording(input: RecordingInput, onEvent?: (event: ApiResponse) => void): Promise<Recording> {
    if (this.closedWith !== undefined) throw new PreconditionError(`the connection has closed: ${this.closedWith}`);
    const recording = await this.service.startRecording(this, input, onEvent);
    // Started as the connection went: it has no source either.
    if (this.closedWith !== undefined) void this.interrupt(recording, this.closedWith);
    return recording;
  }

  /** Session `id`'s recording if this connection started it and it is live; otherwise a PreconditionError saying why. */
  recording(id: string): Recording {
    const recording = this.service.liveRecording(id);
    if (recording?.owner === this && !recording.isEnding) return recording;
    if (recording && !recording.isEnding) throw new PreconditionError(recordedElsewhere(recording));
    this.service.get(id); // SessionNotFoundError for an unknown session
    throw new PreconditionError(`session ${id} is not recording`);
  }

  /**
   * Where audio for session `id` from this connection goes: its own live recording; or why it
   * cannot, another connection recording it; or nowhere (undefined), nothing recording it.
   */
  audioTarget(id: string): { recording: Recording } | { refused: string } | undefined {
    const recording = this.service.liveRecording(id);
    if (!recording || recording.isEnding) return undefined;
    return recording.owner === this ? { recording } : { refused: recordedElsewhere(recording) };
  }

  /** The connection has gone: the recordings it started end as interrupted, `reason` said. */
  async close(reason: string): Promise<void> {
    this.closedWith ??= reason;
    await Promise.all(this.service.recordingsOf(this).map((recording) => this.interrupt(recording, reason)));
  }

  private async interrupt(recording: Recording, reason: string): Promise<void> {
    await recording.interrupt(reason).catch((error: unknown) => console.error(`Utterly: recording ${recording.session.id} could not be ended:`, error));
  }
}

const recordedElsewhere = ({ session }: Recording) =>
  session.source === 'api'
    ? `session ${session.id} is recorded by a streaming API client`
    : `session ${session.id} is recorded by another connection: only the one that started it may send its audio or stop it`;

/**
 * PCM bytes, which arrive in whatever blocks the source sends (a capture block is 46 ms), cut
 * into chunks of a whole number of frames and a fixed duration: in simple mode one chunk is one
 * inference, so a microphone's blocks would each become one.
 */
export class ByteChunker {
  private parts: Uint8Array[] = [];
  private length = 0;
  readonly chunkBytes: number;

  constructor(format: AudioFormat, chunkMs: number) {
    const frameBytes = format.channels * (format.bit_depth / 8);
    this.chunkBytes = Math.max(1, Math.round((format.sample_rate * chunkMs) / 1000)) * frameBytes;
  }

  *push(bytes: Uint8Array): Generator<Uint8Array> {
    if (bytes.length === 0) return;
    // A copy: the caller's buffer may be reused once this returns.
    this.parts.push(bytes.slice());
    this.length += bytes.length;
    while (this.length >= this.chunkBytes) yield this.take(this.chunkBytes);
  }

  /** What is left (less than a chunk), if anything. */
  flush(): Uint8Array | undefined {
    return this.length > 0 ? this.take(this.length) : undefined;
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const part = this.parts[0]!;
      const k = Math.min(n - filled, part.length);
      out.set(part.subarray(0, k), filled);
      filled += k;
      if (k === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(k);
    }
    this.length -= n;
    return out;
  }
}
