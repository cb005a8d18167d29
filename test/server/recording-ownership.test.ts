// A live recording obeys only the connection that started it: another bridge client that knows
// its id (every client is pushed it) can neither feed it audio nor stop it, and the owner's own
// stop still works. Real sockets against the in-process server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { openBackend, type Backend } from '../../src/main/backend';
import { createHandlers, invoke, type Bridge } from '../../src/main/bridge/handlers';
import { handleBridgeConnection } from '../../src/main/server/bridge-socket';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { audioPathOf } from '../../src/shared/contract-methods';
import type { Session } from '../../src/shared/sessions';
import { dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';

let dir: string;
let backend: Backend;
let bridge: Bridge;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'utterly-ownership-'));
  backend = openBackend({ dataDir: dir, engine: { model: INSTANT_MODEL, poolSize: 1 } });
  bridge = createHandlers(backend.service, { getSettings: backend.getSettings, setSettings: backend.setSettings, audioUrl: audioPathOf });
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    service: backend.service,
    onBridgeConnection: (socket, limits) => handleBridgeConnection(socket, { connect: bridge.connect, service: backend.service, limits }),
  });
});

afterAll(async () => {
  await server?.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A bridge client that collects every text message. */
async function client() {
  const socket = new WebSocket(server.url.replace('http', 'ws') + '/api/v1/bridge');
  const messages: any[] = [];
  socket.on('message', (data, isBinary) => !isBinary && messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let next = 0;
  const until = async <T>(probe: () => T | undefined): Promise<T> => {
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
      const found = probe();
      if (found !== undefined) return found;
    }
    throw new Error('timed out');
  };
  const call = async (method: string, params: unknown) => {
    const id = ++next;
    socket.send(JSON.stringify({ id, method, params }));
    return (await until(() => messages.find((m) => m.id === id))).result;
  };
  const audio = (sessionId: string, bytes: Uint8Array) => socket.send(Buffer.concat([Buffer.from(sessionId, 'ascii'), bytes]));
  return { socket, messages, call, audio, until };
}

const FORMAT = { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } as const;

describe('a recording and another connection', () => {
  it('refuses audio and stop from any connection but the one that started it; the owner stops it', async () => {
    const { bytes } = readPcmWav(dataFile('trailing-speech.wav'));
    const owner = await client();
    const intruder = await client();
    const started = await owner.call('startRecording', { format: FORMAT, title: 'mine' });
    const session: Session = started.value;
    // The intruder was told of it, id and all.
    await intruder.until(() => intruder.messages.find((m) => m.push?.kind === 'session' && m.push.session.id === session.id));

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const dropped = bridge.droppedAudioChunks;
    try {
      intruder.audio(session.id, bytes.subarray(0, bytes.length / 2));
      intruder.audio(session.id, bytes.subarray(0, 1000));
      const refusal = await intruder.until(() => intruder.messages.find((m) => m.id === null));
      expect(refusal.result).toEqual({
        ok: false,
        error: {
          code: 'failed_precondition',
          message: `audio refused: session ${session.id} is recorded by another connection: only the one that started it may send its audio or stop it`,
        },
      });
      expect(await intruder.call('stopRecording', { id: session.id })).toEqual({
        ok: false,
        error: {
          code: 'failed_precondition',
          message: `session ${session.id} is recorded by another connection: only the one that started it may send its audio or stop it`,
        },
      });
      // One refusal per recording, not one per frame; both frames were dropped.
      expect(intruder.messages.filter((m) => m.id === null)).toHaveLength(1);
      expect(bridge.droppedAudioChunks).toBe(dropped + 2);
    } finally {
      warn.mockRestore();
    }
    // Nor can the local caller (the desktop window's handlers) stop it.
    expect(await invoke(bridge.connect().handlers, 'stopRecording', { id: session.id })).toMatchObject({
      ok: false,
      error: { code: 'failed_precondition', message: expect.stringMatching(/another connection/) },
    });
    // The intruder going away ends nothing of the owner's.
    intruder.socket.terminate();
    expect(backend.service.get(session.id).status).toBe('recording');

    owner.audio(session.id, bytes);
    const stopped = await owner.call('stopRecording', { id: session.id });
    expect(stopped).toMatchObject({ ok: true, value: { id: session.id, status: 'done', duration: 3.2 } });
    // Exactly the owner's audio, none of the intruder's.
    expect(readPcmWav(stopped.value.audio_path).bytes).toEqual(bytes);
    // Its events went to the owner (it watches what it started), not to the intruder.
    expect(owner.messages.some((m) => m.push?.kind === 'event' && m.push.session_id === session.id)).toBe(true);
    expect(intruder.messages.some((m) => m.push?.kind === 'event')).toBe(false);
    owner.socket.close();
  });

  it('interrupts only the recordings of the connection that went', async () => {
    const first = await client();
    const second = await client();
    const a: Session = (await first.call('startRecording', { format: FORMAT })).value;
    const b: Session = (await second.call('startRecording', { format: FORMAT })).value;
    first.socket.terminate();
    await first.until(() => (backend.service.get(a.id).status === 'interrupted' ? true : undefined));
    expect(backend.service.get(a.id).error).toBe('the client disconnected while recording');
    expect(backend.service.get(b.id).status).toBe('recording');
    expect(await second.call('stopRecording', { id: b.id })).toMatchObject({ ok: true, value: { status: 'done' } });
    second.socket.close();
  });

  it('lets a client watch the events of a session it did not start, once it reads them', async () => {
    const owner = await client();
    const viewer = await client();
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const session: Session = (await owner.call('startRecording', { format, settings: { mode: 'segmented', interim_results: true } })).value;
    const half = bytes.length / 2;
    owner.audio(session.id, bytes.subarray(0, half));
    await owner.until(() => owner.messages.find((m) => m.push?.kind === 'event' && m.push.session_id === session.id));
    // Events are stored in batches, at least every 250 ms: read once these are.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stored = await viewer.call('getEvents', { id: session.id });
    expect(stored.value.length).toBeGreaterThan(0);
    owner.audio(session.id, bytes.subarray(half));
    await owner.call('stopRecording', { id: session.id });
    const all = backend.service.events(session.id, { offset: 0, limit: 10_000 });
    await viewer.until(() => (viewer.messages.filter((m) => m.push?.kind === 'event').length + stored.value.length >= all.length ? true : undefined));
    const pushed = viewer.messages.filter((m) => m.push?.kind === 'event').map((m) => m.push.event);
    expect([...stored.value, ...pushed]).toEqual(all);
    // An unknown session is not watched: not_found, as before.
    expect(await viewer.call('getEvents', { id: crypto.randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    owner.socket.close();
    viewer.socket.close();
  });
});
