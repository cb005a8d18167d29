// Who may use the server (src/main/server/access.ts). On loopback: only requests whose Host is
// exactly a loopback name with the server's port, and browser Origins that are its own (no DNS
// rebinding). Elsewhere (`--host 0.0.0.0`): only with the access token it printed, as a header,
// a query parameter or the cookie a browser gets from the printed address; and the web UI works
// in a real browser opened at that address.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openBackend, type Backend } from '../../src/main/backend';
import { createHandlers } from '../../src/main/bridge/handlers';
import { handleBridgeConnection } from '../../src/main/server/bridge-socket';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { audioPathOf, UPLOAD_PATH } from '../../src/shared/contract-methods';
import { startCliServer, type CliServer } from '../support/cli-server';
import { CHROMIUM } from '../support/chromium';
import { dataFile, INSTANT_MODEL } from '../support/helpers';

const SOCKET_PATHS = ['/api/v1/simple', '/api/v1/segmented', '/api/v1/bridge'];

/** An HTTP request with exactly these headers (no Host unless given): status, headers and body. */
function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, path, method, headers, setHost: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject).end();
  });
}

/** Opens a WebSocket with these headers: 101 when it opens, else the refusal's status and body. */
function upgrade(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body?: string; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(base.replace('http', 'ws') + path, { headers });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk)).on('end', () => resolve({ status: response.statusCode!, body }));
    });
    socket.on('open', () => resolve({ status: 101, socket }));
    socket.on('error', () => undefined);
  });
}

/** A raw request, for what no HTTP client sends (no Host at all). Resolves with the status line. */
function raw(base: string, text: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => socket.write(text));
    let received = '';
    socket
      .on('data', (chunk) => (received += chunk))
      .on('end', () => resolve(received.split('\r\n')[0]!))
      .on('error', reject);
  });
}

describe('on loopback', () => {
  let dir: string;
  let backend: Backend;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'utterly-trust-'));
    backend = openBackend({ dataDir: dir, engine: { model: INSTANT_MODEL, poolSize: 1 } });
    const bridge = createHandlers(backend.service, { getSettings: backend.getSettings, setSettings: backend.setSettings, audioUrl: audioPathOf });
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      service: backend.service,
      uploadDir: backend.uploadDir,
      onBridgeConnection: (socket, limits) => handleBridgeConnection(socket, { connect: bridge.connect, service: backend.service, limits }),
    });
    port = server.port;
  });

  afterAll(async () => {
    await server?.close();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a Host that is not exactly a loopback name with its port: DNS rebinding, another port, none', async () => {
    const foreign = [
      `127.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `localhost:${port + 1}`,
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      `localhost.:${port}`,
      `evil.example:${port}`,
      `127.0.0.2:${port}`,
    ];
    for (const host of foreign) {
      const health = await get(server.url, '/api/v1/health', { host });
      expect(health.status, host).toBe(403);
      expect(JSON.parse(health.body).error).toBe(`Host "${host}" is not this server: use http://127.0.0.1:${port}`);
      expect((await get(server.url, '/', { host })).status, host).toBe(403);
      expect((await get(server.url, `${UPLOAD_PATH}?name=x.wav`, { host }, 'POST')).status, host).toBe(403);
      for (const path of SOCKET_PATHS)
        expect(await upgrade(server.url, path, { host }), `${host} ${path}`).toMatchObject({
          status: 403,
          body: expect.stringContaining('is not this server'),
        });
    }
    // No Host at all: HTTP/1.1 requires one (Node refuses it); HTTP/1.0 does not, but the server does.
    expect(await raw(server.url, 'GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw(server.url, 'GET /api/v1/health HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.[01] 400 /);
    expect(
      await raw(
        server.url,
        'GET /api/v1/bridge HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    ).toBe('HTTP/1.1 400 Bad Request');
  });

  it('serves a Host that names loopback with its port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`]) {
      expect((await get(server.url, '/api/v1/health', { host })).status, host).toBe(200);
      for (const path of SOCKET_PATHS) {
        const { status, socket } = await upgrade(server.url, path, { host });
        expect(status, `${host} ${path}`).toBe(101);
        socket!.close();
      }
    }
  });

  it('refuses requests from another web origin, and serves its own', async () => {
    const host = `127.0.0.1:${port}`;
    for (const origin of [
      'https://evil.example',
      `http://127.evil.example:${port}`,
      `http://localhost:${port + 1}`,
      `http://localhost:${port}`,
      'null',
      `file://`,
    ]) {
      const health = await get(server.url, '/api/v1/health', { host, origin });
      expect(health.status, origin).toBe(403);
      expect(JSON.parse(health.body).error).toMatch(/^requests from .* are not allowed/);
      for (const path of SOCKET_PATHS) expect((await upgrade(server.url, path, { host, origin })).status, `${origin} ${path}`).toBe(403);
    }
    for (const [ownHost, origin] of [
      [host, `http://${host}`],
      [`localhost:${port}`, `http://localhost:${port}`],
    ] as const) {
      expect((await get(server.url, '/api/v1/health', { host: ownHost, origin })).status).toBe(200);
      const { status, socket } = await upgrade(server.url, '/api/v1/bridge', { host: ownHost, origin });
      expect(status).toBe(101);
      socket!.close();
    }
  });

  it('will not listen elsewhere than on loopback without a token', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, service: backend.service })).rejects.toThrow(/not loopback, needs an access token/);
  });
});

describe('cli serve --host 0.0.0.0', () => {
  let dir: string;
  let server: CliServer;
  /** Where the test reaches it (it listens on every address). */
  let base: string;
  let token: string;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'utterly-token-'));
    const model = join(dir, 'model.json');
    writeFileSync(model, JSON.stringify({ model: INSTANT_MODEL }));
    server = await startCliServer(join(dir, 'data'), model, ['--host', '0.0.0.0']);
    port = Number(new URL(server.url).port);
    base = `http://127.0.0.1:${port}`;
    token = server.token!;
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints an access token and the address to open with it', async () => {
    expect(server.url).toBe(`http://0.0.0.0:${port}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => server.stdout()).toMatch(new RegExp(`^Open http://\\S+:${port}/\\?token=${token} `, 'm'));
  });

  it('refuses every request and socket without the right token', async () => {
    const wrong = 'x'.repeat(token.length);
    const shown: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${wrong}` },
      { authorization: token },
      { cookie: `utterly-token-${port}=${wrong}` },
      { cookie: `utterly-token-${port + 1}=${token}` },
    ];
    for (const headers of shown) {
      const all = { host: `127.0.0.1:${port}`, ...headers };
      const health = await get(base, '/api/v1/health', all);
      expect(health.status, JSON.stringify(headers)).toBe(401);
      expect(health.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.parse(health.body).error).toMatch(/needs its access token/);
      expect((await get(base, '/', all)).status).toBe(401);
      expect((await get(base, audioPathOf(crypto.randomUUID()), all)).status).toBe(401);
      expect((await get(base, `${UPLOAD_PATH}?name=x.wav`, all, 'POST')).status).toBe(401);
      for (const path of SOCKET_PATHS)
        expect(await upgrade(base, path, all), path).toMatchObject({ status: 401, body: expect.stringContaining('access token') });
    }
    expect((await get(base, `/api/v1/health?token=${wrong}`, { host: `127.0.0.1:${port}` })).status).toBe(401);
    expect((await upgrade(base, `/api/v1/bridge?token=${wrong}`)).status).toBe(401);
  });

  it('serves whoever shows it, whatever name it used for the machine; other web origins are still refused', async () => {
    for (const host of [`127.0.0.1:${port}`, `my-machine.lan:${port}`, `192.168.1.20:${port}`]) {
      expect((await get(base, '/api/v1/health', { host, authorization: `Bearer ${token}` })).status, host).toBe(200);
      expect((await get(base, `/api/v1/health?token=${token}`, { host })).status, host).toBe(200);
      expect((await get(base, '/api/v1/health', { host, cookie: `other=1; utterly-token-${port}=${token}` })).status, host).toBe(200);
    }
    for (const path of SOCKET_PATHS) {
      const viaQuery = await upgrade(base, `${path}?token=${token}`);
      expect(viaQuery.status, path).toBe(101);
      viaQuery.socket!.close();
      const viaHeader = await upgrade(base, path, { authorization: `Bearer ${token}` });
      expect(viaHeader.status, path).toBe(101);
      viaHeader.socket!.close();
    }
    const host = `my-machine.lan:${port}`;
    expect((await get(base, '/api/v1/health', { host, origin: 'https://evil.example', authorization: `Bearer ${token}` })).status).toBe(403);
    expect((await upgrade(base, `/api/v1/bridge?token=${token}`, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await get(base, '/api/v1/health', { host, origin: `http://${host}`, authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('moves the token of the printed address into an HttpOnly, SameSite=Strict cookie, which then serves the page and its sockets', async () => {
    const opened = await get(base, `/?token=${token}`, { host: `127.0.0.1:${port}` });
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/');
    expect(opened.headers['set-cookie']).toEqual([`utterly-token-${port}=${token}; Path=/; HttpOnly; SameSite=Strict`]);
    const deeper = await get(base, `/sessions?x=1&token=${token}`, { host: `127.0.0.1:${port}` });
    expect(deeper.headers.location).toBe('/sessions?x=1');
    const cookie = `utterly-token-${port}=${token}`;
    expect((await get(base, '/', { host: `127.0.0.1:${port}`, cookie })).status).toBe(200);
    const { status, socket } = await upgrade(base, '/api/v1/bridge', { cookie, origin: base });
    expect(status).toBe(101);
    socket!.close();
  });

  it.skipIf(!existsSync(CHROMIUM) || !existsSync('out/renderer/index.html'))(
    'runs the web UI in a browser opened at the printed address: pages, uploads, pushes and audio',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
      });
      try {
        const page = await browser.newPage();
        page.on('pageerror', (error) => console.error('page error:', error.message));
        await page.goto(`${base}/?token=${token}`);
        expect(new URL(page.url()).search).toBe('');
        // The page's script cannot read the token.
        expect(await page.evaluate(() => document.cookie)).toBe('');
        await page.locator('input[type=file]').setInputFiles([dataFile('stereo-two-speakers.ogg')]);
        const item = page.locator('.imports li', { hasText: 'stereo-two-speakers.ogg' });
        await item.getByText('Done').waitFor({ timeout: 30_000 });
        await item.getByRole('button', { name: 'Open' }).click();
        await expect.poll(() => page.locator('.results .row.kind-final').count(), { timeout: 30_000 }).toBe(2);
        await expect.poll(() => page.locator('audio').evaluate((a: HTMLAudioElement) => a.readyState), { timeout: 10_000 }).toBeGreaterThan(0);
        // Without the cookie, the same address is refused.
        const stranger = await browser.newPage();
        const refused = await stranger.goto(base);
        expect(refused!.status()).toBe(401);
      } finally {
        await browser.close();
      }
    },
  );
});
