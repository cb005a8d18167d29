// The audio the models take. No imports: the worker processes load this at start-up, where
// every module is time a user waits for.

/** Both the model and Silero VAD take 16 kHz mono. */
export const MODEL_SAMPLE_RATE = 16_000;
/** Silero v4 is fed 1536-sample frames at 16 kHz: one frame is 96 ms. */
export const VAD_FRAME_SAMPLES = 1536;
