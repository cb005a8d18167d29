// Audio files decoded by audio-decode as a stream: the file is read in pieces and decoded
// chunk by chunk, so a long recording is never held whole in memory.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import decode from 'audio-decode';
import audioType from 'audio-type';

/** Formats audio-decode can decode in chunks (its `decode(stream, format)` form). */
const STREAMABLE = ['mp3', 'flac', 'opus', 'oga', 'm4a', 'wav', 'qoa', 'aac', 'aiff', 'caf', 'webm', 'amr', 'wma'] as const;
type StreamableFormat = (typeof STREAMABLE)[number];
const isStreamable = (format: string): format is StreamableFormat => (STREAMABLE as readonly string[]).includes(format);

export interface DecodedChunk {
  channelData: Float32Array[];
  sampleRate: number;
}

export class AudioFileError extends Error {
  constructor(path: string, reason: string) {
    // The file's name, as the person knows it: the folder may be an upload's or a copy's.
    super(`cannot decode ${basename(path)}: ${reason}`);
    this.name = 'AudioFileError';
  }
}

export interface AudioFileInfo {
  format: StreamableFormat;
  bytes: number;
}

/**
 * Some of audio-decode's codecs report damaged frames with console.error and go on. Those
 * messages belong to the file being decoded, not on the terminal: collect them.
 */
async function capturingConsoleErrors<T>(into: string[], work: () => Promise<T>): Promise<T> {
  const original = console.error;
  console.error = (...args: unknown[]) => void into.push(args.map(String).join(' ').trim());
  try {
    return await work();
  } finally {
    console.error = original;
  }
}

/** Recognises the container from the file's first bytes. */
export async function probeAudioFile(path: string): Promise<AudioFileInfo> {
  let head: Uint8Array;
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
    const file = await open(path, 'r');
    try {
      const buffer = new Uint8Array(Math.min(bytes, 64 * 1024));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new AudioFileError(path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message);
  }
  if (bytes === 0) throw new AudioFileError(path, 'the file is empty');
  const format = audioType(head);
  if (!format) throw new AudioFileError(path, 'not a recognised audio format');
  if (!isStreamable(format)) throw new AudioFileError(path, `${format} files are not supported`);
  return { format, bytes };
}

/**
 * Decoded audio of a file, chunk by chunk. `onRead` reports the bytes consumed so far, for
 * progress. Every chunk has the same channel count and sample rate, or decoding stops with an
 * error naming the change.
 */
export async function* decodeAudioFile(path: string, onRead?: (bytes: number) => void): AsyncGenerator<DecodedChunk> {
  const { format } = await probeAudioFile(path);
  let read = 0;
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
      read += (chunk as Buffer).length;
      onRead?.(read);
      yield chunk as Buffer;
    }
  }
  let shape: { channels: number; sampleRate: number } | undefined;
  let heardAnything = false;
  const decoderErrors: string[] = [];
  const chunks = decode(bytes(), format);
  try {
    for (;;) {
      const next = await capturingConsoleErrors(decoderErrors, () => chunks.next());
      if (next.done) break;
      const chunk = next.value;
      const channels = chunk.channelData.length;
      const frames = chunk.channelData[0]?.length ?? 0;
      if (channels === 0 || frames === 0) continue;
      if (!shape) shape = { channels, sampleRate: chunk.sampleRate };
      else if (shape.channels !== channels || shape.sampleRate !== chunk.sampleRate) {
        throw new Error(`the audio changes from ${shape.channels} channels at ${shape.sampleRate} Hz to ${channels} at ${chunk.sampleRate} Hz mid-file`);
      }
      heardAnything ||= chunk.channelData.some((channel) => channel.some((x) => x !== 0));
      yield chunk;
    }
  } catch (error) {
    throw error instanceof AudioFileError ? error : new AudioFileError(path, (error as Error).message || String(error));
  }
  // Decoders resynchronise past damage and may make a moment of silence out of garbage: with
  // errors and nothing audible, the file is not audio.
  if (!shape || (decoderErrors.length > 0 && !heardAnything)) {
    const reason = decoderErrors[0] ? `the ${format} decoder found no audio (${decoderErrors[0]})` : `no audio could be decoded from this ${format} file`;
    throw new AudioFileError(path, reason);
  }
}
