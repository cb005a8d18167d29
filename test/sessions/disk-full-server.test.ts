// `cli serve` as a user runs it, its database on a small tmpfs (the audio on another disk), the
// disk filled while a client streams: that client gets an error event saying why and a clean
// close, its session ends failed with its audio; the server stays up, other clients and their
// streams go on, and once space returns new streams work. A client naming a FIFO to import is
// refused at once, and nothing else waits for it. (Skipped where no tmpfs can be mounted:
// test/sessions/storage-failure.test.ts then covers the same failures injected in-process.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startCliServer, type CliServer } from '../support/cli-server';
import { dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';
import { canMountTmpfs, fillDisk, mountTmpfs, unmount } from '../support/tmpfs';
import { openJsonSocket, type JsonSocket } from '../support/json-socket';

const FORMAT = { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false };
const speech = readPcmWav(dataFile('silero-test.wav')).bytes;

describe.runIf(canMountTmpfs())('serve with its database disk full', () => {
  let scratch: string;
  let disk: string;
  let server: CliServer;
  let ws: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'utterly-disk-full-server-'));
    disk = join(scratch, 'disk');
    expect(mountTmpfs(disk, 24 << 20)).toBe(true);
    const dataDir = join(disk, 'data');
    mkdirSync(dataDir);
    mkdirSync(join(scratch, 'audio'));
    symlinkSync(join(scratch, 'audio'), join(dataDir, 'audio'));
    const model = join(scratch, 'model.json');
    writeFileSync(model, JSON.stringify({ model: INSTANT_MODEL }));
    server = await startCliServer(dataDir, model);
    ws = server.url.replace('http', 'ws');
  });

  afterAll(async () => {
    rmSync(join(disk, 'filler'), { force: true });
    await server?.stop();
    unmount(disk);
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The contract over the bridge socket: one request, its result. */
  async function call(bridge: JsonSocket, id: number, method: string, params: unknown): Promise<any> {
    bridge.socket.send(JSON.stringify({ id, method, params }));
    return (await bridge.next((m) => m.id === id)).result;
  }

  it('fails the stream it hits with an error event and a clean close, and nothing else', async () => {
    const bridge = await openJsonSocket(`${ws}/api/v1/bridge`);
    const idle = await openJsonSocket(`${ws}/api/v1/segmented`);
    idle.socket.send(JSON.stringify({ request: 'start', format: FORMAT, interim_results: false }));
    const streaming = await openJsonSocket(`${ws}/api/v1/segmented`);
    streaming.socket.send(JSON.stringify({ request: 'start', format: FORMAT, interim_results: true }));

    // Audio at four times real time; results come back and are stored, then the disk fills.
    let sent = 0;
    let filler: string | undefined;
    let closed: { code: number; reason: string } | undefined;
    void streaming.closed.then((c) => (closed = c));
    while (sent < speech.length && !closed) {
      streaming.socket.send(speech.subarray(sent, sent + 3200));
      sent += 3200;
      if (!filler && streaming.messages.length > 3) {
        await new Promise((resolve) => setTimeout(resolve, 400)); // the first batch is written
        filler = fillDisk(disk);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(filler).toBeDefined();
    const error = await streaming.next((m) => m.type === 'error');
    expect(error).toEqual({
      channel: 0,
      type: 'error',
      message: 'the events could not be stored: the disk holding the data folder is full (database or disk is full)',
    });
    const { code } = await Promise.race([streaming.closed, new Promise<{ code: number }>((resolve) => setTimeout(() => resolve({ code: -1 }), 10_000))]);
    expect(code, 'the failed stream is closed').not.toBe(-1);
    expect(code).not.toBe(1006); // a close frame, not a cut connection
    expect(code).not.toBe(1005);
    expect(sent).toBeLessThan(speech.length);

    // The server is up, the other clients are still there.
    expect(server.process.exitCode).toBeNull();
    expect(await (await fetch(`${server.url}/api/v1/health`)).json()).toEqual({ status: 'healthy' });
    expect(idle.socket.readyState).toBe(WebSocket.OPEN);
    const listed = await call(bridge, 1, 'listSessions', { limit: 10 });
    expect(listed.ok).toBe(true);
    const failed = listed.value.sessions.find((s: any) => s.status === 'failed');
    expect(failed).toMatchObject({ source: 'api', error: error.message });
    expect(listed.value.sessions.filter((s: any) => s.status === 'recording')).toHaveLength(1);
    expect(readPcmWav(failed.audio_path).bytes.length).toBeGreaterThan(32_000);

    // Space returns: the idle stream ends well, a new one works, the failed end is written.
    rmSync(filler!);
    idle.socket.send(JSON.stringify({ request: 'stop', disconnect: true }));
    expect((await idle.closed).code).toBe(1000);
    const again = await openJsonSocket(`${ws}/api/v1/segmented`);
    again.socket.send(JSON.stringify({ request: 'start', format: FORMAT, interim_results: false }));
    for (let at = 0; at < 10 * 32_000; at += 3200) again.socket.send(speech.subarray(at, at + 3200));
    again.socket.send(JSON.stringify({ request: 'stop', disconnect: true }));
    expect((await again.closed).code).toBe(1000);
    expect(again.messages.some((m) => m.type === 'segment' && m.is_final)).toBe(true);
    const after = await call(bridge, 2, 'listSessions', { limit: 10 });
    expect(after.value.sessions.map((s: any) => s.status).sort()).toEqual(['done', 'done', 'failed']);
    bridge.socket.close();
  });

  it('refuses a FIFO to import at once, and serves everything else meanwhile', async () => {
    const bridge = await openJsonSocket(`${ws}/api/v1/bridge`);
    const fifos = Array.from({ length: 6 }, (_, i) => join(scratch, `fifo-${i}.wav`));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    const results = await Promise.all([
      ...fifos.map((path, i) => call(bridge, 10 + i, 'importFile', { path, settings: { mode: 'segmented' } })),
      fetch(`${server.url}/api/v1/health`).then((r) => r.json()),
    ]);
    expect(performance.now() - started).toBeLessThan(5000);
    fifos.forEach((_, i) =>
      expect(results[i]).toEqual({
        ok: false,
        error: { code: 'failed_precondition', message: `cannot decode fifo-${i}.wav: it is a named pipe (FIFO), not an audio file` },
      }),
    );
    expect(results.at(-1)).toEqual({ status: 'healthy' });
    bridge.socket.close();
  });
});
