// Clients that stop reading what the server sends them (a frozen tab, a paused process): the
// server keeps a bounded amount for each, then closes it with a reason and ends what it was
// doing as for a client that vanished. Real sockets, paused with ws's pause() (the TCP socket
// stops being read), against a real `cli serve` with its default limits (8 MB or 10 s), and
// against the in-process server with a short delay limit.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openBackend } from '../../src/main/backend';
import { startServer } from '../../src/main/server/server';
import type { Push } from '../../src/shared/contract';
import type { Session } from '../../src/shared/sessions';
import { startCliServer, type CliServer } from '../support/cli-server';
import { dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';
import { openJsonSocket, type JsonSocket } from '../support/json-socket';

const FORMAT = { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } as const;
/** A start message with every field wrong: answered with an error event of about 400 bytes. */
const BAD_START = JSON.stringify({
  request: 'start',
  format: { channels: 'x', sample_rate: 'x', bit_depth: 'x', is_float: 'x' },
  interim_results: 'x',
  vad: { positive_speech_threshold: 'x', negative_speech_threshold: 'x' },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process, in MB (Linux). */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

async function until<T>(probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

/**
 * Sends messages the server answers each with a message of its own, as fast as the server
 * takes them, until `done`; samples the server's memory (when `pid` is given) meanwhile.
 */
async function flood(socket: WebSocket, message: () => string, done: () => boolean, pid?: number): Promise<{ sent: number; peakMb: number }> {
  let sent = 0;
  let peakMb = 0;
  while (!done()) {
    for (let i = 0; i < 500; i++) socket.send(message());
    sent += 500;
    // The client's own queue stays short: what piles up is the server's.
    while (socket.bufferedAmount > 2 ** 20 && !done()) await sleep(5);
    if (pid !== undefined && sent % 20_000 === 0) peakMb = Math.max(peakMb, rssMb(pid));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sent, peakMb };
}

describe('cli serve, with its default limits', () => {
  let dir: string;
  let server: CliServer;
  let observer: JsonSocket;
  /** A bridge client paused from the start: it watches no session. */
  let frozenTab: JsonSocket;
  const sessionPushes = () => observer.messages.filter((m) => m.push?.kind === 'session').map((m) => m.push.session as Session);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'utterly-slow-clients-'));
    const model = join(dir, 'model.json');
    writeFileSync(model, JSON.stringify({ model: INSTANT_MODEL }));
    server = await startCliServer(join(dir, 'data'), model);
    observer = await openJsonSocket(server.url.replace('http', 'ws') + '/api/v1/bridge');
    frozenTab = await openJsonSocket(server.url.replace('http', 'ws') + '/api/v1/bridge');
    frozenTab.socket.pause();
  });

  afterAll(async () => {
    observer?.socket.close();
    frozenTab?.socket.terminate();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a streaming client that never reads its replies, with a reason; its stream is interrupted and the memory bounded', async () => {
    const pid = server.process.pid!;
    const client = await openJsonSocket(server.url.replace('http', 'ws') + '/api/v1/simple');
    client.socket.send(JSON.stringify({ request: 'start', format: FORMAT, interim_results: false }));
    const { bytes } = readPcmWav(dataFile('trailing-speech.wav'));
    client.socket.send(bytes);
    await until(() => client.messages.find((m) => m.type === 'segment'));
    const baselineMb = rssMb(pid);
    client.socket.pause();

    // Every bad request is answered with an error event naming its faults: about 400 bytes each,
    // so that a million of them would be 400 MB of replies kept for a client that reads nothing.
    let interrupted: Session | undefined;
    const findInterrupted = () => (interrupted ??= sessionPushes().find((s) => s.source === 'api' && s.status === 'interrupted'));
    const { sent, peakMb } = await flood(
      client.socket,
      () => BAD_START,
      () => findInterrupted() !== undefined,
      pid,
    );
    // It goes on after the server has let it go: none of that is answered or kept either.
    let more = 0;
    const after = await flood(
      client.socket,
      () => BAD_START,
      () => ++more > 1000,
      pid,
    );
    expect(sent + after.sent).toBeGreaterThan(500_000);

    expect(interrupted!.error).toMatch(/too far behind/);
    expect(interrupted!.duration).toBeCloseTo(3.2, 1);
    // Answered, that would be 200 MB of replies; the server grows by far less (the replies it
    // kept, at most 8 MB and their overhead, and the garbage of what it read).
    expect(Math.max(peakMb, after.peakMb) - baselineMb).toBeLessThan(150);
    // Once it reads again: what was queued (at most about 8 MB), then the close with its reason.
    client.socket.resume();
    // (8 MB are reached in a second or two; on a machine busy enough, 10 s might come first.)
    expect(await client.closed).toEqual({
      code: 1008,
      reason: expect.stringMatching(/^the client fell too far behind: (\d+ MB of messages to it unread|messages to it unread for 10 s)$/),
    });
    const replies = client.messages.filter((m) => m.type === 'error');
    expect(replies.length).toBeGreaterThan(1000);
    expect(replies.length).toBeLessThan(50_000);
    expect(client.messages.filter((m) => m.type === 'segment').length).toBeGreaterThan(0);
  });

  it('closes a bridge client that never reads, with a reason; its recording is interrupted', async () => {
    const client = await openJsonSocket(server.url.replace('http', 'ws') + '/api/v1/bridge');
    client.socket.send(JSON.stringify({ id: 'start', method: 'startRecording', params: { format: FORMAT, title: 'paused reader' } }));
    const session: Session = (await until(() => client.messages.find((m) => m.id === 'start'))).result.value;
    const { bytes } = readPcmWav(dataFile('trailing-speech.wav'));
    client.socket.send(Buffer.concat([Buffer.from(session.id, 'ascii'), bytes]));
    client.socket.send(JSON.stringify({ id: 'fed', method: 'getSession', params: { id: session.id } }));
    await until(() => client.messages.find((m) => m.id === 'fed'));
    const pid = server.process.pid!;
    const baselineMb = rssMb(pid);
    client.socket.pause();

    // Each answer lists the sessions (a few kB); after the first few thousand, none is kept.
    let n = 0;
    const ended = () => sessionPushes().find((s) => s.id === session.id && s.status !== 'recording');
    const { sent, peakMb } = await flood(
      client.socket,
      () => JSON.stringify({ id: n++, method: 'listSessions', params: { limit: 10_000 } }),
      () => ended() !== undefined || n > 200_000,
      pid,
    );
    let more = 0;
    const after = await flood(
      client.socket,
      () => JSON.stringify({ id: n++, method: 'listSessions', params: { limit: 10_000 } }),
      () => ++more > 200,
      pid,
    );
    expect(sent).toBeGreaterThan(1000);
    expect(Math.max(peakMb, after.peakMb) - baselineMb).toBeLessThan(150);
    expect(ended()).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/too far behind/), duration: 3.2 });
    client.socket.resume();
    expect(await client.closed).toEqual({ code: 1008, reason: expect.stringMatching(/too far behind/) });
  });

  it('sends a bridge client only the events of the sessions it watches: a frozen tab is not flooded by the others', async () => {
    // The tab paused since the start was sent the session changes of both streams above, and none of their events.
    frozenTab.socket.resume();
    const streams = sessionPushes()
      .filter((s) => s.status === 'interrupted')
      .map((s) => s.id);
    expect(streams).toHaveLength(2);
    await until(() =>
      streams.every((id) => frozenTab.messages.some((m) => m.push?.kind === 'session' && m.push.session.id === id && m.push.session.status === 'interrupted'))
        ? true
        : undefined,
    );
    expect(frozenTab.messages.filter((m) => m.push?.kind === 'event')).toEqual([]);
    expect(frozenTab.socket.readyState).toBe(WebSocket.OPEN);
    // The observer watched nothing either; a client that reads a session's events watches it.
    expect(observer.messages.filter((m) => m.push?.kind === 'event')).toEqual([]);
    frozenTab.socket.send(JSON.stringify({ id: 1, method: 'importFile', params: { path: dataFile('trailing-speech.wav') } }));
    const imported: Session = (await until(() => frozenTab.messages.find((m) => m.id === 1))).result.value;
    observer.socket.send(JSON.stringify({ id: 'read', method: 'getEvents', params: { id: imported.id } }));
    // Each client's pushes come in order: once it has the import's end, it has all its events.
    await until(() => sessionPushes().find((s) => s.id === imported.id && s.status === 'done'));
    await until(() => frozenTab.messages.find((m) => m.push?.kind === 'session' && m.push.session.id === imported.id && m.push.session.status === 'done'));
    const eventsOf = (client: JsonSocket) =>
      client.messages.filter((m): m is { push: Extract<Push, { kind: 'event' }> } => m.push?.kind === 'event' && m.push.session_id === imported.id);
    const answer = observer.messages.find((m) => m.id === 'read');
    expect(eventsOf(frozenTab).length).toBeGreaterThan(0);
    // The observer: the stored events it read, then every later one pushed, nothing twice.
    expect([...answer.result.value, ...eventsOf(observer).map((m) => m.push.event)]).toEqual(eventsOf(frozenTab).map((m) => m.push.event));
  });
});

describe('the in-process server, with a short delay limit', () => {
  it('closes a client whose oldest unread reply waited longer than the limit, however little is queued', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'utterly-slow-delay-'));
    const backend = openBackend({ dataDir, engine: { model: INSTANT_MODEL, poolSize: 1 } });
    const server = await startServer({ host: '127.0.0.1', port: 0, service: backend.service, outgoingLimits: { maxBytes: 2 ** 30, maxDelayMs: 1000 } });
    try {
      const client = await openJsonSocket(server.url.replace('http', 'ws') + '/api/v1/segmented');
      client.socket.send(JSON.stringify({ request: 'start', format: FORMAT }));
      client.socket.pause();
      // 100 000 replies, 40 MB: more than the connection's buffers hold, so that some wait in the
      // server (unless the client is let go sooner); then nothing more, and those wait on.
      const interrupted = () => backend.service.list({ limit: 10, offset: 0 }).sessions.find((s) => s.status === 'interrupted');
      let sent = 0;
      await flood(
        client.socket,
        () => (sent++, BAD_START),
        () => sent >= 100_000 || interrupted() !== undefined,
      );
      const session = await until(interrupted, 30_000);
      expect(session.error).toMatch(/unread for 1 s/);
      client.socket.resume();
      expect(await client.closed).toEqual({ code: 1008, reason: 'the client fell too far behind: messages to it unread for 1 s' });
    } finally {
      await server.close();
      await backend.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
