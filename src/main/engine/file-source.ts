// Audio files decoded as a stream: the file is read in pieces and decoded chunk by chunk, so a
// long recording is never held whole in memory. Every file gives exactly the channels its
// container declares, from its first chunk to its last, whatever the codec:
//   - WAV (RIFF, RF64, BW64) and AIFF/AIFF-C are read by our own parser (wav-source.ts);
//   - MP3 is decoded by mpg123 (@audio/decode-mp3), which always gives two channels: a file
//     whose first frame header says mono keeps the first;
//   - MP4/M4A by @audio/decode-mp4 (AAC by FAAD2, which gives the stream's channels), in an
//     order that keeps memory bounded (mp4-layout.ts); ADTS AAC by @audio/decode-aac; WMA by
//     @audio/decode-wma;
//   - the other formats by audio-decode, which leaves their channels alone.
// audio-decode itself is not used for MP3, MP4, AAC and WMA: it turns stereo whose channels are
// identical into mono, and back to stereo once they differ.
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import decode from 'audio-decode';
import audioType from 'audio-type';
import { mp3Channels } from './mp3-probe';
import { Mp4LayoutError, planMp4, type Mp4Plan } from './mp4-layout';
import { PcmHeaderError, readPcmFrames, readPcmLayout, type SampleEncoding } from './wav-source';
import { errorCode, errorMessage } from '../../shared/errors';
import { isDecodableContainer, type AudioContainer } from '../../shared/audio-formats';
import type { SourceFormat } from '../../shared/sessions';

/** Bytes read from the file at a time for a decoder. */
const READ_BYTES = 64 * 1024;

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
  format: AudioContainer;
  bytes: number;
}

/**
 * Some codecs report damaged frames with console.error and go on. Those messages belong to the
 * file being decoded, not on the terminal: collect them.
 */
async function capturingConsoleErrors<T>(into: string[], work: () => T | Promise<T>): Promise<T> {
  const original = console.error;
  console.error = (...args: unknown[]) => void into.push(args.map(String).join(' ').trim());
  try {
    return await work();
  } finally {
    console.error = original;
  }
}

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

/** The container, from the file's first bytes. */
function detectFormat(head: Uint8Array): string | undefined {
  // RF64 and BW64 are WAV with 64-bit sizes; audio-type knows only RIFF.
  if (head.length >= 12 && (ascii(head, 0) === 'RF64' || ascii(head, 0) === 'BW64') && ascii(head, 8) === 'WAVE') return 'wav';
  return audioType(head);
}

// Opening never waits: a named pipe with no writer would otherwise hold the open (and one of
// libuv's four threads, which every file operation of the process shares) until one comes.
// O_NOCTTY: a terminal named as the file does not become the process's controlling terminal.
const OPEN_WITHOUT_WAITING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isDirectory()) return 'a folder';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens a file to read, taking only a regular file: what it is is checked on the opened
 * descriptor (fstat), so that nothing can be swapped in between, and a named pipe, a device, a
 * socket or a folder is refused at once with an AudioFileError naming the file.
 */
export async function openRegularFile(path: string): Promise<{ file: FileHandle; bytes: number }> {
  let file: FileHandle;
  try {
    file = await open(path, OPEN_WITHOUT_WAITING);
  } catch (error) {
    throw new AudioFileError(path, errorCode(error) === 'ENOENT' ? 'no such file' : errorMessage(error));
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new AudioFileError(path, `it is ${kindOf(info)}, not an audio file`);
    return { file, bytes: info.size };
  } catch (error) {
    await file.close();
    throw error instanceof AudioFileError ? error : new AudioFileError(path, errorMessage(error));
  }
}

/** Recognises the container from the file's first bytes. Only a regular file is taken (openRegularFile). */
export async function probeAudioFile(path: string): Promise<AudioFileInfo> {
  const { file, bytes } = await openRegularFile(path);
  let head: Uint8Array;
  try {
    const buffer = new Uint8Array(Math.min(bytes, 64 * 1024));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new AudioFileError(path, errorMessage(error));
  } finally {
    await file.close();
  }
  if (bytes === 0) throw new AudioFileError(path, 'the file is empty');
  const format = detectFormat(head);
  if (!format) throw new AudioFileError(path, 'not a recognised audio format');
  if (!isDecodableContainer(format)) throw new AudioFileError(path, `${format} files are not supported`);
  return { format, bytes };
}

/** Bits per sample of each PCM encoding (μ-law and A-law: 8 bits a sample). */
const ENCODING_BITS: Record<SampleEncoding, number> = {
  u8: 8,
  s8: 8,
  s16le: 16,
  s16be: 16,
  s24le: 24,
  s24be: 24,
  s32le: 32,
  s32be: 32,
  f32le: 32,
  f32be: 32,
  f64le: 64,
  f64be: 64,
  ulaw: 8,
  alaw: 8,
};

/**
 * A file's own format: the container and size from the probe, and for PCM in WAV or AIFF the
 * header's codec, channels, sample rate and bit depth. For other codecs the channels and sample
 * rate are those the decoder gave (`decoded`: its first chunk, which is the file's own: no
 * decoder here resamples) and there is no bit depth. A header that cannot be read leaves the
 * decoded shape.
 */
export async function describeAudioFile(path: string, decoded: { channels: number; sampleRate: number }): Promise<SourceFormat> {
  const { format, bytes } = await probeAudioFile(path);
  const described: SourceFormat = { container: format, channels: decoded.channels, sample_rate: decoded.sampleRate, bit_depth: null, bytes };
  if (format === 'mp3') return { ...described, codec: 'mp3' };
  if (format !== 'wav' && format !== 'aiff') return described;
  const { file } = await openRegularFile(path);
  try {
    const layout = await readPcmLayout(file, bytes);
    if (!('encoding' in layout)) return { ...described, codec: layout.codec };
    return {
      ...described,
      codec: `pcm_${layout.encoding}`,
      channels: layout.channels,
      sample_rate: layout.sampleRate,
      bit_depth: ENCODING_BITS[layout.encoding],
    };
  } catch {
    return described;
  } finally {
    await file.close();
  }
}

/**
 * Decoded audio of a file, chunk by chunk. `onRead` reports the bytes consumed so far, for
 * progress. Every chunk has the same channel count and sample rate, or decoding stops with an
 * error naming the change.
 */
export async function* decodeAudioFile(path: string, onRead?: (bytes: number) => void): AsyncGenerator<DecodedChunk> {
  const { format, bytes } = await probeAudioFile(path);
  const { file } = await openRegularFile(path);
  try {
    if (format === 'wav' || format === 'aiff') {
      const layout = await readPcmLayout(file, bytes);
      if ('encoding' in layout) {
        if (layout.dataBytes === 0)
          throw new AudioFileError(path, `this ${layout.container} file holds no audio (its ${format === 'wav' ? 'data' : 'SSND'} chunk is empty)`);
        yield* readPcmFrames(file, layout, onRead);
        onRead?.(bytes); // the chunks after the audio are read too, as far as progress goes
        return;
      }
      // A codec inside WAV or AIFF that is not PCM (ADPCM, GSM): audio-decode's decoders read those.
    }
    yield* decodeWithCodec(path, file, bytes, format, onRead);
  } catch (error) {
    if (error instanceof AudioFileError) throw error;
    if (error instanceof PcmHeaderError || error instanceof Mp4LayoutError) throw new AudioFileError(path, error.message);
    throw new AudioFileError(path, errorMessage(error) || String(error));
  } finally {
    await file.close();
  }
}

interface CodecOutput {
  channelData: Float32Array[];
  sampleRate: number;
  samplesDecoded?: number;
}

/** A codec package's streaming decoder. */
interface Codec {
  decode(bytes: Uint8Array): CodecOutput | Promise<CodecOutput>;
  /** The samples still inside at the end. */
  flush(): CodecOutput | Promise<CodecOutput>;
  free(): void;
}

const NOTHING: CodecOutput = { channelData: [], sampleRate: 0 };

async function openCodec(format: AudioContainer): Promise<Codec> {
  const wrap = (codec: {
    decode(bytes: Uint8Array): CodecOutput | Promise<CodecOutput>;
    flush?(): CodecOutput | Promise<CodecOutput>;
    free(): void;
  }): Codec => ({
    decode: (bytes) => codec.decode(bytes),
    flush: () => codec.flush?.() ?? NOTHING,
    free: () => codec.free(),
  });
  switch (format) {
    case 'mp3':
      return wrap(await (await import('@audio/decode-mp3')).decoder());
    case 'm4a':
      return wrap(await (await import('@audio/decode-mp4')).decoder());
    case 'aac':
      return wrap(await (await import('@audio/decode-aac')).decoder());
    case 'wma':
      return wrap(await (await import('@audio/decode-wma')).decoder());
    default: {
      // audio-decode's own stream decoder: it collapses identical channels only for the codecs above.
      const codec = await decode[format]();
      return { decode: (bytes) => codec(bytes), flush: () => codec(), free: () => codec.free() };
    }
  }
}

/** The file's bytes in the order of `pieces`, in reads of READ_BYTES, with the count so far. */
async function* readPieces(file: FileHandle, pieces: Mp4Plan['pieces'], onRead?: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  let done = 0;
  for (const piece of pieces) {
    if (piece instanceof Uint8Array) {
      done += piece.length;
      onRead?.(done);
      yield piece;
      continue;
    }
    for (let at = piece.start; at < piece.end;) {
      // A new buffer each time: decoders may keep what they are given.
      const buffer = new Uint8Array(Math.min(READ_BYTES, piece.end - at));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) break;
      at += bytesRead;
      done += bytesRead;
      onRead?.(done);
      yield buffer.subarray(0, bytesRead);
    }
  }
}

async function* decodeWithCodec(
  path: string,
  file: FileHandle,
  bytes: number,
  format: AudioContainer,
  onRead?: (bytes: number) => void,
): AsyncGenerator<DecodedChunk> {
  // The channels the container declares, where the decoder may give more.
  let declared: number | undefined;
  let pieces: Mp4Plan['pieces'] = [{ start: 0, end: bytes }];
  if (format === 'mp3') declared = await mp3Channels(file);
  else if (format === 'm4a') ({ pieces, channels: declared } = await planMp4(file, bytes));

  let shape: { channels: number; sampleRate: number } | undefined;
  let heardAnything = false;
  const decoderErrors: string[] = [];
  const accept = (output: CodecOutput): DecodedChunk | undefined => {
    let channelData = output?.channelData ?? [];
    if (channelData.length === 0) return undefined;
    const { samplesDecoded } = output;
    if (samplesDecoded != null && samplesDecoded < channelData[0]!.length) channelData = channelData.map((channel) => channel.subarray(0, samplesDecoded));
    if (channelData[0]!.length === 0) return undefined;
    // mpg123 gives a mono file's one channel twice.
    if (declared && channelData.length > declared) channelData = channelData.slice(0, declared);
    const { sampleRate } = output;
    if (!shape) shape = { channels: channelData.length, sampleRate };
    else if (shape.channels !== channelData.length || shape.sampleRate !== sampleRate) {
      throw new Error(`the audio changes from ${shape.channels} channels at ${shape.sampleRate} Hz to ${channelData.length} at ${sampleRate} Hz mid-file`);
    }
    heardAnything ||= channelData.some((channel) => channel.some((x) => x !== 0));
    return { channelData, sampleRate };
  };

  const codec = await openCodec(format);
  let freed = false;
  try {
    for await (const piece of readPieces(file, pieces, onRead)) {
      const chunk = accept(await capturingConsoleErrors(decoderErrors, () => codec.decode(piece)));
      if (chunk) yield chunk;
    }
    freed = true;
    try {
      const chunk = accept(await capturingConsoleErrors(decoderErrors, () => codec.flush()));
      if (chunk) yield chunk;
    } finally {
      codec.free();
    }
  } finally {
    if (!freed) codec.free();
  }
  // Decoders resynchronise past damage and may make a moment of silence out of garbage: with
  // errors and nothing audible, the file is not audio.
  if (!shape || (decoderErrors.length > 0 && !heardAnything)) {
    const reason = decoderErrors[0] ? `the ${format} decoder found no audio (${decoderErrors[0]})` : `no audio could be decoded from this ${format} file`;
    throw new AudioFileError(path, reason);
  }
}
