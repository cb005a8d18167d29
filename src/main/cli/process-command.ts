// `process FILE`: the engine on a file, one ApiResponse JSON object per line on stdout and
// nothing else there. Nothing is stored.
import { defaultPoolSize } from '../engine/pool-size';
import type { ApiResponse } from '../../shared/api';
import { runFile } from '../engine/file-job';
import { probeAudioFile } from '../engine/file-source';
import { StreamingContext } from '../engine/streaming-context';
import { ENGINE_OPTIONS, RUN_OPTIONS, engineOptions, parse, positional, runSettings } from './options';
import { ProgressLine } from './progress';
import { CHUNK_MS_LIMITS, DEFAULT_CHUNK_MS, MAX_FUTURES_LIMITS, POOL_SIZE_LIMITS } from '../../shared/sessions';

export const PROCESS_HELP = `Usage: npm run --silent cli -- process FILE [options]

Runs Utterly's engine on an audio file (WAV, MP3, FLAC, Ogg Vorbis, Opus, M4A/AAC, ...) and
prints one ApiResponse JSON object per line on stdout. Nothing is stored.

Options:
  --mode segmented|simple  segmented (default): Silero VAD finds utterances, one final result
                           each; simple: every chunk of audio is one inference
  --interim                segmented mode: interim results every 0.5 s while speech goes on
  --model-config FILE      the dummy model's JSON config ({"model": {...}}); default: the
                           shipped resources/model-config.json
  --pool N                 model processes, the global limit of concurrent inferences
                           (default: cores - 1, at most 4, at least 1: ${defaultPoolSize()} here; ${POOL_SIZE_LIMITS.min}-${POOL_SIZE_LIMITS.max})
  --max-futures N          inferences this run may have running at once (default: pool size; ${MAX_FUTURES_LIMITS.min}-${MAX_FUTURES_LIMITS.max})
  --chunk-ms N             audio fed to the engine per chunk, in ms (default ${DEFAULT_CHUNK_MS}; ${CHUNK_MS_LIMITS.min}-${CHUNK_MS_LIMITS.max});
                           in simple mode one chunk is one inference
  --vad JSON               VAD settings, e.g. '{"positive_speech_threshold":0.6}'; keys:
                           positive_speech_threshold, negative_speech_threshold (0-1),
                           redemption_frames (0-100), pre_speech_pad_frames (0-50),
                           min_speech_frames (0-100)
  --verbose                the worker processes' logs on stderr
  -h, --help               this help

Progress goes to stderr when it is a terminal. Exit status: 0 on success, 1 when the file
cannot be decoded or processed, 2 for a bad option.`;

/** Writes one line, waiting when stdout is full so that a slow reader loses nothing. */
function writeLine(line: string): Promise<void> | undefined {
  if (process.stdout.write(line + '\n')) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

export async function processCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { ...ENGINE_OPTIONS, ...RUN_OPTIONS });
  if (values.help) {
    process.stdout.write(PROCESS_HELP + '\n');
    return;
  }
  const file = positional(positionals, 'FILE', 'process');
  const engine = await engineOptions(values);
  const settings = runSettings(values, engine.poolSize!);
  await probeAudioFile(file);

  const context = await StreamingContext.create(engine);
  const progress = new ProgressLine(process.stderr);
  let stdoutFull: Promise<void> | undefined;
  try {
    await runFile(
      context,
      file,
      {
        mode: settings.mode,
        interim: settings.interim_results,
        vad: settings.vad,
        maxFutures: settings.max_futures,
        chunkMs: settings.chunk_ms,
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
