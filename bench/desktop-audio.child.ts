// Runs in its own process (bench/desktop-audio.bench.ts): the desktop app's main-process side of
// a live recording, with `electron` played by the strict double. The window's preload sends each
// 20 ms frame as it does in the app (`ipcRenderer.send(AUDIO_CHANNEL, id, Uint8Array)`, copied by
// structured clone); prints this process's CPU time per second of audio.
import { register } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

register('./electron-hook.mjs', import.meta.url);
const { electron, BrowserWindowDouble } = await import('../test/desktop/electron-double');
const { openBackend } = await import('../src/main/backend');
const { createHandlers } = await import('../src/main/bridge/handlers');
const { appFrameCheck, setupIpc } = await import('../src/main/desktop/ipc');
const { AUDIO_CHANNEL, ipcChannel } = await import('../src/shared/contract-methods');
const { MODEL_DEFAULTS } = await import('../src/shared/model-config');

const SECONDS = Number(process.argv[2] ?? 30);
const FRAME_MS = 20;

const dataDir = mkdtempSync(join(tmpdir(), 'utterly-bench-desktop-'));
const backend = openBackend({ dataDir, engine: { model: { ...MODEL_DEFAULTS, delay: 0, constant_factor: 0, jitter: 0, warmup_penalty: 0 } } });
electron.becomeReady();
const win = new BrowserWindowDouble();
const rendererIndexHtml = join(dataDir, 'index.html');
await win.loadFile(rendererIndexHtml);
const contents = () => win.webContents as never;
setupIpc({
  ...createHandlers(backend.service, { getSettings: backend.getSettings, setSettings: backend.setSettings, audioUrl: (id) => id }),
  service: backend.service,
  isAppFrame: appFrameCheck({ rendererIndexHtml }, contents),
  getWebContents: contents,
});
const page = win.webContents.renderer;
const started = (await page.invoke(ipcChannel('startRecording'), {
  format: { channels: 2, sample_rate: 48000, bit_depth: 32, is_float: true },
  settings: { mode: 'segmented', interim_results: true },
})) as { ok: boolean; value: { id: string } };
const id = started.value.id;

const frames = (48000 * FRAME_MS) / 1000;
// A second of frames made beforehand (the renderer makes them in the app), sent over and over.
const second = Array.from({ length: 1000 / FRAME_MS }, (_, i) =>
  Float32Array.from({ length: frames * 2 }, (_, f) => Math.sin((i * frames + (f >> 1)) * 0.05) * 0.3),
);
const before = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < (SECONDS * 1000) / FRAME_MS; i++) {
  page.send(AUDIO_CHANNEL, id, new Uint8Array(second[i % second.length]!.buffer));
  const due = t0 + (i + 1) * FRAME_MS;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
}
const used = process.cpuUsage(before);
const stopped = (await page.invoke(ipcChannel('stopRecording'), { id })) as { ok: boolean; value: { duration: number } };
if (!stopped.ok || Math.abs(stopped.value.duration - SECONDS) > 0.1) throw new Error(`the recording did not keep its audio: ${JSON.stringify(stopped)}`);
await backend.close();
rmSync(dataDir, { recursive: true, force: true });
const ms = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
process.stdout.write(JSON.stringify({ cpuMsPerAudioSecond: ms(used) / SECONDS }) + '\n');
