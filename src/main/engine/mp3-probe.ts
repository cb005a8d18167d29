// The channel count an MP3 file declares, from its first frame header. mpg123 (the decoder)
// always gives two channels, a mono file's twice; the header says which the file is.
import type { FileHandle } from 'node:fs/promises';

/** Bytes searched for the first frame past the ID3v2 tags. */
const SEARCH_BYTES = 256 * 1024;

// Bit rates in kbit/s by [MPEG-1 or not][layer 1, 2, 3][index]; sample rates by [version][index].
const BITRATES = [
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
];
const SAMPLE_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

interface FrameHeader {
  /** Version, layer and sample rate: the same in every frame of a stream. */
  stream: number;
  channels: 1 | 2;
  /** Bytes of the whole frame, or 0 for a free-format bit rate. */
  length: number;
}

/** The MPEG audio frame header at `at` (ISO/IEC 11172-3 2.4.1.3, 13818-3), if there is a valid one. */
export function frameHeader(bytes: Uint8Array, at: number): FrameHeader | undefined {
  if (at + 4 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1]! & 0xe0) !== 0xe0) return undefined;
  const b1 = bytes[at + 1]!;
  const b2 = bytes[at + 2]!;
  const b3 = bytes[at + 3]!;
  const version = (b1 >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const layerBits = (b1 >> 1) & 3; // 3: layer I, 2: layer II, 1: layer III
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (version === 1 || layerBits === 0 || bitrateIndex === 15 || rateIndex === 3 || (b3 & 3) === 2) return undefined;
  const layer = 4 - layerBits;
  const sampleRate = SAMPLE_RATES[version]![rateIndex]!;
  const kbps = BITRATES[version === 3 ? 1 : 0]![layer - 1]![bitrateIndex]!;
  const padding = (b2 >> 1) & 1;
  let length = 0;
  if (kbps > 0) {
    if (layer === 1) length = (Math.floor((12 * kbps * 1000) / sampleRate) + padding) * 4;
    else length = Math.floor(((layer === 3 && version !== 3 ? 72 : 144) * kbps * 1000) / sampleRate) + padding;
  }
  return { stream: (((b1 >> 1) & 0x0f) << 2) | rateIndex, channels: b3 >> 6 === 3 ? 1 : 2, length };
}

/** Where the audio starts: past any ID3v2 tags (each with its optional footer). */
async function pastId3(file: FileHandle): Promise<number> {
  let position = 0;
  for (;;) {
    const head = new Uint8Array(10);
    const { bytesRead } = await file.read(head, 0, 10, position);
    if (bytesRead < 10 || head[0] !== 0x49 || head[1] !== 0x44 || head[2] !== 0x33 || head[3] === 0xff || head.subarray(6, 10).some((b) => b & 0x80))
      return position;
    const size = (head[6]! << 21) | (head[7]! << 14) | (head[8]! << 7) | head[9]!;
    position += 10 + size + (head[5]! & 0x10 ? 10 : 0);
  }
}

/**
 * The channels of an MP3 file: those of its first frame whose next frame follows where its
 * length says (a 0xFF byte pair in junk is no frame), else of the first frame-like header when
 * no frame can be confirmed; undefined when there is none.
 */
export async function mp3Channels(file: FileHandle): Promise<1 | 2 | undefined> {
  const start = await pastId3(file);
  const bytes = new Uint8Array(SEARCH_BYTES);
  const { bytesRead } = await file.read(bytes, 0, bytes.length, start);
  const head = bytes.subarray(0, bytesRead);
  let unconfirmed: FrameHeader | undefined;
  for (let at = 0; at + 4 <= head.length; at++) {
    const frame = frameHeader(head, at);
    if (!frame) continue;
    if (frame.length > 0 && at + frame.length + 4 <= head.length) {
      const next = frameHeader(head, at + frame.length);
      if (next && next.stream === frame.stream) return frame.channels;
    } else unconfirmed ??= frame;
  }
  return unconfirmed?.channels;
}
