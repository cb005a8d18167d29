// Interleaved little-endian PCM bytes -> one Float32Array per channel, in [-1, 1).
import type { AudioFormat } from '../../shared/api';

type SampleReader = (view: DataView, offset: number) => number;

function sampleReader(format: AudioFormat): SampleReader {
  if (format.is_float) {
    return format.bit_depth === 64 ? (v, o) => v.getFloat64(o, true) : (v, o) => v.getFloat32(o, true);
  }
  switch (format.bit_depth) {
    case 8:
      return (v, o) => (v.getUint8(o) - 128) / 128;
    case 16:
      return (v, o) => v.getInt16(o, true) / 32768;
    case 24:
      return (v, o) => (v.getUint8(o) | (v.getUint8(o + 1) << 8) | (v.getInt8(o + 2) << 16)) / 8388608;
    case 32:
      return (v, o) => v.getInt32(o, true) / 2147483648;
    default:
      throw new Error(`bit_depth ${format.bit_depth} is not supported`);
  }
}

/**
 * Turns a byte stream cut anywhere (mid-sample, mid-frame) into whole frames. The bytes of an
 * incomplete frame are carried into the next chunk, so no byte is ever dropped or misaligned.
 */
export class PcmDecoder {
  private readonly bytesPerSample: number;
  private readonly frameBytes: number;
  private readonly read: SampleReader;
  private carry = new Uint8Array(0);

  constructor(private readonly format: AudioFormat) {
    this.bytesPerSample = format.bit_depth / 8;
    this.frameBytes = this.bytesPerSample * format.channels;
    this.read = sampleReader(format);
  }

  /** Bytes received but not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.carry.length;
  }

  decode(chunk: Uint8Array): Float32Array[] {
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    const frames = Math.floor(bytes.length / this.frameBytes);
    const usable = frames * this.frameBytes;
    this.carry = bytes.slice(usable);

    const { channels } = this.format;
    const out = Array.from({ length: channels }, () => new Float32Array(frames));
    const view = new DataView(bytes.buffer, bytes.byteOffset, usable);
    const step = this.bytesPerSample;
    for (let f = 0, offset = 0; f < frames; f++) {
      for (let c = 0; c < channels; c++, offset += step) {
        out[c]![f] = this.read(view, offset);
      }
    }
    return out;
  }
}
