// Microphone audio as the web build sends it: 20 ms frames of 48 kHz stereo float over the
// bridge WebSocket to `cli -- serve`, in real time for 30 s. Measures the server process's CPU
// time per second of audio: the whole path (socket, WAV file, PCM decoding, resampling, the
// VAD's messages), so the share of a core a live recording costs the back end.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { MODEL_DEFAULTS } from '../src/shared/model-config';
import { startCliServer } from '../test/support/cli-server';

const SECONDS = 30;
const FRAME_MS = 20;

/** User plus system CPU time of a process, in ms (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export async function liveAudioCost(): Promise<{ cpuMsPerAudioSecond: number; shareOfCore: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'utterly-bench-bridge-'));
  const model = join(dataDir, 'model.json');
  writeFileSync(model, JSON.stringify({ model: { ...MODEL_DEFAULTS, delay: 0, constant_factor: 0, jitter: 0, warmup_penalty: 0 } }));
  execFileSync(process.execPath, ['scripts/build-node.mjs']);
  const server = await startCliServer(dataDir, model);
  const { url } = server;
  try {
    const socket = new WebSocket(url.replace('http', 'ws') + '/api/v1/bridge');
    await new Promise((resolve) => socket.once('open', resolve));
    const answers = new Map<number, (result: { ok: boolean; value?: { id: string } }) => void>();
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(String(data));
      if ('id' in message) answers.get(message.id)?.(message.result);
    });
    const call = (id: number, method: string, params: unknown) =>
      new Promise<{ ok: boolean; value?: { id: string } }>((resolve) => {
        answers.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      });
    const started = await call(1, 'startRecording', {
      format: { channels: 2, sample_rate: 48000, bit_depth: 32, is_float: true },
      settings: { mode: 'segmented', interim_results: true },
    });
    const sessionId = started.value!.id;

    const frames = (48000 * FRAME_MS) / 1000;
    const pcm = new Float32Array(frames * 2);
    const prefix = Buffer.from(sessionId, 'ascii');
    const cpuBefore = cpuMs(server.process.pid!);
    const t0 = performance.now();
    for (let i = 0; i < (SECONDS * 1000) / FRAME_MS; i++) {
      for (let f = 0; f < pcm.length; f++) pcm[f] = Math.sin((i * frames + (f >> 1)) * 0.05) * 0.3;
      socket.send(Buffer.concat([prefix, Buffer.from(pcm.buffer)]));
      const due = t0 + (i + 1) * FRAME_MS;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
    const cpu = cpuMs(server.process.pid!) - cpuBefore;
    await call(2, 'stopRecording', { id: sessionId });
    socket.close();
    return { cpuMsPerAudioSecond: cpu / SECONDS, shareOfCore: cpu / SECONDS / 1000 };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
