// Audio files as real tools write them, made at test time with ffmpeg and sox from the speech
// recordings in test/data, each beside the same audio as 16-bit PCM WAV (its reference).
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dataFile } from './helpers';

const run = promisify(execFile);

/** Whether ffmpeg and sox are installed (CI installs them; see .ci/run). */
export function haveTools(): boolean {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The reference audio, 16-bit PCM WAV at 44.1 kHz, made with sox without dither (so that
 * digital silence stays digital silence):
 *   - mono: mic-speech-12s.wav;
 *   - stereo: stereo-two-speakers.wav, different speech left and right;
 *   - opening: 6 s of digital silence, then the stereo audio;
 *   - identical: the mono audio in both channels;
 *   - three: the stereo audio and the mono audio as a third channel.
 */
export type SourceName = 'mono' | 'stereo' | 'opening' | 'identical' | 'three';

const SOURCES: Record<SourceName, { channels: number; args: (out: string) => string[] }> = {
  mono: { channels: 1, args: (out) => ['-D', dataFile('mic-speech-12s.wav'), '-r', '44100', '-b', '16', out] },
  stereo: { channels: 2, args: (out) => ['-D', dataFile('stereo-two-speakers.wav'), '-r', '44100', '-b', '16', out] },
  opening: { channels: 2, args: (out) => ['-D', dataFile('stereo-two-speakers.wav'), '-r', '44100', '-b', '16', out, 'pad', '6', '0'] },
  identical: { channels: 2, args: (out) => ['-D', dataFile('mic-speech-12s.wav'), '-r', '44100', '-b', '16', out, 'remix', '1', '1'] },
  three: { channels: 3, args: (out) => ['-D', '-M', dataFile('stereo-two-speakers.wav'), dataFile('mic-speech-12s.wav'), '-r', '44100', '-b', '16', out] },
};

export const sourceChannels = (name: SourceName) => SOURCES[name].channels;

type Step = ['ffmpeg' | 'sox', string[]] | ((out: string) => void);

export interface CorpusFile {
  name: string;
  source: SourceName;
  /** How it is made from the source WAV: commands and byte-level edits, in order. */
  steps: (source: string, out: string) => Step[];
  /**
   * For a lossless file: the largest difference from the reference's samples: 0 where every
   * sample of the 16-bit source is kept exactly, else its quantisation (8-bit) or the decoder's
   * scale (libFLAC divides positive samples by 2^15 - 1).
   */
  lossless?: number;
  /** What the file must be for the test to mean anything: checked on the file made. */
  check?: (bytes: Buffer) => void;
}

const ffmpeg = (input: string, out: string, ...args: string[]): Step => ['ffmpeg', ['-v', 'error', '-y', '-i', input, ...args, out]];
const sox = (...args: string[]): Step => ['sox', ['-D', ...args]];

/** The chunks of a RIFF/RF64 or AIFF file: id, offset of the body, declared size. */
export function chunksOf(bytes: Buffer): Array<{ id: string; body: number; size: number }> {
  const big = bytes.toString('ascii', 0, 4) === 'FORM';
  const chunks: Array<{ id: string; body: number; size: number }> = [];
  for (let at = 12; at + 8 <= bytes.length;) {
    const size = big ? bytes.readUInt32BE(at + 4) : bytes.readUInt32LE(at + 4);
    chunks.push({ id: bytes.toString('ascii', at, at + 4), body: at + 8, size });
    if (size === 0xffffffff) break;
    at += 8 + size + (size % 2);
  }
  return chunks;
}

function expectChunks(bytes: Buffer, ...ids: string[]): void {
  const found = chunksOf(bytes).map((chunk) => chunk.id);
  for (const id of ids) if (!found.includes(id)) throw new Error(`no ${id} chunk among ${found.join(', ')}`);
}

function expectFmt(bytes: Buffer, size: number, tag: number, channels?: number): void {
  const fmt = chunksOf(bytes).find((chunk) => chunk.id === 'fmt ');
  if (!fmt || fmt.size !== size || bytes.readUInt16LE(fmt.body) !== tag)
    throw new Error(`expected a fmt chunk of ${size} bytes with tag 0x${tag.toString(16)}`);
  if (channels && bytes.readUInt16LE(fmt.body + 2) !== channels) throw new Error(`expected ${channels} channels`);
}

function expectCompression(bytes: Buffer, type: string): void {
  const comm = chunksOf(bytes).find((chunk) => chunk.id === 'COMM');
  const found = comm ? bytes.toString('ascii', comm.body + 18, comm.body + 22) : undefined;
  if (bytes.toString('ascii', 8, 12) !== 'AIFC' || found !== type) throw new Error(`expected AIFF-C "${type}", found ${found}`);
}

/** A chunk with its pad byte. */
function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'ascii');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

/**
 * Inserts chunks into a RIFF WAV file: `before` right before the data chunk, `after` after it
 * (past its pad byte), and brings the RIFF size up to date.
 */
function insertChunks(path: string, before: Buffer[], after: Buffer[]): void {
  const bytes = readFileSync(path);
  const data = chunksOf(bytes).find((chunk) => chunk.id === 'data')!;
  const dataEnd = data.body + data.size + (data.size % 2);
  const out = Buffer.concat([bytes.subarray(0, data.body - 8), ...before, bytes.subarray(data.body - 8, dataEnd), ...after, bytes.subarray(dataEnd)]);
  out.writeUInt32LE(out.length - 8, 4);
  writeFileSync(path, out);
}

/** A cue chunk with one cue point at `sample` (the WAV spec's cue-point layout). */
function cueChunk(sample: number): Buffer {
  const body = Buffer.alloc(4 + 24);
  body.writeUInt32LE(1, 0);
  body.writeUInt32LE(1, 4); // dwName
  body.writeUInt32LE(sample, 8); // dwPosition
  body.write('data', 12, 'ascii'); // fccChunk
  body.writeUInt32LE(sample, 24); // dwSampleOffset
  return chunk('cue ', body);
}

/** A LIST/INFO chunk with a comment. */
function infoChunk(comment: string): Buffer {
  const text = Buffer.from(`${comment}\0`, 'latin1');
  const icmt = chunk('ICMT', text);
  return chunk('LIST', Buffer.concat([Buffer.from('INFO', 'ascii'), icmt]));
}

export const CORPUS: CorpusFile[] = [
  // LAME, through ffmpeg: constant and variable bit rate, mono and stereo.
  { name: 'lame-cbr-mono.mp3', source: 'mono', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libmp3lame', '-b:a', '64k')] },
  { name: 'lame-cbr-stereo.mp3', source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libmp3lame', '-b:a', '128k')] },
  { name: 'lame-vbr-mono.mp3', source: 'mono', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libmp3lame', '-q:a', '5')] },
  { name: 'lame-vbr-stereo.mp3', source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libmp3lame', '-q:a', '2')] },
  // The cases of issue 8: identical channels for 6 s, then different; identical all through.
  { name: 'lame-identical-opening.mp3', source: 'opening', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libmp3lame', '-b:a', '128k')] },
  { name: 'lame-identical-channels.mp3', source: 'identical', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libmp3lame', '-b:a', '128k')] },
  // AAC: in M4A with the moov after the audio (ffmpeg's default) and before it, and as ADTS.
  { name: 'aac.m4a', source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'aac', '-b:a', '128k')] },
  { name: 'aac-faststart-mono.m4a', source: 'mono', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart')] },
  { name: 'aac-identical-opening.m4a', source: 'opening', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'aac', '-b:a', '128k')] },
  { name: 'adts-mono.aac', source: 'mono', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'aac', '-b:a', '64k', '-f', 'adts')] },
  // MP3 in MP4 (mpg123 again: the first frame header says mono), and ALAC.
  { name: 'lame-mono.mp4', source: 'mono', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libmp3lame', '-b:a', '64k')] },
  { name: 'alac-identical-opening.m4a', source: 'opening', lossless: 0, steps: (s, o) => [ffmpeg(s, o, '-c:a', 'alac')] },
  { name: 'wmav2-identical-opening.wma', source: 'opening', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'wmav2', '-b:a', '128k')] },
  // Lossless and Xiph codecs.
  { name: 'flac-16.flac', lossless: 2 ** -15, source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'flac')] },
  { name: 'flac-24.flac', lossless: 2 ** -15, source: 'three', steps: (s, o) => [sox(s, '-b', '24', o)] },
  { name: 'vorbis.ogg', source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libvorbis', '-q:a', '4')] },
  { name: 'opus.opus', source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'libopus', '-b:a', '64k')] },
  // AIFF and AIFF-C.
  { name: 'sox.aiff', lossless: 0, source: 'stereo', steps: (s, o) => [sox(s, o)], check: (b) => void expectChunks(b, 'COMM', 'SSND') },
  {
    name: 'sox-float.aifc',
    lossless: 0,
    source: 'mono',
    steps: (s, o) => [sox(s, '-e', 'floating-point', '-b', '32', o)],
    check: (b) => expectCompression(b, 'fl32'),
  },
  {
    name: 'ffmpeg-sowt.aiff',
    lossless: 0,
    source: 'mono',
    steps: (s, o) => [ffmpeg(s, o, '-c:a', 'pcm_s16le', '-f', 'aiff')],
    check: (b) => expectCompression(b, 'sowt'),
  },
  {
    name: 'ffmpeg-fl64.aiff',
    lossless: 0,
    source: 'stereo',
    steps: (s, o) => [ffmpeg(s, o, '-c:a', 'pcm_f64be', '-f', 'aiff')],
    check: (b) => expectCompression(b, 'fl64'),
  },
  // WAV: sox's float files (an 18-byte fmt chunk and a fact chunk: samples at byte 58).
  {
    name: 'sox-float32.wav',
    lossless: 0,
    source: 'stereo',
    steps: (s, o) => [sox(s, '-e', 'floating-point', '-b', '32', o)],
    check: (b) => {
      expectFmt(b, 18, 3);
      expectChunks(b, 'fact');
    },
  },
  { name: 'sox-float64.wav', lossless: 0, source: 'mono', steps: (s, o) => [sox(s, '-e', 'floating-point', '-b', '64', o)], check: (b) => expectFmt(b, 18, 3) },
  {
    name: 'extensible-24bit-3ch.wav',
    lossless: 0,
    source: 'three',
    steps: (s, o) => [ffmpeg(s, o, '-c:a', 'pcm_s24le')],
    check: (b) => expectFmt(b, 40, 0xfffe, 3),
  },
  { name: 'unsigned-8bit.wav', lossless: 1 / 128, source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'pcm_u8')], check: (b) => expectFmt(b, 16, 1) },
  // Codecs inside WAV: G.711 µ-law (ours), IMA ADPCM (audio-decode's).
  { name: 'mulaw.wav', source: 'stereo', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'pcm_mulaw')], check: (b) => expectFmt(b, 18, 7) },
  { name: 'ima-adpcm.wav', source: 'mono', steps: (s, o) => [ffmpeg(s, o, '-c:a', 'adpcm_ima_wav')], check: (b) => expectFmt(b, 20, 0x11) },
  {
    // LIST/INFO and bext from ffmpeg, then a cue chunk and an odd-sized iXML chunk (with its
    // pad byte) before the data, and JUNK and another LIST after it.
    name: 'metadata.wav',
    lossless: 0,
    source: 'stereo',
    steps: (s, o) => [
      ffmpeg(
        s,
        o,
        '-c:a',
        'pcm_s16le',
        '-write_bext',
        '1',
        '-metadata',
        'title=Two speakers',
        '-metadata',
        'artist=Utterly tests',
        '-metadata',
        'comment=made by ffmpeg',
      ),
      (out) =>
        insertChunks(
          out,
          [cueChunk(44100), chunk('iXML', Buffer.from('<BWFXML><NOTE>odd</NOTE></BWFXML>'))],
          [chunk('JUNK', Buffer.alloc(101)), infoChunk('after the data')],
        ),
    ],
    check: (b) => {
      expectChunks(b, 'LIST', 'bext', 'cue ', 'iXML', 'JUNK');
      if (chunksOf(b).find((c) => c.id === 'iXML')!.size % 2 !== 1) throw new Error('the iXML chunk should be odd-sized');
    },
  },
  {
    name: 'rf64.wav',
    lossless: 0,
    source: 'stereo',
    steps: (s, o) => [ffmpeg(s, o, '-c:a', 'pcm_s16le', '-rf64', 'always')],
    check: (b) => void (b.toString('ascii', 0, 4) === 'RF64' ? expectChunks(b, 'ds64') : fail('not RF64')),
  },
  {
    // BW64 (ITU-R BS.2088) is RF64 under another name: ffmpeg's RF64 renamed.
    name: 'bw64.wav',
    lossless: 0,
    source: 'mono',
    steps: (s, o) => [
      ffmpeg(s, o, '-c:a', 'pcm_s24le', '-rf64', 'always'),
      (out) => {
        const bytes = readFileSync(out);
        bytes.write('BW64', 0, 'ascii');
        writeFileSync(out, bytes);
      },
    ],
  },
];

function fail(message: string): never {
  throw new Error(message);
}

/** Runs up to `limit` tasks at once. */
async function inParallel<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

async function perform(steps: Step[], out: string): Promise<void> {
  for (const step of steps) {
    if (typeof step === 'function') step(out);
    else await run(step[0], step[1]);
  }
}

export interface Corpus {
  sources: Record<SourceName, string>;
  files: Record<string, string>;
}

/** Makes the sources, then every file of the corpus, into `dir`. */
export async function makeCorpus(dir: string, parallel = 3): Promise<Corpus> {
  const names = Object.keys(SOURCES) as SourceName[];
  const sources = Object.fromEntries(names.map((name) => [name, join(dir, `source-${name}.wav`)])) as Record<SourceName, string>;
  await inParallel(
    names.map((name) => () => run('sox', SOURCES[name].args(sources[name]))),
    parallel,
  );
  const files: Record<string, string> = {};
  await inParallel(
    CORPUS.map((file) => async () => {
      const out = join(dir, file.name);
      await perform(file.steps(sources[file.source], out), out);
      try {
        file.check?.(readFileSync(out));
      } catch (error) {
        throw new Error(`${file.name} is not what the corpus needs: ${(error as Error).message}`, { cause: error });
      }
      files[file.name] = out;
    }),
    parallel,
  );
  return { sources, files };
}
