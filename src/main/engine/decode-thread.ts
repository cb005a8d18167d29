// Files decoded on a thread of their own: decoding (MP3's synthesis filter bank above all) is
// the largest share of a file job after the VAD, and on its own thread it runs beside the
// resampling and the rest of the engine, on whichever core is free, instead of after them. The
// server's event loop is spared it too. (In the desktop app the thread's script may sit in
// app.asar: Electron gives worker threads its asar support since v17, electron#33216.)
import { Worker } from 'node:worker_threads';
import { basename } from 'node:path';
import { workerEntry } from '../process/child';
import type { DecodeMessage } from '../workers/decode.worker';
import { AudioFileError, type DecodedChunk } from './file-source';

/** Chunks decoded ahead of the reader: a few seconds of audio, whatever the codec's chunk size. */
const AHEAD = 16;

/** decodeAudioFile's chunks, decoded on a worker thread; the same errors. */
export async function* decodeInThread(path: string, onRead?: (bytes: number) => void): AsyncGenerator<DecodedChunk> {
  const entry = workerEntry('decode');
  const worker = new Worker(entry.path, { workerData: { path }, execArgv: entry.fromSource ? ['--import', 'tsx'] : [] });
  const inbox: DecodeMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const arrive = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: DecodeMessage) => {
    inbox.push(message);
    arrive();
  });
  worker.on('error', (error) => {
    failure = error;
    arrive();
  });
  worker.on('exit', () => {
    failure ??= new Error('the decoder stopped');
    arrive();
  });
  worker.postMessage(AHEAD);
  try {
    for (;;) {
      const message = inbox.shift();
      if (!message) {
        if (failure) throw new AudioFileError(path, failure.message);
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (message.type === 'end') return;
      if (message.type === 'error') {
        const prefix = `cannot decode ${basename(path)}: `;
        throw new AudioFileError(path, message.audioFile && message.message.startsWith(prefix) ? message.message.slice(prefix.length) : message.message);
      }
      worker.postMessage(1);
      onRead?.(message.read);
      yield { channelData: message.channelData, sampleRate: message.sampleRate };
    }
  } finally {
    await worker.terminate();
  }
}
