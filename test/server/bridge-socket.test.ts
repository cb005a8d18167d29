// The contract over a WebSocket (src/main/server/bridge-socket.ts) and its client
// (src/renderer/src/lib/web-transport.ts): a real `ws` server on loopback over a real
// SessionService and engine, and real clients, well-behaved or not.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { openBackend, type Backend } from '../../src/main/backend';
import { createHandlers, type Bridge } from '../../src/main/bridge/handlers';
import { audioPathOf } from '../../src/shared/contract-methods';
import { handleBridgeConnection } from '../../src/main/server/bridge-socket';
import { connectWebTransport } from '../../src/renderer/src/lib/web-transport';
import type { Push, UtterlyApi } from '../../src/shared/contract';
import type { Session } from '../../src/shared/sessions';
import { chunked, dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';

let dataDir: string;
let backend: Backend;
let bridge: Bridge;
let server: WebSocketServer;
let url: string;

const FORMAT = { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } as const;

/**
 * ws's client as the browser's WebSocket, which the transport is written against. A browser
 * reports a failed connection as an `error` event, then `close`; ws also throws the error unless
 * someone listens for it.
 */
function transport(to = url): UtterlyApi {
  return connectWebTransport(to, (address) => new WebSocket(address).on('error', () => undefined) as unknown as globalThis.WebSocket);
}

/** A raw client: sends what it is told, collects every text message. */
async function rawClient() {
  const socket = new WebSocket(url);
  const messages: unknown[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    messages.push(JSON.parse(data.toString()));
    waiters.splice(0).forEach((wake) => wake());
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  /** The next message that matches, waiting for it if need be. */
  async function next(match: (message: any) => boolean): Promise<any> {
    for (;;) {
      const index = messages.findIndex(match);
      if (index >= 0) return messages.splice(index, 1)[0];
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }
  return { socket, next, answer: (id: unknown) => next((m) => 'id' in m && m.id === id) };
}

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function valueOf<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'utterly-bridge-socket-'));
  backend = openBackend({ dataDir, engine: { model: INSTANT_MODEL, poolSize: 2 } });
  bridge = createHandlers(backend.service, { getSettings: backend.getSettings, setSettings: backend.setSettings, audioUrl: audioPathOf });
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => handleBridgeConnection(socket, { ...bridge, service: backend.service }));
  await new Promise((resolve) => server.once('listening', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/bridge`;
});

afterAll(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise((resolve) => server?.close(resolve));
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('protocol', () => {
  it('answers requests by id', async () => {
    const { socket, answer } = await rawClient();
    socket.send(JSON.stringify({ id: 1, method: 'listSessions', params: {} }));
    socket.send(JSON.stringify({ id: 'two', method: 'listSessions' }));
    expect(await answer(1)).toEqual({ id: 1, result: { ok: true, value: { sessions: [], total: 0 } } });
    expect(await answer('two')).toMatchObject({ result: { ok: true } });
    socket.send(JSON.stringify({ id: 3, method: 'getSession', params: { id: crypto.randomUUID() } }));
    expect(await answer(3)).toMatchObject({ result: { ok: false, error: { code: 'not_found' } } });
    socket.close();
  });

  it('answers malformed messages with invalid_argument and stays open', async () => {
    const { socket, answer } = await rawClient();
    const refused = { ok: false, error: { code: 'invalid_argument', message: expect.any(String) } };
    for (const message of ['not json', '[1, 2', '', 'null', '42', '[]', '{}', '{"id": {}}', '{"id": null, "method": "listSessions"}', '{"id": true}']) {
      socket.send(message);
      expect(await answer(null), message).toEqual({ id: null, result: refused });
    }
    socket.send(JSON.stringify({ id: 7 }));
    expect(await answer(7)).toEqual({ id: 7, result: { ok: false, error: { code: 'invalid_argument', message: 'unknown method of type undefined' } } });
    socket.send(JSON.stringify({ id: 8, method: 'getSession', params: { id: 'x' } }));
    expect(await answer(8)).toMatchObject({ result: { ok: false, error: { code: 'invalid_argument', message: 'id must be a session id' } } });
    socket.send(JSON.stringify({ id: 9, method: 'listSessions', params: {} }));
    expect(await answer(9)).toMatchObject({ result: { ok: true } });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });

  it('pushes session changes to every client', async () => {
    const first = transport();
    const second = await rawClient();
    const pushes: Push[] = [];
    first.onPush((push) => pushes.push(push));
    const session = valueOf(await first.importFile({ path: dataFile('trailing-speech.wav'), title: 'pushed' }));
    await until(() => pushes.find((p) => p.kind === 'session' && p.session.id === session.id && p.session.status === 'done'));
    expect(pushes.some((p) => p.kind === 'event' && p.session_id === session.id)).toBe(true);
    const done = await second.next((m) => m.push?.kind === 'session' && m.push.session.id === session.id && m.push.session.status === 'done');
    expect(done.push.session.title).toBe('pushed');
    second.socket.close();
  });
});

describe('audio', () => {
  it('feeds binary frames to the recording they name', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const api = transport();
    const pushes: Push[] = [];
    const unsubscribe = api.onPush((push) => pushes.push(push));
    const session = valueOf(await api.startRecording({ format, title: 'over the socket' }));
    for (const chunk of chunked(bytes, [3_999, 12_800])) api.sendAudio(session.id, chunk.slice().buffer);
    const stopped = valueOf(await api.stopRecording({ id: session.id }));
    expect(stopped).toMatchObject({ status: 'done', duration: 10 });
    expect(readPcmWav(stopped.audio_path!).bytes).toEqual(bytes);
    const events = valueOf(await api.getEvents({ id: session.id, limit: 10_000 }));
    for (const channel of [0, 1]) expect(events.some((e) => e.type === 'segment' && e.is_final && e.channel === channel)).toBe(true);
    await until(() => pushes.find((p) => p.kind === 'session' && p.session.id === session.id && p.session.status === 'done'));
    expect(pushes.filter((p) => p.kind === 'event' && p.session_id === session.id).map((p) => (p as Extract<Push, { kind: 'event' }>).event)).toEqual(events);
    unsubscribe();
  });

  it('drops frames that name no live recording', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { socket, answer } = await rawClient();
      const before = bridge.droppedAudioChunks;
      socket.send(new Uint8Array(10));
      socket.send(Buffer.concat([Buffer.from(crypto.randomUUID(), 'ascii'), Buffer.alloc(100)]));
      socket.send(JSON.stringify({ id: 1, method: 'listSessions' }));
      await answer(1);
      expect(bridge.droppedAudioChunks).toBe(before + 2);
      socket.close();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('clients that go away', () => {
  it('keeps serving, and ends their recordings as interrupted, when one vanishes', async () => {
    // Every open connection holds one listener per service event; a closed one, none.
    const listeners = () => ['event', 'progress', 'finishing', 'changed'].map((name) => backend.service.listenerCount(name as 'event'));
    const serverSide = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const { socket, answer } = await rawClient();
    const closed = new Promise((resolve) => void serverSide.then((connection) => connection.once('close', resolve)));
    socket.send(JSON.stringify({ id: 1, method: 'startRecording', params: { format: FORMAT } }));
    const session: Session = valueOf((await answer(1)).result);
    const { bytes } = readPcmWav(dataFile('trailing-speech.wav'));
    socket.send(Buffer.concat([Buffer.from(session.id, 'ascii'), bytes]));
    socket.send(JSON.stringify({ id: 2, method: 'getSession', params: { id: session.id } }));
    await answer(2); // the audio, sent before, has arrived
    socket.terminate(); // no close handshake: the TCP connection just drops

    const ended = await until(() => {
      const current = backend.service.get(session.id);
      return current.status === 'recording' ? undefined : current;
    });
    expect(ended).toMatchObject({ status: 'interrupted', duration: 3.2 });
    expect(backend.service.events(session.id, { offset: 0, limit: 1000 }).some((e) => e.type === 'segment' && e.is_final)).toBe(true);
    await closed;
    expect(listeners()).toEqual(Array.from({ length: 4 }, () => server.clients.size));

    const api = transport();
    expect(valueOf(await api.getSession({ id: session.id })).status).toBe('interrupted');
  });

  it('closes a connection that breaks the WebSocket protocol, and goes on', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { socket } = await rawClient();
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.send(Buffer.from([0xc3, 0x28]), { binary: false }); // a text frame that is not UTF-8
      expect(await closed).toBe(1007);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/UTF-8/));
      expect((await transport().listSessions({})).ok).toBe(true);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('web transport', () => {
  it('fails pending and later calls once the socket closes', async () => {
    // A server that takes requests and never answers them.
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => silent.once('listening', resolve));
    try {
      const connected = new Promise<WebSocket>((resolve) => silent.once('connection', resolve));
      const api = transport(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`);
      const pending = api.listSessions({});
      const serverSide = await connected;
      await new Promise((resolve) => serverSide.once('message', resolve));
      serverSide.close();
      const closed = { ok: false, error: { code: 'internal', message: 'the connection to Utterly is closed' } };
      expect(await pending).toEqual(closed);
      expect(await api.getSession({ id: crypto.randomUUID() })).toEqual(closed);
      expect(() => api.sendAudio(crypto.randomUUID(), new ArrayBuffer(8))).not.toThrow();
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('fails calls when the server cannot be reached', async () => {
    const nowhere = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => nowhere.once('listening', resolve));
    const port = (nowhere.address() as AddressInfo).port;
    await new Promise((resolve) => nowhere.close(resolve));
    const api = transport(`ws://127.0.0.1:${port}/`);
    expect(await api.listSessions({})).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});
