// The contract over the bridge WebSocket of `cli -- serve` (src/main/server/bridge-socket.ts),
// for the web build: requests matched to answers by id, pushes to every subscriber, audio as
// binary frames. No reconnection: once the socket closes, every call answers with an error.
import type { MethodName, Push, Result, UtterlyApi } from '../../../shared/contract';
import { AUDIO_FRAME_ID_BYTES, METHOD_NAMES, UPLOAD_PATH } from '../../../shared/contract-methods';

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

/** The server's upload address, beside the bridge socket's. */
function uploadUrl(socketUrl: string, name: string): string {
  const base = new URL(socketUrl);
  base.protocol = base.protocol === 'wss:' ? 'https:' : 'http:';
  base.pathname = UPLOAD_PATH;
  base.search = `?name=${encodeURIComponent(name)}`;
  return base.href;
}

/** Sends a file's bytes to the server, with upload progress (which fetch cannot report). */
function upload(url: string, file: File, onProgress?: (fraction: number) => void): Promise<Result<{ path: string }>> {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress?.(event.loaded / event.total);
    request.onload = () => {
      const body = (() => {
        try {
          return JSON.parse(request.responseText) as { path?: string; error?: string };
        } catch {
          return {};
        }
      })();
      if (request.status === 201 && body.path) resolve({ ok: true, value: { path: body.path } });
      else resolve({ ok: false, error: { code: 'failed_precondition', message: `${file.name} could not be uploaded: ${body.error ?? `HTTP ${request.status}`}` } });
    };
    request.onerror = () => resolve({ ok: false, error: { code: 'internal', message: `${file.name} could not be uploaded: the connection failed` } });
    request.send(file);
  });
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
    platform: 'web',
    fileToImport: (file, onProgress) => upload(uploadUrl(url, file.name), file, onProgress),
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
