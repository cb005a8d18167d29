// A worker thread that decodes one file (src/main/engine/decode-thread.ts): the chunks go to the
// thread that asked, their buffers transferred, as long as it has granted credit for them.
import { parentPort, workerData } from 'node:worker_threads';
import { AudioFileError, decodeAudioFile } from '../engine/file-source';

export type DecodeMessage =
  | { type: 'chunk'; channelData: Float32Array[]; sampleRate: number; read: number }
  | { type: 'end' }
  | { type: 'error'; message: string; audioFile: boolean };

const port = parentPort!;
const { path } = workerData as { path: string };
let credit = 0;
let granted: (() => void) | undefined;
port.on('message', (more: number) => {
  credit += more;
  granted?.();
});

let read = 0;
try {
  for await (const { channelData, sampleRate } of decodeAudioFile(path, (bytes) => (read = bytes))) {
    while (credit === 0) await new Promise<void>((resolve) => (granted = resolve));
    credit--;
    const message: DecodeMessage = { type: 'chunk', channelData, sampleRate, read };
    port.postMessage(message, [...new Set(channelData.map((channel) => channel.buffer as ArrayBuffer))]);
  }
  port.postMessage({ type: 'end' } satisfies DecodeMessage);
} catch (error) {
  port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error), audioFile: error instanceof AudioFileError } satisfies DecodeMessage);
}
port.close();
