// `sessions`, `export` and `rerun`: the stored sessions from the command line.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openBackend } from '../backend';
import { EXPORT_FORMATS, isUnfinished } from '../../shared/sessions';
import { DATA_DIR_OPTION, ENGINE_OPTIONS, RUN_OPTIONS, UsageError, dataDir, engineOptions, integerOption, parse, positional, runSettings } from './options';
import { ProgressLine } from './progress';

export const SESSIONS_HELP = `Usage: npm run --silent cli -- sessions [--json] [--query TEXT] [--limit N] [--data-dir DIR]

Lists the stored sessions, newest first: a table, or with --json one JSON object per line
(id, title, source, status, duration, audio_path and the rest of the session). Reads only:
works while the app or \`serve\` uses the data folder, and changes nothing.`;

export const EXPORT_HELP = `Usage: npm run --silent cli -- export SESSION --format json|labels|srt|vtt [--out FILE] [--data-dir DIR]

Exports a session: json is one document with the session, its events in the wire format and a
summary; labels is an Audacity label track (start, end, label; one line per final segment and
per failed inference, marked FAILED); srt and vtt are SubRip and WebVTT subtitles, one cue per
final segment (and per failure, marked FAILED) with the model's output as its text. Channels are
numbered from 1, as in the UI; times are to the millisecond.
Written to stdout, or to FILE with --out, as it is read (a long session is never held whole in
memory; an export that fails midway leaves no FILE). Reads only, like \`sessions\`.`;

export const RERUN_HELP = `Usage: npm run --silent cli -- rerun SESSION [options] [--data-dir DIR]

Processes a stored session's audio again, with other settings, as a new session, and prints
the new session as one JSON object. Takes the options of \`process\` (--mode, --interim,
--vad, --max-futures, --chunk-ms, --model-config, --pool, --verbose). It writes to the data
folder, so it refuses to run while the app or \`serve\` uses it (re-run from the UI then).`;

const help = (text: string): void => void process.stdout.write(text + '\n');

function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.round(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export async function sessionsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { ...DATA_DIR_OPTION, json: { type: 'boolean' }, query: { type: 'string' }, limit: { type: 'string' } });
  if (values.help) return help(SESSIONS_HELP);
  if (positionals.length > 0) throw new UsageError(`sessions takes no arguments, got "${positionals[0]}"`);
  const limit = integerOption('limit', values.limit, 10_000, 1, 1_000_000);
  const backend = openBackend({ dataDir: dataDir(values), role: 'reader' });
  try {
    const { sessions } = backend.service.list({ limit, offset: 0, query: values.query });
    const unfinished = sessions.filter(isUnfinished).length;
    if (unfinished > 0 && !backend.owner) {
      process.stderr.write(
        `utterly: ${unfinished} session(s) still marked recording or processing were left unfinished; they become interrupted when the app or \`serve\` next opens this data folder\n`,
      );
    }
    if (values.json) {
      for (const session of sessions) process.stdout.write(JSON.stringify(session) + '\n');
      return;
    }
    const rows = sessions.map((s) => [s.id, s.created_at.slice(0, 16).replace('T', ' '), s.source, s.status, formatDuration(s.duration), s.title]);
    const header = ['ID', 'CREATED', 'SOURCE', 'STATUS', 'DURATION', 'TITLE'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) process.stdout.write(row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ') + '\n');
  } finally {
    backend.close();
  }
}

export async function exportCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { ...DATA_DIR_OPTION, format: { type: 'string' }, out: { type: 'string' } });
  if (values.help) return help(EXPORT_HELP);
  const id = positional(positionals, 'SESSION', 'export');
  const format = EXPORT_FORMATS.find((known) => known === values.format);
  if (!format) throw new UsageError(`--format must be "json", "labels", "srt" or "vtt"${values.format === undefined ? '' : `, got "${values.format}"`}`);
  const backend = openBackend({ dataDir: dataDir(values), role: 'reader' });
  try {
    // Written as it is read, a page of events at a time: a long session never sits whole in memory.
    const pieces = backend.service.exportStream(id, format);
    if (!values.out) return await writePieces(pieces, process.stdout);
    try {
      await pipeline(Readable.from(pieces), createWriteStream(values.out));
    } catch (error) {
      // Half an export is not an export.
      await rm(values.out, { force: true });
      throw error;
    }
  } finally {
    backend.close();
  }
}

/** Writes each piece as it comes, waiting whenever the destination asks to (backpressure); stdout's errors are main.ts's. */
async function writePieces(pieces: AsyncIterable<string>, out: Writable): Promise<void> {
  for await (const piece of pieces) {
    if (!out.write(piece)) await once(out, 'drain');
  }
}

export async function rerunCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { ...DATA_DIR_OPTION, ...ENGINE_OPTIONS, ...RUN_OPTIONS });
  if (values.help) return help(RERUN_HELP);
  const id = positional(positionals, 'SESSION', 'rerun');
  const engine = await engineOptions(values);
  const settings = runSettings(values, engine.poolSize!);
  const backend = openBackend({ dataDir: dataDir(values), role: 'owner', command: 'cli rerun', engine });
  const progress = new ProgressLine(process.stderr);
  try {
    const started = await backend.service.rerun(id, settings);
    backend.service.on('progress', (p) => p.session_id === started.id && progress.update(p.fraction));
    const finished = await backend.service.whenFinished(started.id);
    progress.clear();
    process.stdout.write(JSON.stringify(finished) + '\n');
    if (finished.status !== 'done') throw new Error(`the re-run ended ${finished.status}${finished.error ? `: ${finished.error}` : ''}`);
  } finally {
    progress.clear();
    await backend.close();
  }
}
