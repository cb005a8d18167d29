// The app's settings, kept between runs: the model's parameters, the VAD's, the engine's
// processes, and how new sessions are processed. Validated with the limits the back end uses.
import { z } from 'zod';
import { MODEL_DEFAULTS, ModelParamsSchema } from './model-config';
import { ChunkMsSchema, DEFAULT_CHUNK_MS, MaxFuturesSchema, PoolSizeSchema, RUNNER_MODES } from './sessions';
import { VAD_DEFAULTS, VadSettingsSchema } from './vad-settings';

export const ImportDefaultsSchema = z
  .object({
    mode: z.enum(RUNNER_MODES, { error: 'imports.mode must be "segmented" or "simple"' }).default('segmented'),
    interim_results: z.boolean({ error: 'imports.interim_results must be true or false' }).default(false),
    vad: VadSettingsSchema.default(VAD_DEFAULTS),
  })
  .strict();
export type ImportDefaults = z.infer<typeof ImportDefaultsSchema>;

export const AppSettingsSchema = z
  .object({
    model: ModelParamsSchema.default(MODEL_DEFAULTS),
    vad: VadSettingsSchema.default(VAD_DEFAULTS),
    /** Model processes; null: the engine's default (cores - 1, at most 4, at least 1). */
    pool_size: PoolSizeSchema.nullable().default(null),
    /** Inferences one session may have running at once; null: the pool size. */
    max_futures: MaxFuturesSchema.nullable().default(null),
    mode: z.enum(RUNNER_MODES, { error: 'mode must be "segmented" or "simple"' }).default('segmented'),
    interim_results: z.boolean({ error: 'interim_results must be true or false' }).default(true),
    /** Audio per chunk: of every import, and of a microphone recording in simple mode (one chunk, one inference). */
    chunk_ms: ChunkMsSchema.default(DEFAULT_CHUNK_MS),
    /**
     * How imports (and re-runs) are processed: the Settings' own defaults, apart from the Record
     * panel's mode, interim and sensitivity, which are the recordings'.
     */
    imports: ImportDefaultsSchema.default({ mode: 'segmented', interim_results: false, vad: { ...VAD_DEFAULTS } }),
  })
  .strict();
export type AppSettings = z.infer<typeof AppSettingsSchema>;

export const DEFAULT_SETTINGS: AppSettings = AppSettingsSchema.parse({});
