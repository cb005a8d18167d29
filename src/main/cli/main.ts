// `npm run --silent cli -- process FILE [options]`: the engine on a file, one ApiResponse
// JSON object per line on stdout and nothing else there.
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { describeIssues, type ApiResponse } from '../../shared/api';
import { ModelConfigFileSchema, type ModelParams } from '../../shared/model-config';
import { runFile } from '../engine/file-job';
import { VadSettingsSchema } from '../../shared/vad-settings';
import { probeAudioFile } from '../engine/file-source';
import { StreamingContext, type RunnerMode } from '../engine/streaming-context';
import shippedModelConfig from '../../../resources/model-config.json';
import { ProgressLine } from './progress';

const HELP = `Usage: npm run --silent cli -- process FILE [options]

Runs Utterly's engine on an audio file (WAV, MP3, FLAC, Ogg Vorbis, Opus, M4A/AAC, ...) and
prints one ApiResponse JSON object per line on stdout.

Options:
  --mode segmented|simple  segmented (default): Silero VAD finds utterances, one final result
                           each; simple: every chunk of audio is one inference
  --interim                segmented mode: interim results every 0.5 s while speech goes on
  --model-config FILE      the dummy model's JSON config ({"model": {...}}); default: the
                           shipped resources/model-config.json
  --pool N                 model processes, the global limit of concurrent inferences
                           (default: number of cores, ${cpus().length} here; 1-64)
  --max-futures N          inferences this run may have running at once (default: pool size; 1-256)
  --chunk-ms N             audio fed to the engine per chunk, in ms (default 1000; 1-600000);
                           in simple mode one chunk is one inference
  --vad JSON               VAD settings, e.g. '{"positive_speech_threshold":0.6}'; keys:
                           positive_speech_threshold, negative_speech_threshold (0-1),
                           redemption_frames (0-100), pre_speech_pad_frames (0-50),
                           min_speech_frames (0-100)
  --verbose                the worker processes' logs on stderr
  -h, --help               this help

Progress goes to stderr when it is a terminal. Exit status: 0 on success, 1 when the file
cannot be decoded or processed, 2 for a bad option.`;

class UsageError extends Error {}

interface ProcessOptions {
  file: string;
  mode: RunnerMode;
  interim: boolean;
  model: ModelParams;
  pool: number;
  maxFutures: number;
  chunkMs: number;
  vad: unknown;
  verbose: boolean;
}

function integerOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

async function loadModelConfig(path: string | undefined): Promise<ModelParams> {
  if (path === undefined) return ModelConfigFileSchema.parse(shippedModelConfig).model;
  const file = path;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--model-config: cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--model-config: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ModelConfigFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`--model-config: ${describeIssues(parsed.error)}`);
  return parsed.data.model;
}

async function parseProcessArgs(args: string[]): Promise<ProcessOptions | 'help'> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        mode: { type: 'string' },
        interim: { type: 'boolean' },
        'model-config': { type: 'string' },
        pool: { type: 'string' },
        'max-futures': { type: 'string' },
        'chunk-ms': { type: 'string' },
        vad: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs explains itself over several lines; the first one says what was wrong.
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'process needs a FILE' : `process takes one FILE, got ${positionals.length}`);
  const mode = values.mode ?? 'segmented';
  if (mode !== 'segmented' && mode !== 'simple') throw new UsageError(`--mode must be "segmented" or "simple", got "${mode}"`);
  const pool = integerOption('pool', values.pool, cpus().length, 1, 64);
  let vad: unknown;
  if (values.vad !== undefined) {
    try {
      vad = JSON.parse(values.vad);
    } catch {
      throw new UsageError(`--vad must be a JSON object, got "${values.vad}"`);
    }
    const checked = VadSettingsSchema.safeParse(vad);
    if (!checked.success) throw new UsageError(`--vad: ${describeIssues(checked.error)}`);
  }
  return {
    file: positionals[0]!,
    mode,
    interim: values.interim ?? false,
    model: await loadModelConfig(values['model-config']),
    pool,
    maxFutures: integerOption('max-futures', values['max-futures'], pool, 1, 256),
    chunkMs: integerOption('chunk-ms', values['chunk-ms'], 1000, 1, 600_000),
    vad,
    verbose: values.verbose ?? false,
  };
}

/** Writes one line, waiting when stdout is full so that a slow reader loses nothing. */
function writeLine(line: string): Promise<void> | undefined {
  if (process.stdout.write(line + '\n')) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

async function processFile(options: ProcessOptions): Promise<void> {
  await probeAudioFile(options.file);
  const context = await StreamingContext.create({
    poolSize: options.pool,
    model: options.model,
    log: options.verbose ? (line) => process.stderr.write(line + '\n') : undefined,
  });
  const progress = new ProgressLine(process.stderr);
  let stdoutFull: Promise<void> | undefined;
  try {
    await runFile(
      context,
      options.file,
      {
        mode: options.mode,
        interim: options.interim,
        vad: options.vad,
        maxFutures: options.maxFutures,
        chunkMs: options.chunkMs,
        onProgress: (fraction) => progress.update(fraction),
      },
      (response: ApiResponse) => {
        stdoutFull = writeLine(JSON.stringify(response)) ?? stdoutFull;
      },
    );
    await stdoutFull;
  } finally {
    progress.clear();
    await context.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(HELP + '\n');
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  try {
    if (command !== 'process') throw new UsageError(`unknown command "${command}" (try --help)`);
    const options = await parseProcessArgs(rest);
    if (options === 'help') {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    await processFile(options);
    return 0;
  } catch (error) {
    process.stderr.write(`utterly: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

// A reader that goes away (`| head`) ends the run quietly, as for any Unix tool.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
