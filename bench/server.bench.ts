// A three-hour recording fed through `cli -- serve` at full speed (16 kHz s16 mono, segmented,
// interim results, a zero-delay model): the server process's memory at the end minus after the
// first minute of audio, the events per second it writes, and the time from `stop` to the last
// final result.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { MODEL_DEFAULTS } from '../src/shared/model-config';
import { startCliServer } from '../test/support/cli-server';

const HOURS = 3;
const CHUNK_BYTES = 3200 * 2; // 200 ms

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** The PCM of the 60 s speech fixture, to loop. */
function speechPcm(): Buffer {
  const file = readFileSync(fileURLToPath(new URL('../test/data/silero-test.wav', import.meta.url)));
  return file.subarray(44);
}

export async function threeHourRecording(): Promise<{
  growthMb: number;
  eventsPerSecond: number;
  stopToLastFinalMs: number;
  realtime: number;
  events: number;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'utterly-bench-server-'));
  const model = join(dataDir, 'model.json');
  writeFileSync(model, JSON.stringify({ model: { ...MODEL_DEFAULTS, delay: 0, constant_factor: 0, jitter: 0, failure_rate: 0, warmup_penalty: 0 } }));
  execFileSync(process.execPath, ['scripts/build-node.mjs']);
  const server = await startCliServer(dataDir, model);
  const { url } = server;
  try {
    const socket = new WebSocket(url.replace('http', 'ws') + '/api/v1/segmented');
    await new Promise((resolve) => socket.once('open', resolve));
    let events = 0;
    let lastFinalAt = 0;
    socket.on('message', (data) => {
      events++;
      if (String(data).includes('"is_final":true')) lastFinalAt = performance.now();
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.send(JSON.stringify({ request: 'start', format: { channels: 1, sample_rate: 16000, bit_depth: 16, is_float: false }, interim_results: true }));

    const speech = speechPcm();
    const total = HOURS * 3600 * 16000 * 2;
    let afterFirstMinute = 0;
    const started = performance.now();
    for (let sent = 0, offset = 0; sent < total; sent += CHUNK_BYTES) {
      const end = Math.min(offset + CHUNK_BYTES, speech.length);
      socket.send(speech.subarray(offset, end));
      offset = end === speech.length ? 0 : end;
      if (!afterFirstMinute && sent >= 60 * 16000 * 2) afterFirstMinute = rssMb(server.process.pid!);
      if (process.env.UTTERLY_BENCH_TRACE && sent % (600 * 16000 * 2) < CHUNK_BYTES)
        process.stderr.write(`${(sent / 32000 / 60).toFixed(0)} min: ${rssMb(server.process.pid!).toFixed(1)} MB\n`);
      // Full speed, but no faster than the server reads: keep the socket's queue short.
      while (socket.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 1));
    }
    const stoppedAt = performance.now();
    socket.send(JSON.stringify({ request: 'stop', disconnect: true }));
    await closed;
    const seconds = (performance.now() - started) / 1000;
    const atEnd = rssMb(server.process.pid!);
    return {
      growthMb: atEnd - afterFirstMinute,
      eventsPerSecond: events / seconds,
      stopToLastFinalMs: Math.max(0, lastFinalAt - stoppedAt),
      realtime: (HOURS * 3600) / seconds,
      events,
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
