// `cli -- serve`: the seed's endpoints (health, the two streaming WebSockets), the UI's contract
// over a WebSocket, and the web build of the UI, on loopback unless told otherwise. Who may call
// it is decided in access.ts; what may wait for a slow client, in outgoing.ts.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { BRIDGE_SOCKET_PATH, UPLOAD_PATH } from '../../shared/contract-methods';
import type { SessionService } from '../sessions/session-service';
import { audioMimeOf } from '../../shared/audio-formats';
import { checkAccess, isLoopbackHost, queryTokenIsValid, tokenCookie, TOKEN_PARAM, urlHost, type AccessPolicy } from './access';
import { HttpError, MAX_UPLOAD_BYTES, receiveUpload, sendFileWithRanges, tooLarge } from './files';
import { OUTGOING_LIMITS, type OutgoingLimits } from './outgoing';
import { MAX_MESSAGE_BYTES, ServerSocket } from './server-socket';
import { handleStreamingConnection } from './streaming-socket';

export interface ServerOptions {
  host: string;
  port: number;
  service: SessionService;
  /**
   * The access token every request and socket must show. Required when `host` is not
   * loopback (startServer refuses to listen there without one); optional on loopback.
   */
  token?: string;
  /** The web build of the renderer (out/renderer); absent, `/` explains how to make it. */
  staticDir?: string;
  /** Where uploads of files to import go; without it, uploads are refused. */
  uploadDir?: string;
  /** The largest upload taken (4 GiB unless told otherwise). */
  maxUploadBytes?: number;
  /** How far behind a WebSocket client may fall before it is closed (8 MB or 10 s unless told otherwise). */
  outgoingLimits?: OutgoingLimits;
  /** Serves the UI's contract on /api/v1/bridge. */
  onBridgeConnection?: (socket: WebSocket, limits: OutgoingLimits) => void;
  log?: (line: string) => void;
}

export interface RunningServer {
  /** Where it listens (without the token). */
  url: string;
  port: number;
  close(): Promise<void>;
}

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

const INTERNAL_ERROR = 'something went wrong inside Utterly; the details are in its log';

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A request's address, parsed and with its path decoded; undefined when it is malformed. */
interface Target {
  url: URL;
  /** The path with its %-escapes decoded. */
  path: string;
}

function targetOf(request: IncomingMessage): Target | undefined {
  try {
    const raw = request.url ?? '/';
    if (!raw.startsWith('/')) return undefined;
    const url = new URL(raw, 'http://localhost');
    return { url, path: decodeURIComponent(url.pathname) };
  } catch {
    return undefined; // a % not followed by two hex digits, or not UTF-8
  }
}

const MALFORMED_URL = 'the address is malformed: a "%" must be followed by two hexadecimal digits of UTF-8';

async function serveStatic(staticDir: string | undefined, request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
  if (!staticDir) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('The web build of the UI is missing: run `npm run build` first.\n');
    return;
  }
  const root = resolve(staticDir);
  let file = normalize(join(root, pathname));
  if ((file !== root && !file.startsWith(root + sep)) || pathname.includes('\0')) {
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
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file).pipe(response);
}

/** Answers an upgrade request that is not taken, and ends the connection. */
function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };
  socket.on('error', () => undefined);
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => undefined);
  if (!isLoopbackHost(options.host) && !options.token) throw new Error(`listening on ${options.host}, which is not loopback, needs an access token`);
  const policy: AccessPolicy = { host: options.host, port: options.port, token: options.token };
  const limits = options.outgoingLimits ?? OUTGOING_LIMITS;
  const maxUploadBytes = options.maxUploadBytes ?? MAX_UPLOAD_BYTES;

  const http = createServer();
  const serve = (request: IncomingMessage, response: ServerResponse, expectsContinue = false) => {
    handleRequest(request, response, expectsContinue).catch((error: Error) => {
      const known = error instanceof HttpError;
      if (!known) log(`${request.method} ${targetOf(request)?.url.pathname ?? '(malformed)'}: ${error.message}`);
      if (!response.headersSent) sendJson(response, known ? error.status : 500, { error: known ? error.message : INTERNAL_ERROR });
      else response.destroy();
    });
  };
  http.on('request', (request, response) => serve(request, response));
  // `Expect: 100-continue` (curl, for large bodies): the body is asked for only once the request is taken.
  http.on('checkContinue', (request, response) => serve(request, response, true));

  async function handleRequest(request: IncomingMessage, response: ServerResponse, expectsContinue: boolean): Promise<void> {
    const target = targetOf(request);
    if (!target) return sendJson(response, 400, { error: MALFORMED_URL });
    const refusal = checkAccess(request, target.url, policy);
    if (refusal) return sendJson(response, refusal.status, { error: refusal.message }, refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    const { url } = target;
    const isApi = url.pathname.startsWith('/api/');
    // The browser opened the printed address: the token moves to a cookie, and out of the address bar.
    if (!isApi && request.method === 'GET' && queryTokenIsValid(url, policy)) {
      url.searchParams.delete(TOKEN_PARAM);
      response.writeHead(303, { location: url.pathname + url.search, 'set-cookie': tokenCookie(policy), 'cache-control': 'no-store' }).end();
      return;
    }
    if (request.method === 'GET' && url.pathname === '/api/v1/health') return sendJson(response, 200, { status: 'healthy' });
    if (isApi) return handleApiRequest(request, response, url, expectsContinue);
    if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'method not allowed' });
    if (expectsContinue) response.writeContinue();
    return serveStatic(options.staticDir, request, response, target.path);
  }

  async function handleApiRequest(request: IncomingMessage, response: ServerResponse, url: URL, expectsContinue: boolean): Promise<void> {
    const audio = AUDIO_PATH.exec(url.pathname);
    if (audio && (request.method === 'GET' || request.method === 'HEAD')) {
      const session = findSession(audio[1]!);
      if (!session) return sendJson(response, 404, { error: `there is no session ${audio[1]}` });
      if (!session.audio_path) return sendJson(response, 404, { error: `session "${session.title}" has no stored audio` });
      const mime = audioMimeOf(session.audio_path);
      return sendFileWithRanges(request, response, session.audio_path, mime, `the audio of session "${session.title}"`);
    }
    if (url.pathname === UPLOAD_PATH && request.method === 'POST' && options.uploadDir) {
      const name = url.searchParams.get('name');
      if (!name) return sendJson(response, 400, { error: 'the upload needs ?name=FILE' });
      // A body announced too large is refused before it is read; it is then read and dropped, so
      // that the client sees the answer rather than a reset connection.
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxUploadBytes) {
        request.resume();
        throw tooLarge(name, maxUploadBytes);
      }
      if (expectsContinue) response.writeContinue();
      return sendJson(response, 201, { path: await receiveUpload(request, options.uploadDir, name, maxUploadBytes) });
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

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, WebSocket: ServerSocket });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = targetOf(request);
    if (!target) return refuseUpgrade(socket, 400, MALFORMED_URL);
    const refusal = checkAccess(request, target.url, policy);
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.message);
    const path = target.url.pathname;
    const route =
      path === '/api/v1/simple' || path === '/api/v1/segmented'
        ? (ws: WebSocket) => handleStreamingConnection(ws, path.endsWith('simple') ? 'simple' : 'segmented', options.service, log, limits)
        : path === BRIDGE_SOCKET_PATH && options.onBridgeConnection
          ? (ws: WebSocket) => options.onBridgeConnection!(ws, limits)
          : undefined;
    if (!route) return refuseUpgrade(socket, 404, `no such WebSocket: ${path}`);
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
  policy.port = port;
  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    close: async () => {
      for (const client of sockets.clients) client.close(1001, 'server shutting down');
      await new Promise<void>((resolvePromise) => sockets.close(() => resolvePromise()));
      http.closeAllConnections();
      await new Promise<void>((resolvePromise) => http.close(() => resolvePromise()));
    },
  };
}
