// Messages between a WorkerHost and its process. Typed arrays travel by structured clone.

export type WorkerRequest =
  | { type: 'infer'; samples: Float32Array }
  /** A session scores `channels` channels of one stream together, one batch row each. */
  | { type: 'vad-open'; session: number; channels: number }
  /** `frames`: each channel's frames one after the other, the same number for every channel. */
  | { type: 'vad-score'; session: number; frames: Float32Array }
  | { type: 'vad-close'; session: number };

export type WorkerReply = { type: 'ready' } | { type: 'result'; id: number; result: unknown } | { type: 'error'; id: number; message: string };

/** One speech probability per 1536-sample frame, channel after channel as the frames were sent. */
export type VadScoreReply = Float32Array;
