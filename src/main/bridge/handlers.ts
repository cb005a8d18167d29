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
import { extname } from 'node:path';
import type { Session } from '../../shared/sessions';
import type { AppSettings } from '../../shared/settings';
import { computeEnvelope, type Envelope } from '../sessions/waveform';
import { AudioFileError } from '../engine/file-source';
import { PreconditionError, SessionNotFoundError, type Recording, type SessionService, type SessionServiceEvents } from '../sessions/session-service';

export type Handlers = { [M in MethodName]: (args: MethodArgs<M>) => Promise<MethodResults[M]> };

export interface Bridge {
  handlers: Handlers;
  /** PCM bytes of a live recording; bytes for an id that is not recording are dropped and counted. */
  sendAudio(sessionId: string, bytes: Uint8Array): void;
  /** Ends a live recording whose source went away (a closed socket, a reloaded window); its results are kept. */
  interruptRecording(sessionId: string, reason: string): Promise<void>;
  /** Audio chunks dropped because their session was not recording. */
  readonly droppedAudioChunks: number;
}

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

export const AUDIO_MIME: Record<string, string> = {
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.webm': 'audio/webm',
};

export function createHandlers(service: SessionService, host: BridgeHost): Bridge {
  const envelopes = new EnvelopeCache();
  const desktopOnly = (): DesktopDialogs => {
    if (!host.desktop) throw new PreconditionError('this needs the desktop app: in a browser, use the file input and downloads');
    return host.desktop;
  };
  const exportOf = (id: string, format: 'json' | 'labels') => {
    const name = safeFilename(service.get(id).title);
    if (format === 'labels') return { filename: `${name}.txt`, mime: 'text/plain', content: service.exportLabels(id) };
    return { filename: `${name}.json`, mime: 'application/json', content: JSON.stringify(service.exportJson(id), null, 2) };
  };
  const live = new Map<string, Recording>();
  let droppedAudioChunks = 0;

  /** Takes a recording out of `live` before stopping it, so that a second stop is refused, not run twice. */
  function takeRecording(id: string): Recording {
    const recording = live.get(id);
    if (!recording) {
      const { status } = service.get(id); // not_found for an unknown session
      // A stream of the streaming API is recording too, but only its own client can stop it.
      throw new PreconditionError(status === 'recording' ? `session ${id} is recorded by a streaming API client` : `session ${id} is not recording`);
    }
    live.delete(id);
    return recording;
  }

  const handlers: Handlers = {
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
    startRecording: async ({ format, settings, title }) => {
      const recording = await service.startRecording({ source: 'mic', format, settings, title });
      live.set(recording.session.id, recording);
      return recording.session;
    },
    stopRecording: async ({ id }) => takeRecording(id).stop(),
    getSettings: async () => host.getSettings(),
    setSettings: async ({ settings }) => host.setSettings(settings),
    getWaveform: async ({ id, max_points }) => {
      const session = service.get(id);
      if (!session.audio_path) throw new PreconditionError(`session ${id} has no stored audio`);
      // A recording's audio still grows: computed afresh each time, never cached.
      const finished = session.status !== 'recording' && session.status !== 'processing';
      return envelopes.get(`${id}:${max_points}`, finished, () => computeEnvelope(session.audio_path!, session.duration, max_points));
    },
    getAudioUrl: async ({ id }) => {
      const { audio_path } = service.get(id);
      if (!audio_path) throw new PreconditionError(`session ${id} has no stored audio`);
      return { url: host.audioUrl(id), mime: AUDIO_MIME[extname(audio_path).toLowerCase()] ?? 'application/octet-stream' };
    },
    chooseAudioFiles: async () => ({ paths: await desktopOnly().chooseAudioFiles() }),
    saveExport: async ({ id, format }) => {
      const { filename, content } = exportOf(id, format);
      return { path: await desktopOnly().saveFile(filename, content) };
    },
  };

  async function interruptRecording(sessionId: string, reason: string): Promise<void> {
    if (!live.has(sessionId)) return;
    await takeRecording(sessionId)
      .interrupt(reason)
      .catch((error: unknown) => console.error(`Utterly: recording ${sessionId} could not be ended:`, error));
  }

  return {
    handlers,
    sendAudio(sessionId, bytes) {
      const recording = live.get(sessionId);
      if (!recording) {
        droppedAudioChunks++;
        // The first, then one in a thousand: a confused client must not flood the log.
        if (droppedAudioChunks % 1000 === 1) console.warn(`Utterly: audio for a session that is not recording (${droppedAudioChunks} chunk(s) dropped so far)`);
        return;
      }
      recording.write(bytes).catch((error: unknown) => {
        // Every chunk queued behind a failed one fails too: the first ends the recording, once.
        if (live.get(sessionId) !== recording) return;
        console.error(`Utterly: recording ${sessionId} could not take audio:`, error);
        void interruptRecording(sessionId, 'the audio could not be processed');
      });
    },
    interruptRecording,
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

/** The session a successful startRecording created: transports end it when its caller goes away. */
export function startedRecordingId(method: unknown, result: Result<unknown>): string | undefined {
  return method === 'startRecording' && result.ok ? (result.value as Session).id : undefined;
}

const isMethodName = (method: unknown): method is MethodName => typeof method === 'string' && (METHOD_NAMES as readonly string[]).includes(method);

function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(clip(value, 100)) : `of type ${value === null ? 'null' : typeof value}`;
}

/** The SessionService's events as the contract's pushes. Returns the unsubscribe function. */
export function subscribePushes(service: SessionService, send: (push: Push) => void): () => void {
  const onEvent = (...[session_id, event]: SessionServiceEvents['event']) => send({ kind: 'event', session_id, event });
  const onProgress = (...[progress]: SessionServiceEvents['progress']) => send({ kind: 'progress', progress });
  const onChanged = (...[change]: SessionServiceEvents['changed']) =>
    send('deleted' in change ? { kind: 'deleted', id: change.id } : { kind: 'session', session: change });
  service.on('event', onEvent);
  service.on('progress', onProgress);
  service.on('changed', onChanged);
  return () => {
    service.off('event', onEvent);
    service.off('progress', onProgress);
    service.off('changed', onChanged);
  };
}

// Windows reserves these device names, with or without an extension (NUL.txt, NUL.tar.gz).
const RESERVED_WINDOWS_NAMES = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

/** A session title as a file name any OS accepts: no separators or control characters, not too long. */
export function safeFilename(title: string): string {
  const cleaned = title
    .replace(/[<>:"/\\|?*\u0000-\u001f\u007f]/g, '_')
    .replace(/\s+/g, ' ');
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
