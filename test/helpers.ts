// Shared by the tests: real engines over real worker processes, and ways to feed them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ApiResponse, AudioFormat, StartMessage } from '../src/shared/api';
import { MODEL_DEFAULTS, type ModelParams } from '../src/shared/model-config';
import { StreamingContext, type EngineOptions, type RunnerMode } from '../src/main/engine/streaming-context';

export const dataFile = (name: string) => fileURLToPath(new URL(`./data/${name}`, import.meta.url));

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
