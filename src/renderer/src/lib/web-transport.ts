// The contract over the bridge WebSocket of `cli -- serve` (src/main/server/bridge-socket.ts),
// for the web build: requests matched to answers by id, pushes to every subscriber, audio as
// binary frames. When the socket closes, the calls waiting and those made until it is back answer
// with an error, the page is told at once, and a new socket is opened with backoff (the page then
// reads again what it shows, which also subscribes it again to the open session's events).
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
      else
        resolve({
          ok: false,
          error: { code: 'failed_precondition', message: `${file.name} could not be uploaded: ${body.error ?? `HTTP ${request.status}`}` },
        });
    };
    request.onerror = () => resolve({ ok: false, error: { code: 'internal', message: `${file.name} could not be uploaded: the connection failed` } });
    request.send(file);
  });
}

/** The web transport: the API, and whether its socket is connected. */
export type WebTransport = UtterlyApi & {
  /**
   * Hears the connection come and go: false as soon as the socket closes, true when a new one
   * has opened (not for the first). Returns the unsubscribe function.
   */
  onConnection(listener: (connected: boolean) => void): () => void;
  /** Closes the socket for good (no reconnection). */
  close(): void;
};

/** Waits before each new attempt: 0.25 s, doubling up to 5 s. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/** `openSocket` is there for Node, which has no global WebSocket before version 22. */
export function connectWebTransport(url: string, openSocket: (url: string) => WebSocket = (address) => new WebSocket(address)): WebTransport {
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Set<(push: Push) => void>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  let nextId = 1;
  let socket: WebSocket;
  let everOpened = false;
  let closedForGood = false;
  let retryMs = RETRY_FIRST_MS;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let resolveFirst: (opened: boolean) => void = () => undefined;
  // The first connection: calls made before it opens wait for it.
  const firstOpened = new Promise<boolean>((resolve) => (resolveFirst = resolve));

  function tellConnection(connected: boolean): void {
    for (const listener of connectionListeners) {
      try {
        listener(connected);
      } catch (error) {
        console.error('Utterly: a connection listener failed:', error);
      }
    }
  }

  function onMessage(event: MessageEvent): void {
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
  }

  function open(): void {
    const current = openSocket(url);
    socket = current;
    current.binaryType = 'arraybuffer';
    let opened = false;
    current.addEventListener('open', () => {
      opened = true;
      retryMs = RETRY_FIRST_MS;
      resolveFirst(true);
      if (everOpened) tellConnection(true);
      everOpened = true;
    });
    current.addEventListener('message', onMessage);
    current.addEventListener('close', () => {
      if (socket !== current) return;
      for (const resolve of pending.values()) resolve(CLOSED);
      pending.clear();
      if (opened) tellConnection(false);
      // A first connection that failed: the calls waiting for it answer with an error.
      if (!everOpened) resolveFirst(false);
      if (closedForGood) return;
      // Retry with backoff; the page stays usable in between, its calls answered with an error.
      retryTimer = setTimeout(open, retryMs);
      // In Node (the tests), a retry alone does not keep the process running.
      (retryTimer as { unref?: () => void }).unref?.();
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    });
  }
  open();

  async function call(method: MethodName, params: unknown): Promise<Result<unknown>> {
    if (!everOpened && !(await firstOpened)) return CLOSED;
    if (socket.readyState !== socket.OPEN) return CLOSED;
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
      // Audio is only sent while recording; a lost connection ends the recording (onConnection).
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
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => void connectionListeners.delete(listener);
    },
    close() {
      closedForGood = true;
      clearTimeout(retryTimer);
      socket.close();
    },
  };
}
