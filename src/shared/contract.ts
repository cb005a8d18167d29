// The one contract between the UI and the back end: every method the renderer may call, with
// the schema of its argument and the type of its result, and every event the back end pushes.
// Electron's IPC (preload + main) and the WebSocket of `cli -- serve` both carry exactly this.
import { z } from 'zod';
import { AudioFormatSchema, type ApiResponse } from './api';
import { METHOD_NAMES, type MethodName } from './contract-methods';
import { EXPORT_FORMATS, SessionSettingsSchema, SessionTitleSchema, type Session } from './sessions';
import { AppSettingsSchema, type AppSettings } from './settings';

export {
  METHOD_NAMES,
  ipcChannel,
  PUSH_CHANNEL,
  AUDIO_CHANNEL,
  AUDIO_FRAME_ID_BYTES,
  BRIDGE_SOCKET_PATH,
  UPLOAD_PATH,
  MEDIA_SCHEME,
  audioPathOf,
  type MethodName,
} from './contract-methods';

const SessionId = z.string({ error: 'id must be text' }).uuid('id must be a session id');
const Paging = {
  offset: z.number({ error: 'offset must be a number' }).int('offset must be a whole number').min(0, 'offset must not be negative').default(0),
  limit: z
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be between 1 and 10000')
    .max(10_000, 'limit must be between 1 and 10000')
    .default(100),
};

const ExportFormat = z.enum(EXPORT_FORMATS, { error: 'format must be "json", "labels", "srt" or "vtt"' });

/** Argument schemas, one per method. Unknown keys are refused so that a typo is not silently ignored. */
export const MethodParams = {
  listSessions: z.object({ ...Paging, query: z.string({ error: 'query must be text' }).max(200, 'query must be at most 200 characters').optional() }).strict(),
  getSession: z.object({ id: SessionId }).strict(),
  getEvents: z.object({ id: SessionId, ...Paging }).strict(),
  renameSession: z.object({ id: SessionId, title: SessionTitleSchema }).strict(),
  deleteSession: z.object({ id: SessionId }).strict(),
  exportSession: z.object({ id: SessionId, format: ExportFormat }).strict(),
  importFile: z
    .object({
      path: z.string({ error: 'path must be text' }).min(1, 'path must not be empty').max(4096, 'path is too long'),
      settings: SessionSettingsSchema.default({ mode: 'segmented', interim_results: false }),
      title: SessionTitleSchema.optional(),
    })
    .strict(),
  cancelImport: z.object({ id: SessionId }).strict(),
  rerunSession: z.object({ id: SessionId, settings: SessionSettingsSchema.default({ mode: 'segmented', interim_results: false }) }).strict(),
  startRecording: z
    .object({
      format: AudioFormatSchema,
      settings: SessionSettingsSchema.default({ mode: 'segmented', interim_results: true }),
      title: SessionTitleSchema.optional(),
    })
    .strict(),
  stopRecording: z.object({ id: SessionId }).strict(),
  getSettings: z.object({}).strict(),
  setSettings: z.object({ settings: AppSettingsSchema }).strict(),
  getWaveform: z
    .object({
      id: SessionId,
      max_points: z
        .number({ error: 'max_points must be a number' })
        .int('max_points must be a whole number')
        .min(100, 'max_points must be between 100 and 1000000')
        .max(1_000_000, 'max_points must be between 100 and 1000000')
        .default(200_000),
    })
    .strict(),
  getAudioUrl: z.object({ id: SessionId }).strict(),
  /** Desktop only: the system's file picker. */
  chooseAudioFiles: z.object({}).strict(),
  /** Desktop only: the system's save dialog, then the export written there. */
  saveExport: z.object({ id: SessionId, format: ExportFormat }).strict(),
} as const satisfies Record<MethodName, z.ZodType>;

// Every name has a schema (above) and every schema a name (here).
void (METHOD_NAMES satisfies readonly (keyof typeof MethodParams)[]);

/** What each method gives back when it succeeds. */
export interface MethodResults {
  listSessions: { sessions: Session[]; total: number };
  getSession: Session;
  getEvents: ApiResponse[];
  renameSession: Session;
  deleteSession: { id: string; deleted: true };
  /** The file to save: the JSON export pretty-printed, Audacity labels, SRT or WebVTT subtitles. */
  exportSession: { filename: string; mime: string; content: string };
  importFile: Session;
  cancelImport: { id: string; cancelled: boolean };
  rerunSession: Session;
  startRecording: Session;
  stopRecording: Session;
  getSettings: AppSettings;
  setSettings: AppSettings;
  /** Per channel, the loudest absolute sample of each 1/points_per_second seconds. */
  getWaveform: { points_per_second: number; duration: number; channels: number[][] };
  /** Where the session's audio can be played from, by this transport. */
  getAudioUrl: { url: string; mime: string };
  chooseAudioFiles: { paths: string[] };
  /** Where the export was saved; null when the dialog was cancelled. */
  saveExport: { path: string | null };
}

export type ErrorCode = 'invalid_argument' | 'not_found' | 'failed_precondition' | 'internal';

/** Handlers return results, never raw errors: a failure is a value the UI can show. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };

export type MethodInput<M extends MethodName> = z.input<(typeof MethodParams)[M]>;
export type MethodArgs<M extends MethodName> = z.output<(typeof MethodParams)[M]>;

/** The API the renderer holds, whichever transport is under it. */
export type UtterlyApi = {
  [M in MethodName]: (params: MethodInput<M>) => Promise<Result<MethodResults[M]>>;
} & {
  /** The desktop app has the system's dialogs; a browser has downloads and file inputs. */
  readonly platform: 'desktop' | 'web';
  /** Audio of a recording started with startRecording, as PCM bytes in its format. */
  sendAudio(sessionId: string, chunk: ArrayBuffer): void;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onPush(listener: (push: Push) => void): () => void;
  /**
   * A file the person picked or dropped, as a path importFile takes: where it is, in the
   * desktop app; uploaded to the server first, in a browser.
   */
  fileToImport(file: File, onProgress?: (fraction: number) => void): Promise<Result<{ path: string }>>;
};

export interface ImportProgress {
  session_id: string;
  /** 0..1 of the file's audio processed (decoded time: segmented by the VAD, or answered). */
  fraction: number;
  /** Estimated seconds left, once there is enough to estimate from (smoothed, so that it settles). */
  eta_seconds: number | null;
  /** Seconds of audio processed so far, and the file's length (an estimate until it is decoded). */
  processed_seconds?: number;
  total_seconds?: number;
}

/** A stopped recording waiting for its last results: what the engine still has to answer. */
export interface RecordingFinishing {
  session_id: string;
  /**
   * Inferences of the recording queued or running in the engine, each a result still to come.
   * The speech in progress at Stop becomes one more once the VAD has seen its end.
   */
  results_to_come: number;
}

/**
 * What the back end pushes, unasked. The desktop window is sent every push. A client of the
 * server's bridge socket is sent every `session`, `progress`, `finishing` and `deleted` push, and the `event`
 * pushes of the sessions it watches: those it started, imported or re-ran, or whose events it
 * read (getEvents), since it connected.
 */
export type Push =
  | { kind: 'event'; session_id: string; event: ApiResponse }
  | { kind: 'progress'; progress: ImportProgress }
  | { kind: 'finishing'; finishing: RecordingFinishing }
  | { kind: 'session'; session: Session }
  | { kind: 'deleted'; id: string };
