// The dummy model's parameters, in the shape of the seed's config.json (`{"model": {...}}`).
import { z } from 'zod';

/** The seed's config.json, with the warm-up penalty its model applies by default. */
export const MODEL_DEFAULTS = {
  delay: 0.5,
  constant_factor: 0.3,
  jitter: 0.2,
  failure_rate: 0.01,
  panic_rate: 0.0,
  warmup_penalty: 10,
} as const;

const seconds = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, `${name} must not be negative`)
    .max(3600, `${name} must be at most 3600`);
const rate = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, `${name} must be between 0 and 1`)
    .max(1, `${name} must be between 0 and 1`);

export const ModelParamsSchema = z
  .object({
    delay: seconds('delay').default(MODEL_DEFAULTS.delay),
    constant_factor: seconds('constant_factor').default(MODEL_DEFAULTS.constant_factor),
    jitter: seconds('jitter').default(MODEL_DEFAULTS.jitter),
    failure_rate: rate('failure_rate').default(MODEL_DEFAULTS.failure_rate),
    panic_rate: rate('panic_rate').default(MODEL_DEFAULTS.panic_rate),
    warmup_penalty: seconds('warmup_penalty').default(MODEL_DEFAULTS.warmup_penalty),
  })
  .strict();
export type ModelParams = z.infer<typeof ModelParamsSchema>;

export const ModelConfigFileSchema = z.object({ model: ModelParamsSchema.default(MODEL_DEFAULTS) });
