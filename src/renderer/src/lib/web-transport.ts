// The contract over the bridge WebSocket of `cli -- serve` (src/main/server/bridge-socket.ts),
// for the web build: requests matched to answers by id, pushes to every subscriber, audio as
// binary frames. No reconnection: once the socket closes, every call answers with an error.
import type { MethodName, Push, Result, UtterlyApi } from '../../../shared/contract';
import { AUDIO_FRAME_ID_BYTES, METHOD_NAMES } from '../../../shared/contract-methods';

const CLOSED: Result<never> = { ok: false, error: { code: 'internal', message: 'the connection to Utterly is closed' } };

type ServerMessage = { id: number; result: Result<unknown> } | { push: Push };

function parseServerMessage(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const message: unknown = JSON.parse(data);
    return typeof message === 'object' && message !== null ? (message as ServerMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** `openSocket` is there for Node, which has no global WebSocket before version 22. */
export function connectWebTransport(url: string, openSocket: (url: string) => WebSocket = (address) => new WebSocket(address)): UtterlyApi {
  const socket = openSocket(url);
  socket.binaryType = 'arraybuffer';
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Set<(push: Push) => void>();
  let nextId = 1;
  const opened = new Promise<boolean>((resolve) => {
    socket.addEventListener('open', () => resolve(true), { once: true });
    socket.addEventListener('close', () => resolve(false), { once: true });
  });

  socket.addEventListener('message', (event) => {
    const message = parseServerMessage(event.data);
    if (!message) return;
    if ('push' in message) {
      for (const listener of listeners) {
        try {
          listener(message.push);
        } catch (error) {
          console.error('Utterly: a push listener failed:', error); // and the others still hear it
        }
      }
      return;
    }
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    resolve?.(message.result);
  });
  socket.addEventListener('close', () => {
    for (const resolve of pending.values()) resolve(CLOSED);
    pending.clear();
  });

  async function call(method: MethodName, params: unknown): Promise<Result<unknown>> {
    if (!(await opened) || socket.readyState !== socket.OPEN) return CLOSED;
    const id = nextId++;
    const answered = new Promise<Result<unknown>>((resolve) => pending.set(id, resolve));
    socket.send(JSON.stringify({ id, method, params }));
    return answered;
  }

  const methods = Object.fromEntries(METHOD_NAMES.map((method) => [method, (params: unknown) => call(method, params)])) as Pick<UtterlyApi, MethodName>;
  const encoder = new TextEncoder();

  return {
    ...methods,
    sendAudio(sessionId, chunk) {
      // Audio is only sent while recording, which needed an open socket to start.
      if (socket.readyState !== socket.OPEN) return;
      const frame = new Uint8Array(AUDIO_FRAME_ID_BYTES + chunk.byteLength);
      encoder.encodeInto(sessionId, frame.subarray(0, AUDIO_FRAME_ID_BYTES));
      frame.set(new Uint8Array(chunk), AUDIO_FRAME_ID_BYTES);
      socket.send(frame);
    },
    onPush(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
