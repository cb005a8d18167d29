// The streaming API's wire format (snake_case JSON), kept identical to the one of
// xd009642/streamer-template so that any client of that API can talk to Utterly.
import { z } from 'zod';
import { VadSettingsSchema } from './vad-settings';

/** Sample encodings the engine accepts, as (bit_depth, is_float) pairs. */
export const SUPPORTED_ENCODINGS = [
  { bit_depth: 8, is_float: false },
  { bit_depth: 16, is_float: false },
  { bit_depth: 24, is_float: false },
  { bit_depth: 32, is_float: false },
  { bit_depth: 32, is_float: true },
  { bit_depth: 64, is_float: true },
] as const;

export const AUDIO_LIMITS = {
  minChannels: 1,
  maxChannels: 32,
  minSampleRate: 8_000,
  maxSampleRate: 384_000,
} as const;

export const AudioFormatSchema = z
  .object({
    channels: z
      .number({ error: 'channels must be a number' })
      .int('channels must be a whole number')
      .min(AUDIO_LIMITS.minChannels, `channels must be at least ${AUDIO_LIMITS.minChannels}`)
      .max(AUDIO_LIMITS.maxChannels, `channels must be at most ${AUDIO_LIMITS.maxChannels}`),
    sample_rate: z
      .number({ error: 'sample_rate must be a number' })
      .int('sample_rate must be a whole number of Hz')
      .min(AUDIO_LIMITS.minSampleRate, `sample_rate must be at least ${AUDIO_LIMITS.minSampleRate} Hz`)
      .max(AUDIO_LIMITS.maxSampleRate, `sample_rate must be at most ${AUDIO_LIMITS.maxSampleRate} Hz`),
    bit_depth: z.number({ error: 'bit_depth must be a number' }).int('bit_depth must be a whole number'),
    is_float: z.boolean({ error: 'is_float must be true or false' }),
  })
  .check((ctx) => {
    const { bit_depth, is_float } = ctx.value;
    const supported = SUPPORTED_ENCODINGS.some((e) => e.bit_depth === bit_depth && e.is_float === is_float);
    if (!supported) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['bit_depth'],
        message: `bit_depth ${bit_depth} with is_float ${is_float} is not supported (integer: 8, 16, 24, 32; float: 32, 64)`,
      });
    }
  });
export type AudioFormat = z.infer<typeof AudioFormatSchema>;

export const StartMessageSchema = z.object({
  request: z.literal('start'),
  format: AudioFormatSchema,
  interim_results: z.boolean({ error: 'interim_results must be true or false' }).default(false),
  vad: VadSettingsSchema.optional(),
  trace_id: z.string().optional(),
});
export type StartMessage = z.infer<typeof StartMessageSchema>;

export const StopMessageSchema = z.object({
  request: z.literal('stop'),
  disconnect: z.boolean({ error: 'disconnect must be true or false' }).default(false),
});
export type StopMessage = z.infer<typeof StopMessageSchema>;

export const RequestMessageSchema = z.discriminatedUnion('request', [StartMessageSchema, StopMessageSchema], {
  error: 'request must be "start" or "stop"',
});
export type RequestMessage = z.infer<typeof RequestMessageSchema>;

/** What the model returns for one inference; the dummy model's output. */
export interface ModelOutput {
  count: number;
}

export type Event =
  | ({ type: 'segment'; start_time: number; end_time: number; is_final?: boolean } & ModelOutput)
  | ({ type: 'data' } & ModelOutput)
  /** A failed model request also says which audio it was for (extra fields: the seed's clients ignore them). */
  | { type: 'error'; message: string; start_time?: number; end_time?: number }
  | { type: 'active'; time: number }
  | { type: 'inactive'; time: number };

/** One response: an event flattened beside the index of the audio channel it belongs to. */
export type ApiResponse = Event & { channel: number };

/** The message an inference answers with when its model process died under it (as the seed does). */
export const INTERNAL_SERVER_ERROR = 'Internal server error';

/** Turns a zod error into one line naming the offending fields. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.join('.');
      return field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
