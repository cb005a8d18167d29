// Deterministic audio bytes for the WAV tests, shared with the child process they kill.
import type { AudioFormat } from '../../src/shared/api';

/** 24-bit stereo: 6-byte frames, so that chunks end inside samples and frames. */
export const KILL_TEST_FORMAT: AudioFormat = { channels: 2, sample_rate: 48000, bit_depth: 24, is_float: false };

/** Byte `offset` of an endless stream that does not repeat within a frame or a chunk. */
export function patternByte(offset: number): number {
  return (offset * 31 + (offset >>> 8) * 7 + (offset >>> 16)) & 0xff;
}

export function patternBytes(offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = patternByte(offset + i);
  return bytes;
}
