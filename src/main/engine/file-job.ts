// A file through the engine: decoded as a stream, cut into chunks of a fixed length, fed with
// backpressure, stopped once every result is out.
import { describeIssues, StartMessageSchema, type ApiResponse, type AudioFormat } from '../../shared/api';
import { decodeAudioFile, describeAudioFile, probeAudioFile, type DecodedChunk } from './file-source';
import type { SourceFormat } from '../../shared/sessions';
import type { RunnerMode, StreamingContext } from './streaming-context';

export interface FileJobOptions {
  mode: RunnerMode;
  interim?: boolean;
  /** VAD settings as given by the user, validated here. */
  vad?: unknown;
  maxFutures?: number;
  /** Audio per chunk fed to the engine; in simple mode one chunk is one inference. */
  chunkMs?: number;
  /**
   * Progress in decoded time: the fraction of the file's audio the engine is done with (segmented
   * by the VAD, or answered), with those seconds and the file's length in seconds (an estimate
   * from the bytes decoded so far until the end, exact at the end). Reported after each chunk
   * and every 250 ms while the last results are waited for.
   */
  onProgress?: (fraction: number, processedSeconds: number, totalSeconds: number) => void;
  /** The format the file decodes to, once known, and the file's own format. */
  onStart?: (format: AudioFormat, source: SourceFormat) => void;
  /** Seconds of audio given to the engine so far. */
  onFed?: (seconds: number) => void;
  signal?: AbortSignal;
}

export async function runFile(context: StreamingContext, path: string, options: FileJobOptions, emit: (response: ApiResponse) => void): Promise<void> {
  const { bytes } = await probeAudioFile(path);
  let read = 0;
  const chunks = decodeAudioFile(path, (n) => (read = n));
  const first = await chunks.next();
  if (first.done) throw new Error(`cannot decode ${path}: no audio`);
  const { sampleRate, channelData } = first.value;
  const start = StartMessageSchema.safeParse({
    request: 'start',
    format: { channels: channelData.length, sample_rate: sampleRate, bit_depth: 32, is_float: true },
    interim_results: options.interim ?? false,
    vad: options.vad,
  });
  if (!start.success) throw new Error(`cannot process ${path}: ${describeIssues(start.error)}`);

  if (options.onStart) options.onStart(start.data.format, await describeAudioFile(path, { channels: channelData.length, sampleRate }));
  const stream = await context.openStream({ mode: options.mode, start: start.data, maxFutures: options.maxFutures }, emit);
  let fed = 0;
  let decoded = 0;
  let total: number | undefined;
  const report = () => {
    if (!options.onProgress) return;
    const decodedSeconds = decoded / sampleRate;
    // The file's length: what the bytes read so far decoded to, scaled to the whole file.
    const length = total ?? (read > 0 ? Math.max(decodedSeconds, (decodedSeconds * bytes) / read) : decodedSeconds);
    const processed = Math.min(stream.processedSeconds(), length);
    options.onProgress(length > 0 ? Math.min(1, processed / length) : 0, processed, length);
  };
  const feed = async (piece: Float32Array[]) => {
    await stream.writeChannels(piece);
    fed += piece[0]!.length;
    options.onFed?.(fed / sampleRate);
    report();
  };
  let ticker: NodeJS.Timeout | undefined;
  try {
    const rechunker = new Rechunker(Math.max(1, Math.round((sampleRate * (options.chunkMs ?? 1000)) / 1000)));
    for (let next: IteratorResult<DecodedChunk> = first; !next.done; next = await chunks.next()) {
      decoded += next.value.channelData[0]!.length;
      for (const piece of rechunker.push(next.value.channelData)) {
        options.signal?.throwIfAborted();
        await feed(piece);
      }
    }
    total = decoded / sampleRate;
    const rest = rechunker.flush();
    if (rest) await feed(rest);
    ticker = setInterval(report, 250);
    await stream.stop();
    clearInterval(ticker);
    options.onProgress?.(1, total, total);
  } catch (error) {
    clearInterval(ticker);
    await stream.abort();
    await chunks.return(undefined);
    throw error;
  }
}

/** Cuts decoded audio, which comes in whatever sizes the decoder likes, into chunks of a fixed length. */
export class Rechunker {
  private parts: Float32Array[][] = [];
  private length = 0;
  constructor(private readonly frames: number) {}

  *push(channels: Float32Array[]): Generator<Float32Array[]> {
    this.parts.push(channels);
    this.length += channels[0]!.length;
    while (this.length >= this.frames) yield this.take(this.frames);
  }

  flush(): Float32Array[] | undefined {
    return this.length > 0 ? this.take(this.length) : undefined;
  }

  private take(frames: number): Float32Array[] {
    const channels = this.parts[0]!.length;
    const out = Array.from({ length: channels }, () => new Float32Array(frames));
    let filled = 0;
    while (filled < frames) {
      const part = this.parts[0]!;
      const n = Math.min(frames - filled, part[0]!.length);
      for (let c = 0; c < channels; c++) out[c]!.set(part[c]!.subarray(0, n), filled);
      filled += n;
      if (n === part[0]!.length) this.parts.shift();
      else this.parts[0] = part.map((ch) => ch.subarray(n));
    }
    this.length -= frames;
    return out;
  }
}
