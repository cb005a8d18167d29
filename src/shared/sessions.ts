// Sessions as every side sees them: what is stored, listed, exported and shown.
import { z } from 'zod';
import type { ApiResponse, AudioFormat } from './api';
import { VadSettingsSchema } from './vad-settings';

export const SESSION_SOURCES = ['mic', 'file', 'api'] as const;
export type SessionSource = (typeof SESSION_SOURCES)[number];

export const SESSION_STATUSES = ['recording', 'processing', 'done', 'cancelled', 'failed', 'interrupted'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const RUNNER_MODES = ['segmented', 'simple'] as const;

/** How a session's audio was (or is to be) processed. */
export const SessionSettingsSchema = z
  .object({
    mode: z.enum(RUNNER_MODES, { error: 'mode must be "segmented" or "simple"' }).default('segmented'),
    interim_results: z.boolean({ error: 'interim_results must be true or false' }).default(false),
    vad: VadSettingsSchema.optional(),
    max_futures: z
      .number({ error: 'max_futures must be a number' })
      .int('max_futures must be a whole number')
      .min(1, 'max_futures must be between 1 and 256')
      .max(256, 'max_futures must be between 1 and 256')
      .optional(),
    chunk_ms: z
      .number({ error: 'chunk_ms must be a number' })
      .int('chunk_ms must be a whole number')
      .min(1, 'chunk_ms must be between 1 and 600000')
      .max(600_000, 'chunk_ms must be between 1 and 600000')
      .optional(),
  })
  .strict();
export type SessionSettings = z.infer<typeof SessionSettingsSchema>;

export interface Session {
  id: string;
  title: string;
  source: SessionSource;
  /** The imported file's name, for file sessions. */
  original_name: string | null;
  format: AudioFormat | null;
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
  session: Pick<Session, 'id' | 'title' | 'source' | 'status' | 'format' | 'settings' | 'created_at' | 'finished_at' | 'duration'>;
  events: ApiResponse[];
  summary: SessionSummary;
}

export const SESSION_TITLE_MAX = 200;
export const SessionTitleSchema = z
  .string({ error: 'title must be text' })
  .trim()
  .min(1, 'title must not be empty')
  .max(SESSION_TITLE_MAX, `title must be at most ${SESSION_TITLE_MAX} characters`);
