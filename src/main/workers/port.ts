// The worker's end of the channel to its host, for both ways a worker is started:
// Electron's utilityProcess (process.parentPort) and Node's child_process.fork (process.send).
import type { WorkerReply, WorkerRequest } from './protocol';

type Incoming = (WorkerRequest & { id: number }) | { type: 'shutdown' };

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/**
 * Audio arrives as copies that V8 frees only when its heap, which stays small here, next needs
 * collecting; until then they pile up outside the heap. A young-generation collection once per
 * megabyte received frees them (they die young: each is done with once its request is answered)
 * and keeps a worker near its idle size, at a tenth of a millisecond each, where a full
 * collection costs several: over an hour of stereo, about 3 s of the VAD process's time.
 */
const COLLECT_EVERY_BYTES = 2 ** 20;
let receivedSinceCollection = 0;

function noteReceived(request: WorkerRequest): void {
  const audio = 'samples' in request ? request.samples : 'frames' in request ? request.frames : undefined;
  receivedSinceCollection += audio?.byteLength ?? 0;
  if (receivedSinceCollection < COLLECT_EVERY_BYTES) return;
  receivedSinceCollection = 0;
  (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}

export function connectToHost(handle: (request: WorkerRequest) => Promise<unknown> | unknown): void {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  const send = (reply: WorkerReply) => (parentPort ? parentPort.postMessage(reply) : process.send?.(reply));

  const onMessage = async (message: Incoming) => {
    if (message.type === 'shutdown') process.exit(0);
    try {
      send({ type: 'result', id: message.id, result: await handle(message) });
    } catch (error) {
      send({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) });
    }
    noteReceived(message);
  };

  if (parentPort) parentPort.on('message', (event) => void onMessage(event.data as Incoming));
  else {
    process.on('message', (message) => void onMessage(message as Incoming));
    // The host is gone: nothing can reach this process any more.
    process.on('disconnect', () => process.exit(0));
  }
  send({ type: 'ready' });
}
