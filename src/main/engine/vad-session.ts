// One channel's voice activity detection, with the decisions of @ricky0123/vad-node's
// FrameProcessor made frame by frame. The neural network runs elsewhere (a SpeechScorer);
// this class keeps the audio of the utterance in progress and the times, in samples at 16 kHz.
import { VAD_FRAME_SAMPLES } from '../../shared/model-audio';
import type { VadSettings } from '../../shared/vad-settings';

export interface SpeechScorer {
  /** One speech probability per whole frame of `frames`. */
  score(frames: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

export type VadTransition =
  /** Speech began; `start` includes the pre-speech padding. */
  | { type: 'speech_start'; start: number }
  /** `interimInterval` samples of speech went by since the start or the previous one. */
  | { type: 'interim_due'; start: number; end: number }
  | { type: 'speech_end'; start: number; end: number; samples: Float32Array }
  /** Speech that ended with too few speech frames to count as an utterance. */
  | { type: 'misfire'; start: number; end: number };

interface BufferedFrame {
  frame: Float32Array;
  isSpeech: boolean;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export class VadSession {
  private partial: Float32Array[] = [];
  private partialLength = 0;
  private buffer: BufferedFrame[] = [];
  private speaking = false;
  private redemptionCounter = 0;
  private lastInterimEnd = 0;
  /** Samples of whole frames processed so far: the session's time. */
  private processed = 0;
  /** Settles when every frame sent so far has been decided. */
  private decided: Promise<void> = Promise.resolve();

  constructor(
    private readonly scorer: SpeechScorer,
    private readonly settings: VadSettings,
    /** Samples between interim marks while speaking; 0 for none. */
    private readonly interimInterval = 0,
  ) {}

  /** Length in samples of the utterance in progress (0 when silent). */
  get currentSpeechSamples(): number {
    return this.speaking ? this.buffer.length * VAD_FRAME_SAMPLES : 0;
  }

  /** A copy of the audio of the utterance in progress. */
  currentSpeech(): Float32Array {
    return this.speaking ? concat(this.buffer.map((b) => b.frame)) : new Float32Array(0);
  }

  /**
   * Feeds samples of any length. Their frames go to the scorer at once, so several calls may be
   * in flight; the decisions are made in order as the scores come back, and `onTransition` is
   * called synchronously, frame by frame. Resolves when this call's frames are decided.
   */
  process(samples: Float32Array, onTransition: (t: VadTransition) => void): Promise<void> {
    this.partial.push(samples);
    this.partialLength += samples.length;
    const frameCount = Math.floor(this.partialLength / VAD_FRAME_SAMPLES);
    if (frameCount === 0) return this.decided;

    const joined = concat(this.partial);
    const whole = frameCount * VAD_FRAME_SAMPLES;
    const rest = joined.subarray(whole);
    this.partial = rest.length > 0 ? [rest.slice()] : [];
    this.partialLength = rest.length;

    const frames = joined.subarray(0, whole);
    const scored = this.scorer.score(frames);
    this.decided = this.decided.then(async () => {
      const probabilities = await scored;
      for (let i = 0; i < frameCount; i++) {
        this.step(frames.subarray(i * VAD_FRAME_SAMPLES, (i + 1) * VAD_FRAME_SAMPLES), probabilities[i]!, onTransition);
      }
    });
    return this.decided;
  }

  /**
   * End of audio. Speech still going on ends here, with the samples of the last partial
   * frame included, so that nothing heard is left out of the final utterance.
   */
  finish(onTransition: (t: VadTransition) => void): void {
    // Called once every process() call has settled.
    const tail = concat(this.partial);
    this.partial = [];
    this.partialLength = 0;
    if (!this.speaking) return;
    if (tail.length > 0) this.buffer.push({ frame: tail, isSpeech: false });
    this.processed += tail.length;
    this.endUtterance(onTransition);
  }

  async close(): Promise<void> {
    await this.scorer.close();
  }

  private step(frame: Float32Array, probability: number, onTransition: (t: VadTransition) => void): void {
    const { positive_speech_threshold: positive, negative_speech_threshold: negative } = this.settings;
    this.processed += VAD_FRAME_SAMPLES;
    const isSpeech = probability >= positive;
    this.buffer.push({ frame, isSpeech });

    if (isSpeech && this.redemptionCounter) this.redemptionCounter = 0;
    if (isSpeech && !this.speaking) {
      this.speaking = true;
      const start = this.processed - this.buffer.length * VAD_FRAME_SAMPLES;
      this.lastInterimEnd = start;
      onTransition({ type: 'speech_start', start });
      return;
    }
    if (probability < negative && this.speaking && ++this.redemptionCounter >= this.settings.redemption_frames) {
      this.endUtterance(onTransition);
      return;
    }
    if (!this.speaking) {
      const excess = this.buffer.length - this.settings.pre_speech_pad_frames;
      if (excess > 0) this.buffer.splice(0, excess);
      return;
    }
    if (this.interimInterval > 0 && this.processed - this.lastInterimEnd >= this.interimInterval) {
      this.lastInterimEnd = this.processed;
      onTransition({ type: 'interim_due', start: this.processed - this.currentSpeechSamples, end: this.processed });
    }
  }

  private endUtterance(onTransition: (t: VadTransition) => void): void {
    const buffer = this.buffer;
    this.buffer = [];
    this.speaking = false;
    this.redemptionCounter = 0;
    const end = this.processed;
    const start = end - buffer.reduce((n, b) => n + b.frame.length, 0);
    const speechFrames = buffer.reduce((n, b) => n + (b.isSpeech ? 1 : 0), 0);
    if (speechFrames >= this.settings.min_speech_frames) {
      onTransition({ type: 'speech_end', start, end, samples: concat(buffer.map((b) => b.frame)) });
    } else {
      onTransition({ type: 'misfire', start, end });
    }
  }
}
