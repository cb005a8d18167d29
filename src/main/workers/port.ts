// The worker's end of the channel to its host, for both ways a worker is started:
// Electron's utilityProcess (process.parentPort) and Node's child_process.fork (process.send).
import type { WorkerReply, WorkerRequest } from './protocol';

type Incoming = (WorkerRequest & { id: number }) | { type: 'shutdown' };

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
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
  };

  if (parentPort) parentPort.on('message', (event) => void onMessage(event.data as Incoming));
  else {
    process.on('message', (message) => void onMessage(message as Incoming));
    // The host is gone: nothing can reach this process any more.
    process.on('disconnect', () => process.exit(0));
  }
  send({ type: 'ready' });
}
