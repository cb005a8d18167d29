// The contract's methods on top of the SessionService, shared by every transport (Electron IPC,
// the bridge WebSocket): validation, error mapping, and the live recordings the UI feeds.
import { describeIssues } from '../../shared/api';
import {
  METHOD_NAMES,
  MethodParams,
  type ErrorCode,
  type MethodArgs,
  type MethodName,
  type MethodResults,
  type Push,
  type Result,
} from '../../shared/contract';
import { stat } from 'node:fs/promises';
import { EXPORT_FILES, isUnfinished, type ExportFormat } from '../../shared/sessions';
import type { AppSettings } from '../../shared/settings';
import { computeEnvelope, type Envelope } from '../sessions/waveform';
import { AudioFileError } from '../engine/file-source';
import type { Connection } from '../sessions/recording';
import type { SessionService, SessionServiceEvents } from '../sessions/session-service';
import { PreconditionError, SessionNotFoundError } from '../storage/storage-errors';
import { audioMimeOf } from '../../shared/audio-formats';

export type Handlers = { [M in MethodName]: (args: MethodArgs<M>) => Promise<MethodResults[M]> };

/**
 * One caller of the contract: a page of the desktop window, or a connection to the server's
 * bridge socket. A live recording obeys only the client that started it: its audio and its stop
 * from any other are refused (its id, pushed to everyone, grants nothing).
 */
export interface BridgeClient {
  handlers: Handlers;
  /**
   * PCM bytes of one of this client's live recordings. Bytes for an id that is not recording
   * are dropped and counted; for another client's recording, also dropped, and the answer is
   * the refusal's message.
   */
  sendAudio(sessionId: string, bytes: Uint8Array): string | undefined;
  /**
   * Whether this client is sent a push. Every session change, deletion and import progress goes
   * to every client; a session's `event` pushes only to the clients that watch it: those that
   * started, imported or re-ran it, or read its events (getEvents) since they connected.
   */
  wants(push: Push): boolean;
  /** The client went away: the recordings it started end as interrupted, their results kept. */
  release(reason: string): Promise<void>;
}

export interface Bridge {
  /** A client of its own: each page of the desktop window, each bridge socket. */
  connect(): BridgeClient;
  /** Audio chunks dropped because their session was not recording, or was another client's. */
  readonly droppedAudioChunks: number;
}

/** A client watches at most this many sessions; the one it touched longest ago goes first. */
const MAX_WATCHED_SESSIONS = 1000;

/** Error messages echo what the caller sent; a megabyte of garbage is not echoed whole. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

export const failure = (code: ErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message: clip(message, 500) } });

/** The system's file dialogs: only the desktop app has them. */
export interface DesktopDialogs {
  chooseAudioFiles(): Promise<string[]>;
  /** Asks where to save; writes `content` there; null when the person cancels. */
  saveFile(suggestedName: string, content: string): Promise<string | null>;
}

/** What the handlers need besides the sessions: settings, and what differs by transport. */
export interface BridgeHost {
  getSettings(): AppSettings;
  setSettings(settings: AppSettings): AppSettings;
  /** Where this transport serves a session's audio from. */
  audioUrl(sessionId: string): string;
  desktop?: DesktopDialogs;
}

export function createHandlers(service: SessionService, host: BridgeHost): Bridge {
  const envelopes = new EnvelopeCache();
  const desktopOnly = (): DesktopDialogs => {
    if (!host.desktop) throw new PreconditionError('this needs the desktop app: in a browser, use the file input and downloads');
    return host.desktop;
  };
  // Built without blocking the event loop (a long session has a million events), then sent whole.
  const exportOf = async (id: string, format: ExportFormat) => {
    const name = safeFilename(service.get(id).title);
    const content = await service.exportText(id, format);
    const { extension, mime } = EXPORT_FILES[format];
    return { filename: `${name}.${extension}`, mime, content };
  };
  let droppedAudioChunks = 0;

  /** The contract for one client, whose recordings `connection` owns. */
  function handlersOf(connection: Connection): Handlers {
    return {
      listSessions: async ({ offset, limit, query }) => service.list({ offset, limit, query }),
      getSession: async ({ id }) => service.get(id),
      getEvents: async ({ id, offset, limit }) => service.events(id, { offset, limit }),
      renameSession: async ({ id, title }) => service.rename(id, title),
      deleteSession: async ({ id }) => {
        await service.delete(id);
        return { id, deleted: true };
      },
      exportSession: async ({ id, format }) => exportOf(id, format),
      importFile: async ({ path, settings, title }) => service.importFile(path, settings, title),
      cancelImport: async ({ id }) => {
        service.get(id);
        return { id, cancelled: service.cancelImport(id) };
      },
      rerunSession: async ({ id, settings }) => service.rerun(id, settings),
      startRecording: async ({ format, settings, title }) => (await connection.startRecording({ source: 'mic', format, settings, title })).session,
      stopRecording: async ({ id }) => connection.recording(id).stop(),
      getSettings: async () => host.getSettings(),
      setSettings: async ({ settings }) => host.setSettings(settings),
      getWaveform: async ({ id, max_points }) => {
        const session = service.get(id);
        if (!session.audio_path) throw new PreconditionError(`session ${id} has no stored audio`);
        // A recording's audio still grows: computed afresh each time, never cached.
        const finished = !isUnfinished(session);
        return envelopes.get(`${id}:${max_points}`, finished, () => computeEnvelope(session.audio_path!, session.duration, max_points));
      },
      getAudioUrl: async ({ id }) => {
        const { audio_path, title } = service.get(id);
        if (!audio_path) throw new PreconditionError(`session ${id} has no stored audio`);
        // An address that would answer 404 is no answer.
        if (
          !(await stat(audio_path).then(
            (found) => found.isFile(),
            () => false,
          ))
        )
          throw new PreconditionError(`the audio of session "${title}" is missing from the data folder`);
        return { url: host.audioUrl(id), mime: audioMimeOf(audio_path) };
      },
      chooseAudioFiles: async () => ({ paths: await desktopOnly().chooseAudioFiles() }),
      saveExport: async ({ id, format }) => {
        const { filename, content } = await exportOf(id, format);
        return { path: await desktopOnly().saveFile(filename, content) };
      },
    };
  }

  function sendAudio(sessionId: string, bytes: Uint8Array, connection: Connection): string | undefined {
    const target = connection.audioTarget(sessionId);
    if (!target || 'refused' in target) {
      droppedAudioChunks++;
      if (target) return target.refused;
      // The first, then one in a thousand: a confused client must not flood the log.
      if (droppedAudioChunks % 1000 === 1) console.warn(`Utterly: audio for a session that is not recording (${droppedAudioChunks} chunk(s) dropped so far)`);
      return undefined;
    }
    const { recording } = target;
    recording.write(bytes).catch((error: unknown) => {
      // Every chunk queued behind a failed one fails too: the first ends the recording, once.
      if (recording.isEnding) return;
      console.error(`Utterly: recording ${sessionId} could not take audio:`, error);
      void recording.interrupt('the audio could not be processed').catch(() => undefined);
    });
    return undefined;
  }

  function connect(): BridgeClient {
    const connection = service.connect();
    const base = handlersOf(connection);
    // Insertion order is the order of last use: the oldest is dropped first.
    const watched = new Set<string>();
    const watch = (id: string) => {
      watched.delete(id);
      watched.add(id);
      if (watched.size > MAX_WATCHED_SESSIONS) watched.delete(watched.values().next().value!);
    };
    const watching =
      <A, R extends { id: string }>(method: (args: A) => Promise<R>) =>
      async (args: A) => {
        const session = await method(args);
        watch(session.id);
        return session;
      };
    const handlers: Handlers = {
      ...base,
      // Watched from before the stored events are read: every later one is pushed.
      getEvents: async (args) => {
        service.get(args.id); // not_found for an unknown session, which is not watched
        watch(args.id);
        return base.getEvents(args);
      },
      importFile: watching(base.importFile),
      rerunSession: watching(base.rerunSession),
      startRecording: watching(base.startRecording),
    };
    return {
      handlers,
      sendAudio: (sessionId, bytes) => sendAudio(sessionId, bytes, connection),
      wants(push) {
        if (push.kind === 'event') return watched.has(push.session_id);
        if (push.kind === 'deleted') watched.delete(push.id);
        return true;
      },
      release: (reason) => connection.close(reason),
    };
  }

  return {
    connect,
    get droppedAudioChunks() {
      return droppedAudioChunks;
    },
  };
}

/**
 * Runs one method for a caller that cannot be trusted: any method name, any params. Always
 * resolves to a Result; failures carry a code and a message the UI can show.
 */
export async function invoke(handlers: Handlers, method: unknown, params: unknown): Promise<Result<unknown>> {
  try {
    if (!isMethodName(method)) return failure('invalid_argument', `unknown method ${describeValue(method)}`);
    // A method whose params are all optional may be called without any.
    const parsed = MethodParams[method].safeParse(params === undefined ? {} : params);
    if (!parsed.success) return failure('invalid_argument', describeIssues(parsed.error));
    const handler = handlers[method] as (args: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    return errorResult(method, error);
  }
}

function errorResult(method: unknown, error: unknown): Result<never> {
  if (error instanceof SessionNotFoundError) return failure('not_found', error.message);
  if (error instanceof PreconditionError || error instanceof AudioFileError) return failure('failed_precondition', error.message);
  console.error(`Utterly: ${isMethodName(method) ? method : 'a call'} failed:`, error);
  return failure('internal', 'something went wrong inside Utterly; the details are in its log');
}

const isMethodName = (method: unknown): method is MethodName => typeof method === 'string' && (METHOD_NAMES as readonly string[]).includes(method);

function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(clip(value, 100)) : `of type ${value === null ? 'null' : typeof value}`;
}

/**
 * The SessionService's events as the contract's pushes: all of them, or those `wants` takes (a
 * BridgeClient's). Returns the unsubscribe function.
 */
export function subscribePushes(service: SessionService, send: (push: Push) => void, wants: (push: Push) => boolean = () => true): () => void {
  const offer = (push: Push) => wants(push) && send(push);
  const onEvent = (...[session_id, event]: SessionServiceEvents['event']) => offer({ kind: 'event', session_id, event });
  const onProgress = (...[progress]: SessionServiceEvents['progress']) => offer({ kind: 'progress', progress });
  const onFinishing = (...[finishing]: SessionServiceEvents['finishing']) => offer({ kind: 'finishing', finishing });
  const onChanged = (...[change]: SessionServiceEvents['changed']) =>
    offer('deleted' in change ? { kind: 'deleted', id: change.id } : { kind: 'session', session: change });
  service.on('event', onEvent);
  service.on('progress', onProgress);
  service.on('finishing', onFinishing);
  service.on('changed', onChanged);
  return () => {
    service.off('event', onEvent);
    service.off('progress', onProgress);
    service.off('finishing', onFinishing);
    service.off('changed', onChanged);
  };
}

// Windows reserves these device names, with or without an extension (NUL.txt, NUL.tar.gz).
const RESERVED_WINDOWS_NAMES = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

/** A session title as a file name any OS accepts: no separators or control characters, not too long. */
export function safeFilename(title: string): string {
  const cleaned = title.replace(/[<>:"/\\|?*\u0000-\u001f\u007f]/g, '_').replace(/\s+/g, ' ');
  // By code points, so that a character outside the BMP is not cut in half.
  const short = Array.from(cleaned).slice(0, 100).join('');
  // Leading dots hide a file; Windows drops trailing dots and spaces.
  const name = short.replace(/^[. ]+|[. ]+$/g, '');
  if (!name) return 'session';
  return RESERVED_WINDOWS_NAMES.test(name) ? `_${name}` : name;
}

/** The last few envelopes of finished sessions: the timeline asks again on every visit. */
class EnvelopeCache {
  private readonly entries = new Map<string, Promise<Envelope>>();

  get(key: string, cacheable: boolean, compute: () => Promise<Envelope>): Promise<Envelope> {
    if (!cacheable) return compute();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = compute();
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
      if (this.entries.size > 8) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }
}
