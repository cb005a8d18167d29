// `cli -- serve`: the seed's endpoints (health, the two streaming WebSockets), the UI's contract
// over a WebSocket, and the web build of the UI, on loopback unless told otherwise.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { BRIDGE_SOCKET_PATH, UPLOAD_PATH } from '../../shared/contract-methods';
import type { SessionService } from '../sessions/session-service';
import { AUDIO_MIME } from '../bridge/handlers';
import { receiveUpload, sendFileWithRanges } from './files';
import { handleStreamingConnection } from './streaming-socket';

export interface ServerOptions {
  host: string;
  port: number;
  service: SessionService;
  /** The web build of the renderer (out/renderer); absent, `/` explains how to make it. */
  staticDir?: string;
  /** Where uploads of files to import go; without it, uploads are refused. */
  uploadDir?: string;
  /** Serves the UI's contract on /api/v1/bridge. */
  onBridgeConnection?: (socket: WebSocket) => void;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The largest WebSocket message taken: far above any sane audio chunk, far below harm. */
const MAX_MESSAGE_BYTES = 16 * 2 ** 20;

const AUDIO_PATH = /^\/api\/v1\/sessions\/([0-9a-f-]{36})\/audio$/;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function serveStatic(staticDir: string | undefined, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!staticDir) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('The web build of the UI is missing: run `npm run build` first.\n');
    return;
  }
  const root = resolve(staticDir);
  const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  let file = normalize(join(root, pathname));
  if (file !== root && !file.startsWith(root + sep)) {
    response.writeHead(403).end();
    return;
  }
  const found = await stat(file).catch(() => undefined);
  // Anything that is not a file is the single-page app's own route.
  if (!found?.isFile()) file = join(root, 'index.html');
  const index = await stat(file).catch(() => undefined);
  if (!index?.isFile()) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  createReadStream(file).pipe(response);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A web page in the user's browser can open a WebSocket to any address: a request that comes
 * from another origin is refused (clients that are not browsers send no Origin). On loopback,
 * the Host must name loopback too, which stops DNS-rebinding pages.
 */
export function refuseForeignCaller(request: IncomingMessage, boundHost: string): string | undefined {
  const host = request.headers.host ?? '';
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  if (isLoopback(boundHost) && !LOOPBACK_NAMES.has(hostname) && !hostname.startsWith('127.')) return `Host "${host}" is not this machine`;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return `requests from ${origin} are not allowed`;
  return undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => undefined);
  const http = createServer((request, response) => {
    const refusal = refuseForeignCaller(request, options.host);
    if (refusal) return sendJson(response, 403, { error: refusal });
    if (request.method === 'GET' && request.url === '/api/v1/health') return sendJson(response, 200, { status: 'healthy' });
    if (request.url?.startsWith('/api/')) {
      handleApiRequest(request, response).catch((error: Error) => {
        log(`${request.method} ${request.url}: ${error.message}`);
        if (!response.headersSent) sendJson(response, 500, { error: error.message });
        else response.destroy();
      });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'method not allowed' });
    serveStatic(options.staticDir, request, response).catch((error: Error) => {
      log(`static: ${error.message}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });

  async function handleApiRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const audio = AUDIO_PATH.exec(url.pathname);
    if (audio && (request.method === 'GET' || request.method === 'HEAD')) {
      const session = findSession(audio[1]!);
      if (!session?.audio_path) return sendJson(response, 404, { error: `no audio for session ${audio[1]}` });
      return sendFileWithRanges(request, response, session.audio_path, AUDIO_MIME[extname(session.audio_path).toLowerCase()] ?? 'application/octet-stream');
    }
    if (url.pathname === UPLOAD_PATH && request.method === 'POST' && options.uploadDir) {
      const name = url.searchParams.get('name');
      if (!name) return sendJson(response, 400, { error: 'the upload needs ?name=FILE' });
      return sendJson(response, 201, { path: await receiveUpload(request, options.uploadDir, name) });
    }
    sendJson(response, 404, { error: `no such endpoint: ${request.method} ${url.pathname}` });
  }

  function findSession(id: string) {
    try {
      return options.service.get(id);
    } catch {
      return undefined;
    }
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  http.on('upgrade', (request, socket, head) => {
    const refusal = refuseForeignCaller(request, options.host);
    if (refusal) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\n${refusal}\n`);
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route =
      path === '/api/v1/simple' || path === '/api/v1/segmented'
        ? (ws: WebSocket) => handleStreamingConnection(ws, path.endsWith('simple') ? 'simple' : 'segmented', options.service, log)
        : path === '/api/v1/bridge' && options.onBridgeConnection
          ? options.onBridgeConnection
          : undefined;
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', (error) => log(`websocket ${path}: ${error.message}`));
      route(ws);
    });
  });

  await new Promise<void>((resolvePromise, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolvePromise());
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: async () => {
      for (const client of sockets.clients) client.close(1001, 'server shutting down');
      await new Promise<void>((resolvePromise) => sockets.close(() => resolvePromise()));
      http.closeAllConnections();
      await new Promise<void>((resolvePromise) => http.close(() => resolvePromise()));
    },
  };
}
