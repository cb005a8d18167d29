// A recording through the server, the whole server killed with SIGKILL mid-stream: after a
// restart the session is interrupted, its audio is there up to within a second of the kill,
// its events are there, and the database is intact.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startCliServer } from '../support/cli-server';
import { dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';

const run = promisify(execFile);

describe('crash recovery', () => {
  it('keeps a recording whose server was killed with SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'utterly-crash-'));
    const model = join(dataDir, 'model.json');
    writeFileSync(model, JSON.stringify({ model: INSTANT_MODEL }));
    const { url, process: server } = await startCliServer(dataDir, model);

    const { format, bytes } = readPcmWav(dataFile('silero-test.wav'));
    const socket = new WebSocket(url.replace('http', 'ws') + '/api/v1/segmented');
    const events: unknown[] = [];
    socket.on('message', (data) => events.push(JSON.parse(String(data))));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ request: 'start', format, interim_results: true }));

    // Real time: 100 ms of audio every 100 ms, for about 4 s.
    const chunk = 3200;
    let sent = 0;
    const started = performance.now();
    while (performance.now() - started < 4000) {
      socket.send(bytes.subarray(sent, sent + chunk));
      sent += chunk;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sentSeconds = sent / 2 / 16000;
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    expect(events.length).toBeGreaterThan(0);

    // Restart: the next owner of the data folder recovers it (listing the sessions only reads).
    await (await startCliServer(dataDir, model)).stop();
    const { stdout } = await run(process.execPath, ['out/node/cli.js', 'sessions', '--json', '--data-dir', dataDir]);
    const sessions = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(sessions).toHaveLength(1);
    const [session] = sessions;
    expect(session).toMatchObject({ source: 'api', status: 'interrupted' });

    const audio = readPcmWav(session.audio_path);
    const keptSeconds = audio.bytes.length / 2 / 16000;
    expect(keptSeconds).toBeGreaterThanOrEqual(sentSeconds - 1);
    expect(keptSeconds).toBeLessThanOrEqual(sentSeconds);
    // The header was repaired: it declares exactly the audio that is there.
    expect(session.duration).toBeCloseTo(keptSeconds, 3);

    const db = new Database(join(dataDir, 'utterly.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = db.prepare('select count(*) as n from events where session_id = ?').get(session.id) as { n: number };
      expect(stored.n).toBeGreaterThan(0);
    } finally {
      db.close();
    }

    // The interrupted session can be processed again.
    const rerun = await run(process.execPath, ['out/node/cli.js', 'rerun', session.id, '--data-dir', dataDir, '--model-config', model]);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ status: 'done', rerun_of: session.id });
  });
});
