// Clear answers for what goes wrong: a message over the size limit (an error first, then 1009
// with a reason), a malformed URL (400), an upload over the limit (413, never a reset
// connection), odd upload names (stored under a sane name), missing audio (404, and getAudioUrl
// refuses too). No message names a path on the server. Real sockets against the in-process server.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { openBackend, type Backend } from '../../src/main/backend';
import { createHandlers, invoke, type Bridge } from '../../src/main/bridge/handlers';
import { handleBridgeConnection } from '../../src/main/server/bridge-socket';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { audioPathOf, UPLOAD_PATH } from '../../src/shared/contract-methods';
import type { Session } from '../../src/shared/sessions';
import { dataFile, INSTANT_MODEL } from '../support/helpers';

const MAX_UPLOAD = 2 ** 20;

let dir: string;
let backend: Backend;
let bridge: Bridge;
/** Uploads up to 1 MiB. */
let server: RunningServer;
/** The default limit, 4 GiB. */
let roomy: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'utterly-errors-'));
  backend = openBackend({ dataDir: dir, engine: { model: INSTANT_MODEL, poolSize: 1 } });
  bridge = createHandlers(backend.service, { getSettings: backend.getSettings, setSettings: backend.setSettings, audioUrl: audioPathOf });
  const options = {
    host: '127.0.0.1',
    port: 0,
    service: backend.service,
    uploadDir: backend.uploadDir,
    staticDir: join(dir, 'static'),
    onBridgeConnection: (socket: WebSocket, limits: Parameters<typeof handleBridgeConnection>[1]['limits']) =>
      handleBridgeConnection(socket, { connect: bridge.connect, service: backend.service, limits }),
  };
  server = await startServer({ ...options, maxUploadBytes: MAX_UPLOAD });
  roomy = await startServer(options);
});

afterAll(async () => {
  await server?.close();
  await roomy?.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An HTTP request; `body` is sent in pieces when it is an array (chunked, no length). */
function send(
  target: RunningServer,
  path: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | Buffer[]; agent?: Agent } = {},
) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const request = httpRequest(`${target.url}${path}`, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent }, (response) => {
      let text = '';
      const json = response.headers['content-type'] === 'application/json';
      response.on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: response.statusCode!, body: json ? JSON.parse(text) : text.length }));
    });
    request.on('error', reject);
    if (Array.isArray(options.body)) for (const piece of options.body) request.write(piece);
    request.end(Array.isArray(options.body) ? undefined : options.body);
  });
}

const upload = (target: RunningServer, name: string, body: Buffer | Buffer[], agent?: Agent) =>
  send(target, `${UPLOAD_PATH}?name=${encodeURIComponent(name)}`, { method: 'POST', body, agent });

/** No answer may show where the server keeps its files. */
const expectNoServerPath = (answer: unknown) => {
  expect(JSON.stringify(answer)).not.toContain(dir);
  expect(JSON.stringify(answer)).not.toMatch(/E[A-Z]{3,}: /); // a raw Node error ("ENOENT: no such file ...")
};

describe('a message over the size limit', () => {
  const huge = () => Buffer.alloc(64 * 2 ** 20);
  const reason = 'the message is larger than 16 MB, the most this server takes';

  async function overflow(path: string) {
    const socket = new WebSocket(server.url.replace('http', 'ws') + path);
    const messages: any[] = [];
    let errorsBeforeClose = 0;
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    socket.on('error', () => undefined);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, why) => {
        errorsBeforeClose = messages.length;
        resolve({ code, reason: String(why) });
      }),
    );
    await new Promise((resolve) => socket.once('open', resolve));
    return { socket, messages, closed, errorsBeforeClose: () => errorsBeforeClose };
  }

  it('on a streaming socket: an error event first, then close 1009 with the reason; the stream is kept, interrupted', async () => {
    const client = await overflow('/api/v1/segmented');
    client.socket.send(JSON.stringify({ request: 'start', format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } }));
    client.socket.send(Buffer.alloc(32_000));
    client.socket.send(huge());
    expect(await client.closed).toEqual({ code: 1009, reason });
    expect(client.messages).toContainEqual({ channel: 0, type: 'error', message: reason });
    expect(client.errorsBeforeClose()).toBeGreaterThan(0);
    await expect.poll(() => backend.service.list({ limit: 100, offset: 0 }).sessions.find((s) => s.source === 'api')?.status).toBe('interrupted');
  });

  it('on the bridge socket: an answer with the error first, then close 1009 with the reason', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const client = await overflow('/api/v1/bridge');
      client.socket.send(JSON.stringify({ id: 1, method: 'listSessions' }));
      client.socket.send(huge());
      expect(await client.closed).toEqual({ code: 1009, reason });
      expect(client.messages.at(-1)).toEqual({ id: null, result: { ok: false, error: { code: 'invalid_argument', message: reason } } });
    } finally {
      warn.mockRestore();
    }
  });
});

describe('a malformed URL', () => {
  it('is answered 400 with a message, on every route', async () => {
    const malformed = { status: 400, body: { error: 'the address is malformed: a "%" must be followed by two hexadecimal digits of UTF-8' } };
    for (const path of ['/%', '/index%2.html', '/%E0%A4%A', '/%C0%80', '/api/v1/sessions/%zz/audio', '/api/v1/health%']) {
      expect(await send(server, path), path).toEqual(malformed);
    }
    const socket = new WebSocket(server.url.replace('http', 'ws') + '/api/v1/%zz');
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode!));
      socket.on('error', () => undefined);
    });
    expect(status).toBe(400);
  });
});

describe('uploads', () => {
  it('stores odd names under sane ones, in the uploads folder, with the bytes intact', async () => {
    const bytes = readFileSync(dataFile('trailing-speech.wav'));
    const long = 'x'.repeat(300) + '.wav';
    const wide = 'é'.repeat(150) + '.wav';
    const cases: [string, RegExp][] = [
      ['..', /^upload$/],
      ['.', /^upload$/],
      ['...', /^upload$/],
      ['.wav', /^upload\.wav$/],
      ['../../etc/passwd', /^passwd$/],
      ['C:\\Users\\me\\talk.wav', /^talk\.wav$/],
      ['a:b*c?.wav', /^a_b_c_\.wav$/],
      [long, /^x{196}\.wav$/],
      [wide, /^é{98}\.wav$/],
    ];
    for (const [name, expected] of cases) {
      const answer = await upload(server, name, bytes);
      expect(answer.status, name).toBe(201);
      const { path } = answer.body as { path: string };
      expect(basename(path), name).toMatch(expected);
      expect(Buffer.byteLength(basename(path))).toBeLessThanOrEqual(200);
      expect(dirname(dirname(path))).toBe(backend.uploadDir);
      expect(readFileSync(path).equals(bytes)).toBe(true);
    }
  });

  it('refuses one over the limit with 413 naming the file, leaving nothing behind, and the connection usable', async () => {
    const before = readdirSync(backend.uploadDir).length;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const tooBig = Buffer.alloc(MAX_UPLOAD + 1);
      const message = '"big.wav" is larger than 1 MiB, the most the server takes';
      // Announced by its length: refused before it is read.
      expect(await upload(server, 'big.wav', tooBig, agent)).toEqual({ status: 413, body: { error: message } });
      // Sent in pieces with no length: refused once the limit is passed.
      const pieces = Array.from({ length: 9 }, () => Buffer.alloc(MAX_UPLOAD / 8));
      expect(await upload(server, 'big.wav', pieces, agent)).toEqual({ status: 413, body: { error: message } });
      // The same connection goes on: the rest of the body was read and dropped.
      expect((await upload(server, 'small.wav', Buffer.alloc(1000), agent)).status).toBe(201);
      expect(readdirSync(backend.uploadDir).length).toBe(before + 1);
    } finally {
      agent.destroy();
    }
  });

  it('refuses a body announced over 4 GiB at once, with 413 rather than a reset', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${roomy.url}${UPLOAD_PATH}?name=huge.wav`, { method: 'POST', headers: { 'content-length': 5 * 2 ** 30 } }, (response) => {
        let body = '';
        response
          .on('data', (chunk) => (body += chunk))
          .on('end', () => {
            resolve({ status: response.statusCode!, body });
            request.destroy();
          });
      });
      request.on('error', reject);
      request.write(Buffer.alloc(2 ** 20)); // the start of the body; the answer comes without the rest
    });
    expect(answer).toEqual({ status: 413, body: JSON.stringify({ error: '"huge.wav" is larger than 4 GiB, the most the server takes' }) });
    // With `Expect: 100-continue` the body is never asked for.
    const status = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(roomy.url);
      const socket = tcpConnect(Number(port), '127.0.0.1', () =>
        socket.write(`POST ${UPLOAD_PATH}?name=huge.wav HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${5 * 2 ** 30}\r\nExpect: 100-continue\r\n\r\n`),
      );
      socket.once('data', (chunk) => {
        resolve(String(chunk).split('\r\n')[0]!);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 413 Payload Too Large');
  });

  it('says why it could not store one, naming the file and no server path', async () => {
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, 'a file where the uploads folder should be');
    const broken = await startServer({ host: '127.0.0.1', port: 0, service: backend.service, uploadDir: blocked });
    try {
      const answer = await upload(broken, 'talk.wav', Buffer.alloc(1000));
      expect(answer).toEqual({ status: 500, body: { error: expect.stringMatching(/^"talk\.wav" could not be stored/) } });
      expectNoServerPath(answer);
    } finally {
      await broken.close();
    }
  });
});

describe('missing audio', () => {
  it('is a 404 naming the session, and getAudioUrl says so too', async () => {
    const queued = await backend.service.importFile(dataFile('trailing-speech.wav'), { mode: 'segmented', interim_results: false }, 'Lost talk');
    await expect.poll(() => backend.service.get(queued.id).status).toBe('done');
    const session: Session = backend.service.get(queued.id);
    expect((await send(server, audioPathOf(session.id))).status).toBe(200);
    expect(await invoke(bridge.connect().handlers, 'getAudioUrl', { id: session.id })).toMatchObject({ ok: true });
    rmSync(session.audio_path!);

    const answer = await send(server, audioPathOf(session.id));
    expect(answer).toEqual({ status: 404, body: { error: `the audio of session "Lost talk" is missing from the server's data folder` } });
    expectNoServerPath(answer);
    const url = await invoke(bridge.connect().handlers, 'getAudioUrl', { id: session.id });
    expect(url).toEqual({ ok: false, error: { code: 'failed_precondition', message: 'the audio of session "Lost talk" is missing from the data folder' } });
    expect((await send(server, audioPathOf(crypto.randomUUID()))).status).toBe(404);
  });
});
