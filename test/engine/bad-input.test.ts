// Bad input is refused with a message naming what was wrong, and nothing else changes.
import { describe, expect, it } from 'vitest';
import { describeIssues, RequestMessageSchema, StartMessageSchema } from '../../src/shared/api';
import { ModelConfigFileSchema } from '../../src/shared/model-config';

const good = { request: 'start', format: { channels: 2, sample_rate: 44100, bit_depth: 16, is_float: false } };

function startError(patch: Record<string, unknown>, format: Record<string, unknown> = {}): string {
  const result = StartMessageSchema.safeParse({ ...good, ...patch, format: { ...good.format, ...format } });
  expect(result.success).toBe(false);
  return describeIssues(result.error!);
}

describe('start requests', () => {
  it('accepts every supported format, with interim results off by default', () => {
    for (const [bit_depth, is_float] of [
      [8, false],
      [16, false],
      [24, false],
      [32, false],
      [32, true],
      [64, true],
    ] as const) {
      for (const channels of [1, 32]) {
        for (const sample_rate of [8000, 16000, 44100, 384000]) {
          const parsed = StartMessageSchema.parse({ request: 'start', format: { channels, sample_rate, bit_depth, is_float } });
          expect(parsed.interim_results).toBe(false);
        }
      }
    }
  });

  it('refuses an unsupported format, naming the bad field', () => {
    expect(startError({}, { channels: 0 })).toMatch(/^format\.channels: channels must be at least 1/);
    expect(startError({}, { channels: 33 })).toMatch(/format\.channels: .*at most 32/);
    expect(startError({}, { channels: 1.5 })).toMatch(/format\.channels/);
    expect(startError({}, { sample_rate: 7999 })).toMatch(/format\.sample_rate: .*at least 8000/);
    expect(startError({}, { sample_rate: 384001 })).toMatch(/format\.sample_rate: .*at most 384000/);
    expect(startError({}, { sample_rate: '44100' })).toMatch(/format\.sample_rate/);
    expect(startError({}, { bit_depth: 12 })).toMatch(/format\.bit_depth: bit_depth 12 with is_float false is not supported/);
    expect(startError({}, { bit_depth: 16, is_float: true })).toMatch(/format\.bit_depth: bit_depth 16 with is_float true/);
    expect(startError({}, { bit_depth: 64, is_float: false })).toMatch(/format\.bit_depth/);
    expect(startError({}, { is_float: 'no' })).toMatch(/format\.is_float/);
    const missing = StartMessageSchema.safeParse({ request: 'start' });
    expect(describeIssues(missing.error!)).toMatch(/^format/);
    expect(startError({ interim_results: 'yes' })).toMatch(/interim_results/);
  });

  it('refuses VAD settings out of bounds, naming the setting', () => {
    expect(startError({ vad: { positive_speech_threshold: 1.5 } })).toMatch(/vad\.positive_speech_threshold: .*between 0 and 1/);
    expect(startError({ vad: { negative_speech_threshold: 0.9 } })).toMatch(/vad\.negative_speech_threshold: .*must not exceed/);
    expect(startError({ vad: { redemption_frames: -1 } })).toMatch(/vad\.redemption_frames/);
    expect(startError({ vad: { redemption_frames: 1000 } })).toMatch(/vad\.redemption_frames: .*between 0 and 100/);
    expect(startError({ vad: { min_speech_frames: 2.5 } })).toMatch(/vad\.min_speech_frames: .*whole number/);
    expect(startError({ vad: { pre_speech_padding: 3 } })).toMatch(/vad.*pre_speech_padding/);
  });

  it('refuses an unknown request', () => {
    const result = RequestMessageSchema.safeParse({ request: 'pause' });
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toMatch(/request must be "start" or "stop"/);
  });
});

describe('model config', () => {
  it('fills in the seed defaults', () => {
    expect(ModelConfigFileSchema.parse({ model: {} }).model).toEqual({
      delay: 0.5,
      constant_factor: 0.3,
      jitter: 0.2,
      failure_rate: 0.01,
      panic_rate: 0,
      warmup_penalty: 10,
    });
  });

  it('refuses negative times, rates outside 0..1 and unknown keys', () => {
    const error = (model: unknown) => describeIssues(ModelConfigFileSchema.safeParse({ model }).error!);
    expect(error({ delay: -1 })).toMatch(/model\.delay: delay must not be negative/);
    expect(error({ failure_rate: 1.2 })).toMatch(/model\.failure_rate: .*between 0 and 1/);
    expect(error({ panic_rate: -0.1 })).toMatch(/model\.panic_rate/);
    expect(error({ jitter: 'lots' })).toMatch(/model\.jitter: jitter must be a number/);
    expect(error({ delya: 1 })).toMatch(/delya/);
  });
});
