// Shared by the tests: real engines over real worker processes, and ways to feed them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ApiResponse, AudioFormat, StartMessage } from '../../src/shared/api';
import { MODEL_DEFAULTS, type ModelParams } from '../../src/shared/model-config';
import { StreamingContext, type EngineOptions, type RunnerMode } from '../../src/main/engine/streaming-context';

export const dataFile = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));

/** A model that answers at once and never fails: the engine's behaviour without the model's noise. */
export const INSTANT_MODEL: ModelParams = { ...MODEL_DEFAULTS, delay: 0, constant_factor: 0, jitter: 0, failure_rate: 0, panic_rate: 0, warmup_penalty: 0 };

export function engine(options: EngineOptions = {}): Promise<StreamingContext> {
  return StreamingContext.create({ model: INSTANT_MODEL, poolSize: 2, ...options });
}

export function startMessage(format: AudioFormat, extra: Partial<StartMessage> = {}): StartMessage {
  return { request: 'start', format, interim_results: false, ...extra };
}

/** The PCM bytes and format of a plain PCM WAV file (the data chunk, whatever the header's size). */
export function readPcmWav(path: string): { format: AudioFormat; bytes: Uint8Array } {
  const file = readFileSync(path);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let offset = 12;
  let format: AudioFormat | undefined;
  while (offset + 8 <= file.length) {
    const id = file.toString('ascii', offset, offset + 4);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      const audioFormat = view.getUint16(offset + 8, true);
      format = {
        channels: view.getUint16(offset + 10, true),
        sample_rate: view.getUint32(offset + 12, true),
        bit_depth: view.getUint16(offset + 22, true),
        is_float: audioFormat === 3,
      };
    } else if (id === 'data') {
      const end = Math.min(file.length, offset + 8 + size);
      return { format: format!, bytes: new Uint8Array(file.subarray(offset + 8, end)) };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

/** Splits bytes into chunks whose sizes come from `sizes` (cycled). */
export function chunked(bytes: Uint8Array, sizes: number[] | ((i: number) => number)): Uint8Array[] {
  const size = typeof sizes === 'function' ? sizes : (i: number) => sizes[i % sizes.length]!;
  const out: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const n = Math.max(1, size(i));
    out.push(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

export async function runBytes(
  context: StreamingContext,
  mode: RunnerMode,
  start: StartMessage,
  chunks: Uint8Array[],
  maxFutures?: number,
): Promise<ApiResponse[]> {
  const events: ApiResponse[] = [];
  const stream = await context.openStream({ mode, start, maxFutures }, (e) => events.push(e));
  for (const chunk of chunks) await stream.writeBytes(chunk);
  await stream.stop();
  return events;
}

export const finals = (events: ApiResponse[], channel = 0) =>
  events.filter((e): e is Extract<ApiResponse, { type: 'segment' }> => e.type === 'segment' && e.is_final === true && e.channel === channel);

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Interleaves float channels into PCM bytes of `format`: audio for the engine's byte input. */
export function encodePcm(channels: Float32Array[], format: AudioFormat): Uint8Array {
  const frames = channels[0]?.length ?? 0;
  const step = format.bit_depth / 8;
  const bytes = new Uint8Array(frames * channels.length * step);
  const view = new DataView(bytes.buffer);
  const clamp = (x: number) => Math.max(-1, Math.min(1, x));
  let offset = 0;
  for (let f = 0; f < frames; f++) {
    for (const channel of channels) {
      const x = channel[f]!;
      if (format.is_float) {
        if (format.bit_depth === 64) view.setFloat64(offset, x, true);
        else view.setFloat32(offset, x, true);
      } else {
        switch (format.bit_depth) {
          case 8:
            view.setUint8(offset, Math.max(0, Math.min(255, Math.round(clamp(x) * 128 + 128))));
            break;
          case 16:
            view.setInt16(offset, Math.max(-32768, Math.min(32767, Math.round(clamp(x) * 32768))), true);
            break;
          case 24: {
            const v = Math.max(-8388608, Math.min(8388607, Math.round(clamp(x) * 8388608)));
            view.setUint8(offset, v & 0xff);
            view.setUint8(offset + 1, (v >> 8) & 0xff);
            view.setInt8(offset + 2, v >> 16);
            break;
          }
          case 32:
            view.setInt32(offset, Math.max(-2147483648, Math.min(2147483647, Math.round(clamp(x) * 2147483648))), true);
            break;
        }
      }
      offset += step;
    }
  }
  return bytes;
}
