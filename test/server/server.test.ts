// The local server with a real WebSocket client: the seed's protocol, several rounds per
// connection, bad traffic, and no result lost through the socket.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { UPLOAD_PATH, audioPathOf } from '../../src/shared/contract-methods';
import { WebSocket } from 'ws';
import type { ApiResponse, AudioFormat } from '../../src/shared/api';
import { openBackend, type Backend } from '../../src/main/backend';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { chunked, dataFile, encodePcm, engine, finals, INSTANT_MODEL, readPcmWav, runBytes, seededRandom, startMessage } from '../support/helpers';
import type { StreamingContext } from '../../src/main/engine/streaming-context';

let backend: Backend;
let server: RunningServer;
let reference: StreamingContext;

beforeAll(async () => {
  backend = openBackend({ dataDir: mkdtempSync(join(tmpdir(), 'utterly-server-')), engine: { model: INSTANT_MODEL, poolSize: 2 } });
  server = await startServer({ host: '127.0.0.1', port: 0, service: backend.service, uploadDir: backend.uploadDir });
  reference = await engine();
});
afterAll(async () => {
  await server.close();
  await backend.close();
  await reference.close();
});

const wsUrl = (path: string) => server.url.replace('http', 'ws') + path;

/** A client of the seed's protocol that collects every message it gets. */
async function connect(path: string) {
  const socket = new WebSocket(wsUrl(path));
  const received: ApiResponse[] = [];
  let closed: { code: number; reason: string } | undefined;
  socket.on('message', (data) => received.push(JSON.parse(String(data))));
  socket.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const waitFor = async (condition: () => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the server');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { socket, received, closed: () => closed, waitFor };
}

type Client = Awaited<ReturnType<typeof connect>>;

/** One start/stop round; resolves when the final results are in (a marker round-trip proves it). */
async function round(client: Client, format: AudioFormat, chunks: Uint8Array[], interim = false): Promise<ApiResponse[]> {
  const before = client.received.length;
  client.socket.send(JSON.stringify({ request: 'start', format, interim_results: interim }));
  for (const chunk of chunks) client.socket.send(chunk);
  client.socket.send(JSON.stringify({ request: 'stop', disconnect: false }));
  // The server answers messages in order: an error for a stray stop comes after every result of this round.
  client.socket.send(JSON.stringify({ request: 'stop', disconnect: false }));
  await client.waitFor(() => client.received.slice(before).some((e) => e.type === 'error' && e.message.startsWith('no stream to stop')));
  return client.received.slice(before, -1);
}

const settled = (events: ApiResponse[]) => events.filter((e) => e.type !== 'segment' || e.is_final !== false);

describe('server', () => {
  it('answers the health check', async () => {
    const response = await fetch(`${server.url}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'healthy' });
  });

  it('loses nothing through the socket: random chunking of s16 stereo and f32 mono, several rounds per connection', async () => {
    const client = await connect('/api/v1/segmented');
    const stereo = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const random = seededRandom(42);
    const mono = readPcmWav(dataFile('trailing-speech.wav'));
    const f32mono: AudioFormat = { channels: 1, sample_rate: 16000, bit_depth: 32, is_float: true };
    const monoFloat = encodePcm(
      [Float32Array.from({ length: mono.bytes.length / 2 }, (_, i) => new DataView(mono.bytes.buffer, mono.bytes.byteOffset).getInt16(i * 2, true) / 32768)],
      f32mono,
    );

    for (const [format, bytes] of [
      [stereo.format, stereo.bytes],
      [f32mono, monoFloat],
      [stereo.format, stereo.bytes],
    ] as const) {
      const chunks = chunked(bytes, () => 1 + Math.floor(random() * 20000));
      const viaSocket = await round(client, format, chunks, true);
      const direct = await runBytes(reference, 'segmented', startMessage(format), [bytes]);
      for (let channel = 0; channel < format.channels; channel++) {
        // Times start at zero in every round; finals and activity are exactly the engine's.
        expect(settled(viaSocket).filter((e) => e.channel === channel)).toEqual(direct.filter((e) => e.channel === channel));
        expect(finals(viaSocket, channel).length).toBeGreaterThan(0);
      }
      expect(viaSocket.some((e) => e.type === 'segment' && e.is_final === false)).toBe(true);
    }
    client.socket.close();
    const { sessions } = backend.service.list({ limit: 10, offset: 0 });
    expect(sessions.filter((s) => s.source === 'api' && s.status === 'done').length).toBeGreaterThanOrEqual(3);
  });

  it('gives each of two clients streaming at once the results of its own audio and of nothing else', async () => {
    const stereo = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const mono = readPcmWav(dataFile('trailing-speech.wav'));
    const [first, second] = await Promise.all([connect('/api/v1/segmented'), connect('/api/v1/segmented')]);
    const [viaFirst, viaSecond] = await Promise.all([
      round(first, stereo.format, chunked(stereo.bytes, [6400])),
      round(second, mono.format, chunked(mono.bytes, [3200])),
    ]);
    for (const [events, { format, bytes }] of [
      [viaFirst, stereo],
      [viaSecond, mono],
    ] as const) {
      const direct = await runBytes(reference, 'segmented', startMessage(format), [bytes]);
      expect(events.length).toBe(direct.length);
      for (let channel = 0; channel < format.channels; channel++) {
        expect(settled(events).filter((e) => e.channel === channel)).toEqual(direct.filter((e) => e.channel === channel));
      }
    }
    first.socket.close();
    second.socket.close();
  });

  it('runs the simple runner on /api/v1/simple: one response per chunk', async () => {
    const client = await connect('/api/v1/simple');
    const format: AudioFormat = { channels: 1, sample_rate: 16000, bit_depth: 16, is_float: false };
    const chunks = chunked(encodePcm([new Float32Array(16000).fill(0.1)], format), [3200]);
    const events = await round(client, format, chunks);
    expect(events).toHaveLength(chunks.length);
    expect(events.reduce((n, e) => n + (e.type === 'segment' ? e.count : 0), 0)).toBe(16000);
    client.socket.close();
  });

  it('closes normally after the last result when stop asks to disconnect', async () => {
    const client = await connect('/api/v1/segmented');
    const { format, bytes } = readPcmWav(dataFile('vad-node-test.wav'));
    client.socket.send(JSON.stringify({ request: 'start', format }));
    client.socket.send(bytes);
    client.socket.send(JSON.stringify({ request: 'stop', disconnect: true }));
    await client.waitFor(() => client.closed() !== undefined);
    expect(client.closed()!.code).toBe(1000);
    expect(finals(client.received)).toHaveLength(1);
  });

  it('answers bad traffic with an error event naming the problem, and goes on serving', async () => {
    const client = await connect('/api/v1/segmented');
    const error = async (send: () => void, pattern: RegExp) => {
      const before = client.received.length;
      send();
      await client.waitFor(() => client.received.length > before);
      expect(client.received.at(-1)).toMatchObject({ channel: 0, type: 'error', message: expect.stringMatching(pattern) });
    };
    await error(() => client.socket.send(new Uint8Array([1, 2, 3])), /audio received before start/);
    await error(() => client.socket.send('{"request": "start", "format": '), /malformed message: not JSON/);
    await error(() => client.socket.send(JSON.stringify({ request: 'pause' })), /request must be "start" or "stop"/);
    await error(
      () => client.socket.send(JSON.stringify({ request: 'start', format: { channels: 2, sample_rate: 1e9, bit_depth: 16, is_float: false } })),
      /format\.sample_rate: .*at most 384000/,
    );
    await error(
      () => client.socket.send(JSON.stringify({ request: 'start', format: { channels: 1, sample_rate: 16000, bit_depth: 12, is_float: false } })),
      /format\.bit_depth/,
    );
    await error(() => client.socket.send(JSON.stringify({ request: 'stop' })), /no stream to stop/);
    // After all that, the same connection still works.
    const { format, bytes } = readPcmWav(dataFile('vad-node-test.wav'));
    const events = await round(client, format, [bytes]);
    expect(finals(events)).toHaveLength(1);
    client.socket.close();
  });

  it('takes an upload to import, and serves the session audio with byte ranges for seeking', async () => {
    const original = readFileSync(dataFile('vad-node-test.wav'));
    const upload = await fetch(`${server.url}${UPLOAD_PATH}?name=${encodeURIComponent('my recording.wav')}`, { method: 'POST', body: original });
    expect(upload.status).toBe(201);
    const { path } = (await upload.json()) as { path: string };
    expect(path.startsWith(backend.uploadDir)).toBe(true);
    expect(readFileSync(path)).toEqual(original);

    const session = await backend.service.importFile(path, { mode: 'segmented', interim_results: false }, 'my recording');
    const whole = await fetch(`${server.url}${audioPathOf(session.id)}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(original);
    const part = await fetch(`${server.url}${audioPathOf(session.id)}`, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${original.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(original.subarray(1000, 2000));
    expect((await fetch(`${server.url}${audioPathOf('00000000-0000-4000-8000-000000000000')}`)).status).toBe(404);
    expect((await fetch(`${server.url}${UPLOAD_PATH}`, { method: 'POST', body: 'x' })).status).toBe(400);
  });

  it('refuses WebSockets opened by other web pages, and requests naming another host', async () => {
    const refused = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(wsUrl(path), { headers });
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('open', () => resolve(101));
        socket.on('error', () => undefined);
      });
    expect(await refused('/api/v1/segmented', { origin: 'https://evil.example' })).toBe(403);
    expect(await refused('/api/v1/segmented', { host: 'evil.example' })).toBe(403);
    expect(await refused('/api/v1/segmented', { origin: server.url })).toBe(101);
    const response = await new Promise<number>((resolve) => {
      httpGet(`${server.url}/api/v1/health`, { headers: { host: 'rebound.example:80' } }, (res) => resolve(res.statusCode ?? 0));
    });
    expect(response).toBe(403);
  });

  it('keeps what a client sent before vanishing, marked interrupted, and serves the others', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const vanishing = await connect('/api/v1/segmented');
    const other = await connect('/api/v1/segmented');
    vanishing.socket.send(JSON.stringify({ request: 'start', format }));
    vanishing.socket.send(bytes.subarray(0, bytes.length / 2));
    await vanishing.waitFor(() => vanishing.received.some((e) => e.type === 'active'));
    vanishing.socket.terminate();

    const events = await round(other, format, chunked(bytes, [6400]));
    expect(finals(events, 0)).toHaveLength(1);
    expect(finals(events, 1)).toHaveLength(1);
    other.socket.close();

    await vanishing.waitFor(() => backend.service.list({ limit: 50, offset: 0 }).sessions.some((s) => s.status === 'interrupted'));
    const interrupted = backend.service.list({ limit: 50, offset: 0 }).sessions.find((s) => s.status === 'interrupted')!;
    expect(interrupted.error).toMatch(/disconnected before stop/);
    expect(interrupted.duration).toBeCloseTo(5, 1);
    expect(finals(backend.service.events(interrupted.id, { offset: 0, limit: 1000 }), 0)).toHaveLength(1);
  });
});
