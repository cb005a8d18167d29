// Sessions as every side sees them: what is stored, listed, exported and shown.
import { z } from 'zod';
import type { ApiResponse, AudioFormat } from './api';
import { VadSettingsSchema } from './vad-settings';

export const SESSION_SOURCES = ['mic', 'file', 'api'] as const;
export type SessionSource = (typeof SESSION_SOURCES)[number];

export const SESSION_STATUSES = ['recording', 'processing', 'done', 'cancelled', 'failed', 'interrupted'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Still being written: recording, or an import queued or running. Such a session cannot be deleted and its audio still grows. */
export const isUnfinished = ({ status }: { status: SessionStatus }) => status === 'recording' || status === 'processing';

export const RUNNER_MODES = ['segmented', 'simple'] as const;

/** A whole number within limits, the limits written once for the schema and the command line. */
export function wholeNumberSchema(name: string, limits: { readonly min: number; readonly max: number }) {
  const between = `${name} must be between ${limits.min} and ${limits.max}`;
  return z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(limits.min, between)
    .max(limits.max, between);
}

/** Audio per chunk fed to the engine (in simple mode one chunk is one inference): its limits, for every side. */
export const DEFAULT_CHUNK_MS = 1000;
export const CHUNK_MS_LIMITS = { min: 1, max: 600_000 } as const;
export const ChunkMsSchema = wholeNumberSchema('chunk_ms', CHUNK_MS_LIMITS);

/** Inferences one session may have running at once. */
export const MAX_FUTURES_LIMITS = { min: 1, max: 256 } as const;
export const MaxFuturesSchema = wholeNumberSchema('max_futures', MAX_FUTURES_LIMITS);

/** Model processes: the global limit of inferences running at once. */
export const POOL_SIZE_LIMITS = { min: 1, max: 64 } as const;
export const PoolSizeSchema = wholeNumberSchema('pool_size', POOL_SIZE_LIMITS);

/** How a session's audio was (or is to be) processed. */
export const SessionSettingsSchema = z
  .object({
    mode: z.enum(RUNNER_MODES, { error: 'mode must be "segmented" or "simple"' }).default('segmented'),
    interim_results: z.boolean({ error: 'interim_results must be true or false' }).default(false),
    vad: VadSettingsSchema.optional(),
    max_futures: MaxFuturesSchema.optional(),
    /** Audio per chunk (default 1000 ms): imports, and microphone recordings in simple mode. */
    chunk_ms: ChunkMsSchema.optional(),
  })
  .strict();
export type SessionSettings = z.infer<typeof SessionSettingsSchema>;

/**
 * An imported file's own format, as its header and decoder tell it when it is processed: the
 * container (src/shared/audio-formats.ts), the codec where the header names one (PCM as e.g.
 * `pcm_s24le`), the channels and sample rate of the file itself, its bit depth where the
 * samples have one (PCM; null for lossy codecs such as MP3) and its size in bytes. `format` is
 * what it decodes to (32-bit float).
 */
export interface SourceFormat {
  container: string;
  codec?: string;
  channels: number;
  sample_rate: number;
  bit_depth: number | null;
  bytes: number;
}

export interface Session {
  id: string;
  title: string;
  source: SessionSource;
  /** The imported file's name, for file sessions. */
  original_name: string | null;
  format: AudioFormat | null;
  /** An imported file's own format (null for recordings, streams, and files not yet processed or imported before it was kept). */
  source_format: SourceFormat | null;
  settings: SessionSettings;
  status: SessionStatus;
  /** ISO 8601. */
  created_at: string;
  finished_at: string | null;
  /** Seconds of audio. */
  duration: number | null;
  /** Where the session's audio is kept. */
  audio_path: string | null;
  error: string | null;
  /** The session this one re-ran, if any. */
  rerun_of: string | null;
}

export interface SessionSummary {
  segments: number;
  /** Seconds covered by final segments (all segments in simple mode). */
  speech_time: number;
  errors: number;
}

/** The JSON export: one object, the events in order in the wire format. */
export interface SessionExport {
  session: Pick<Session, 'id' | 'title' | 'source' | 'status' | 'format' | 'source_format' | 'settings' | 'created_at' | 'finished_at' | 'duration'>;
  events: ApiResponse[];
  summary: SessionSummary;
}

/** The exports: JSON, an Audacity label track, SubRip and WebVTT subtitles. */
export const EXPORT_FORMATS = ['json', 'labels', 'srt', 'vtt'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Each export's file: extension and MIME type. */
export const EXPORT_FILES: Record<ExportFormat, { extension: string; mime: string; label: string }> = {
  json: { extension: 'json', mime: 'application/json', label: 'JSON' },
  labels: { extension: 'txt', mime: 'text/plain', label: 'Audacity labels' },
  srt: { extension: 'srt', mime: 'application/x-subrip', label: 'SubRip subtitles (SRT)' },
  vtt: { extension: 'vtt', mime: 'text/vtt', label: 'WebVTT subtitles' },
};

export const SESSION_TITLE_MAX = 200;
export const SessionTitleSchema = z
  .string({ error: 'title must be text' })
  .trim()
  .min(1, 'title must not be empty')
  .max(SESSION_TITLE_MAX, `title must be at most ${SESSION_TITLE_MAX} characters`);
