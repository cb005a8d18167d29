// WavRecorder and repairWav on real files, read back by a header parser of the test's own and
// by ffprobe, ffmpeg and sox; plain WAV files and RF64 ones past the 4 GiB limit (a small limit,
// and the real one with a sparse file); and recording processes killed with SIGKILL.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AudioFormat } from '../../src/shared/api';
import { repairWav, WavRecorder } from '../../src/main/storage/wav-recorder';
import { seededRandom } from '../support/helpers';
import { KILL_TEST_FORMAT, patternBytes } from '../support/wav-pattern';

interface ParsedWav {
  form: 'RIFF' | 'RF64';
  /** The file's RIFF size: from the ds64 chunk in an RF64 file. */
  riffSize: number;
  /** The 32-bit RIFF size field. */
  riffSize32: number;
  /** The body of the JUNK chunk that opens a plain file. */
  junk?: Buffer;
  ds64?: { riffSize: number; dataSize: number; sampleCount: number; tableLength: number };
  chunkIds: string[];
  formatTag: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  extension?: { cbSize: number; validBits: number; channelMask: number; subFormat: string };
  /** The fact chunk's 32-bit sample count. */
  factFrames?: number;
  /** The data chunk's size: from the ds64 chunk when its 32-bit field says so in an RF64 file. */
  dataSize: number;
  dataSize32: number;
  /** Where the data starts in the file. */
  dataAt: number;
  /** The data chunk as far as `file` goes. */
  data: Buffer;
  /** What follows the data chunk in `file`. */
  after: Buffer;
}

/** A WAV file, or the beginning of one (its header at least). */
function parseWav(file: Buffer): ParsedWav {
  const form = file.toString('ascii', 0, 4);
  expect(['RIFF', 'RF64']).toContain(form);
  expect(file.toString('ascii', 8, 12)).toBe('WAVE');
  const riffSize32 = file.readUInt32LE(4);
  const parsed: Partial<ParsedWav> = { form: form as ParsedWav['form'], riffSize: riffSize32, riffSize32, chunkIds: [] };
  for (let at = 12; ;) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    parsed.chunkIds!.push(id);
    const body = at + 8;
    if (id === 'JUNK' && at === 12) {
      parsed.junk = file.subarray(body, body + size);
    } else if (id === 'ds64') {
      expect(at).toBe(12);
      parsed.ds64 = {
        riffSize: Number(file.readBigUInt64LE(body)),
        dataSize: Number(file.readBigUInt64LE(body + 8)),
        sampleCount: Number(file.readBigUInt64LE(body + 16)),
        tableLength: file.readUInt32LE(body + 24),
      };
      expect(size).toBe(28);
      if (riffSize32 === 0xffff_ffff) parsed.riffSize = parsed.ds64.riffSize;
    } else if (id === 'fmt ') {
      parsed.formatTag = file.readUInt16LE(body);
      parsed.channels = file.readUInt16LE(body + 2);
      parsed.sampleRate = file.readUInt32LE(body + 4);
      parsed.byteRate = file.readUInt32LE(body + 8);
      parsed.blockAlign = file.readUInt16LE(body + 12);
      parsed.bitsPerSample = file.readUInt16LE(body + 14);
      if (size === 40) {
        parsed.extension = {
          cbSize: file.readUInt16LE(body + 16),
          validBits: file.readUInt16LE(body + 18),
          channelMask: file.readUInt32LE(body + 20),
          subFormat: file.subarray(body + 24, body + 40).toString('hex'),
        };
      } else {
        expect(size).toBe(16);
      }
    } else if (id === 'fact') {
      parsed.factFrames = file.readUInt32LE(body);
    } else if (id === 'data') {
      parsed.dataSize32 = size;
      parsed.dataSize = form === 'RF64' && size === 0xffff_ffff ? parsed.ds64!.dataSize : size;
      parsed.dataAt = body;
      parsed.data = file.subarray(body, Math.min(file.length, body + parsed.dataSize));
      parsed.after = file.subarray(Math.min(file.length, body + parsed.dataSize));
      return parsed as ParsedWav;
    }
    at = body + size + (size % 2);
  }
}

/** The header of a file that may be too big to read whole. */
function parseWavHeader(path: string): ParsedWav {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    return parseWav(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } finally {
    closeSync(fd);
  }
}

/** KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT, {0000000t-0000-0010-8000-00aa00389b71}, as stored (mixed endian). */
const subFormatGuid = (tag: number) => `0${tag}000000` + '0000' + '1000' + '8000' + '00aa00389b71';

const blockAlignOf = (format: AudioFormat) => (format.channels * format.bit_depth) / 8;
/** The length of the header WavRecorder writes: RIFF, JUNK or ds64, fmt, fact for float, data. */
const headerLengthOf = (format: AudioFormat) => 12 + 36 + 8 + (format.channels > 2 || format.bit_depth > 16 ? 40 : 16) + (format.is_float ? 12 : 0) + 8;

/**
 * A closed file in `format` with `dataLength` bytes of data: sizes (32-bit, or 64-bit in ds64
 * for RF64), its length and every fmt field; the data is not read.
 */
function expectValidHeader(path: string, format: AudioFormat, dataLength: number, form: 'RIFF' | 'RF64' = 'RIFF'): ParsedWav {
  const wav = parseWavHeader(path);
  const fileLength = statSync(path).size;
  const blockAlign = blockAlignOf(format);
  const frames = dataLength / blockAlign;
  const extensible = format.channels > 2 || format.bit_depth > 16;
  const tag = format.is_float ? 3 : 1;
  const rf64 = form === 'RF64';
  expect(fileLength).toBe(headerLengthOf(format) + dataLength + (dataLength % 2));
  expect(wav).toMatchObject({
    form,
    riffSize: fileLength - 8,
    riffSize32: rf64 ? 0xffff_ffff : fileLength - 8,
    chunkIds: [rf64 ? 'ds64' : 'JUNK', 'fmt ', ...(format.is_float ? ['fact'] : []), 'data'],
    formatTag: extensible ? 0xfffe : tag,
    channels: format.channels,
    sampleRate: format.sample_rate,
    byteRate: format.sample_rate * blockAlign,
    blockAlign,
    bitsPerSample: format.bit_depth,
    dataSize: dataLength,
    dataSize32: rf64 ? 0xffff_ffff : dataLength,
    dataAt: headerLengthOf(format),
  });
  if (rf64) {
    expect(wav.junk).toBeUndefined();
    expect(wav.ds64).toEqual({ riffSize: fileLength - 8, dataSize: dataLength, sampleCount: frames, tableLength: 0 });
  } else {
    expect(wav.ds64).toBeUndefined();
    expect([...wav.junk!]).toEqual(new Array(28).fill(0));
  }
  if (extensible) {
    const channelMask = format.channels === 1 ? 0x4 : format.channels === 2 ? 0x3 : 0;
    expect(wav.extension).toEqual({ cbSize: 22, validBits: format.bit_depth, channelMask, subFormat: subFormatGuid(tag) });
  } else {
    expect(wav.extension).toBeUndefined();
  }
  if (format.is_float) expect(wav.factFrames).toBe(rf64 ? 0xffff_ffff : frames);
  return wav;
}

/** A closed file in `format` holding exactly `data`: sizes, pad byte and every fmt field. */
function expectValidWav(path: string, format: AudioFormat, data: Uint8Array, form: 'RIFF' | 'RF64' = 'RIFF'): void {
  expectValidHeader(path, format, data.length, form);
  const wav = parseWav(readFileSync(path));
  expect(wav.data.equals(data)).toBe(true);
  expect([...wav.after]).toEqual(data.length % 2 === 1 ? [0] : []);
}

/** ffmpeg's name of the raw sample format of `format` (also its PCM codec's, after `pcm_`). */
function rawFormatOf(format: AudioFormat): string {
  if (format.is_float) return `f${format.bit_depth}le`;
  return format.bit_depth === 8 ? 'u8' : `s${format.bit_depth}le`;
}

/**
 * Messages about every file of some kind, not about ours: ffmpeg guesses the speakers of a file
 * without a channel mask (not extensible, or a mask of 0), and sox 14.4.2 looks for a cbSize
 * after the extension of a WAVE_FORMAT_EXTENSIBLE float file (as in one ffmpeg writes).
 */
const HARMLESS_MESSAGES = [/^Guessed Channel Layout for Input Stream #0\.0 : [\w.()]+$/, /^sox WARN wav: wave header missing extended part of fmt chunk$/];

/** Runs a tool that must succeed with no messages but harmless ones; returns its output. */
function run(command: string, args: string[]): Buffer {
  const result = spawnSync(command, args, { maxBuffer: 1 << 30 });
  if (result.error) throw result.error;
  const messages = result.stderr
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '' && !HARMLESS_MESSAGES.some((harmless) => harmless.test(line)));
  expect({ status: result.status, messages }, `${command} ${args.join(' ')}`).toEqual({ status: 0, messages: [] });
  return result.stdout;
}

/** What ffprobe finds in the file: codec, channels, rate and the number of frames. */
function ffprobe(path: string): unknown {
  const args = ['-v', 'warning', '-show_entries', 'stream=codec_name,channels,sample_rate,duration_ts:format=format_name', '-of', 'json', path];
  const { streams, format } = JSON.parse(run('ffprobe', args).toString('utf8'));
  return { format: format.format_name, streams };
}

/**
 * The samples ffmpeg decodes from the file, as raw bytes in the file's format: all of them, or
 * `frames` from frame `from` on (input options, so ffmpeg reads only those; whole milliseconds
 * are exact).
 */
function ffmpegSamples(path: string, format: AudioFormat, range: { from?: number; frames?: number } = {}): Buffer {
  const raw = rawFormatOf(format);
  const seconds = (frames: number) => (frames / format.sample_rate).toFixed(6);
  const input = [...(range.from === undefined ? [] : ['-ss', seconds(range.from)]), ...(range.frames === undefined ? [] : ['-t', seconds(range.frames)])];
  return run('ffmpeg', ['-nostdin', '-v', 'warning', ...input, '-i', path, '-map', '0:a:0', '-c:a', `pcm_${raw}`, '-f', raw, '-']);
}

/**
 * The file read by ffprobe, ffmpeg and sox, none of them ours: the format, the number of frames
 * and (ffmpeg, and sox for integer samples) the decoded samples, byte for byte. sox works with
 * 32-bit integer samples inside, so float samples are not compared: sox only reports them.
 */
function expectToolsRead(path: string, format: AudioFormat, data: Uint8Array): void {
  const frames = data.length / blockAlignOf(format);
  expect(ffprobe(path)).toEqual({
    format: 'wav',
    streams: [{ codec_name: `pcm_${rawFormatOf(format)}`, channels: format.channels, sample_rate: String(format.sample_rate), duration_ts: frames }],
  });
  expect(ffmpegSamples(path, format).equals(data)).toBe(true);
  const soxInfo = run('sox', ['--i', path]).toString('utf8');
  expect(soxInfo).toContain(`Channels       : ${format.channels}\n`);
  expect(soxInfo).toContain(`Sample Rate    : ${format.sample_rate}\n`);
  expect(soxInfo).toMatch(new RegExp(`= ${frames} samples`));
  if (!format.is_float) expect(run('sox', [path, '-t', 'raw', '-']).equals(data)).toBe(true);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'utterly-wav-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const FORMATS: AudioFormat[] = [
  { channels: 1, sample_rate: 8000, bit_depth: 8, is_float: false },
  { channels: 2, sample_rate: 22050, bit_depth: 8, is_float: false },
  { channels: 1, sample_rate: 16000, bit_depth: 16, is_float: false },
  { channels: 2, sample_rate: 44100, bit_depth: 16, is_float: false },
  { channels: 6, sample_rate: 48000, bit_depth: 16, is_float: false },
  { channels: 1, sample_rate: 48000, bit_depth: 24, is_float: false },
  { channels: 2, sample_rate: 96000, bit_depth: 32, is_float: false },
  { channels: 1, sample_rate: 48000, bit_depth: 32, is_float: true },
  { channels: 3, sample_rate: 16000, bit_depth: 32, is_float: true },
  { channels: 2, sample_rate: 384000, bit_depth: 64, is_float: true },
];
const describeFormat = (f: AudioFormat) => `${f.channels} ch ${f.bit_depth}-bit ${f.is_float ? 'float' : 'int'}`;

describe('WavRecorder', () => {
  for (const format of FORMATS) {
    it(`records ${describeFormat(format)} in chunks of any size`, () => {
      const blockAlign = (format.channels * format.bit_depth) / 8;
      const random = seededRandom(format.channels * 1000 + format.bit_depth);
      // An odd number of frames (a pad byte for 1-byte and 3-byte frames) and half a frame more.
      const frames = 1001;
      const bytes = patternBytes(0, frames * blockAlign + Math.floor(blockAlign / 2));
      const path = join(dir, 'recording.wav');
      const recorder = WavRecorder.create(path, format);
      for (let at = 0; at < bytes.length;) {
        const length = Math.min(bytes.length - at, Math.floor(random() * 700));
        recorder.append(bytes.subarray(at, at + length));
        at += length;
      }
      expect(recorder.frames).toBe(frames);
      expect(recorder.close()).toBe(frames);
      expectValidWav(path, format, bytes.subarray(0, frames * blockAlign));
      expectToolsRead(path, format, bytes.subarray(0, frames * blockAlign));
      expect(repairWav(path)).toEqual({ frames, repaired: false });
    });
  }

  it('writes a valid empty file', () => {
    const path = join(dir, 'empty.wav');
    const format = FORMATS[7]!;
    expect(WavRecorder.create(path, format).close()).toBe(0);
    expectValidWav(path, format, new Uint8Array(0));
  });

  it('keeps the header up to date while recording: on the next append, or by a timer', async () => {
    const path = join(dir, 'live.wav');
    const format = KILL_TEST_FORMAT;
    const recorder = WavRecorder.create(path, format, { headerIntervalMs: 50 });
    const declared = () => parseWav(readFileSync(path)).dataSize;
    recorder.append(patternBytes(0, 6 * 100 + 4));
    expect(declared()).toBe(0);
    // Appends that stop: the timer brings the header up to date.
    await expect.poll(declared, { timeout: 2000, interval: 10 }).toBe(600);
    // Appends back to back, without the event loop turning.
    const started = Date.now();
    let written = 604;
    while (Date.now() - started < 120) {
      recorder.append(patternBytes(written, 10));
      written += 10;
    }
    expect(declared()).toBeGreaterThan(600);
    expect(declared() % 6).toBe(0);
    recorder.close();
    expectValidWav(path, format, patternBytes(0, Math.floor(written / 6) * 6));
  });

  it('refuses to overwrite a file, and to append once closed', () => {
    const path = join(dir, 'taken.wav');
    writeFileSync(path, 'precious');
    expect(() => WavRecorder.create(path, FORMATS[0]!)).toThrow(/EEXIST/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
    const recorder = WavRecorder.create(join(dir, 'new.wav'), FORMATS[0]!);
    expect(recorder.close()).toBe(0);
    expect(recorder.close()).toBe(0);
    expect(() => recorder.append(new Uint8Array(1))).toThrow(/closed/);
  });
});

describe('repairWav', () => {
  /** The file as a crash leaves it: whatever was appended, the header as last updated. */
  function crashedCopy(format: AudioFormat, length: number): { path: string; bytes: Uint8Array } {
    const live = join(dir, 'live.wav');
    const recorder = WavRecorder.create(live, format, { headerIntervalMs: 3_600_000 });
    const bytes = patternBytes(0, length);
    recorder.append(bytes);
    const path = join(dir, 'crashed.wav');
    copyFileSync(live, path);
    recorder.close();
    rmSync(live);
    return { path, bytes };
  }

  for (const format of [FORMATS[0]!, FORMATS[5]!, FORMATS[8]!, KILL_TEST_FORMAT]) {
    it(`repairs a stale header of ${describeFormat(format)}, cutting the partial frame`, () => {
      const blockAlign = (format.channels * format.bit_depth) / 8;
      const frames = 777;
      const { path, bytes } = crashedCopy(format, frames * blockAlign + blockAlign - 1);
      expect(parseWav(readFileSync(path)).dataSize).toBe(0);
      expect(repairWav(path)).toEqual({ frames, repaired: true });
      expectValidWav(path, format, bytes.subarray(0, frames * blockAlign));
      expect(repairWav(path)).toEqual({ frames, repaired: false });
    });
  }

  it('repairs a file cut short of what its header says', () => {
    const format = FORMATS[3]!;
    const path = join(dir, 'cut.wav');
    const recorder = WavRecorder.create(path, format);
    const bytes = patternBytes(0, 4 * 1000);
    recorder.append(bytes);
    recorder.close();
    truncateSync(path, readFileSync(path).length - 4 * 10 - 3);
    expect(repairWav(path)).toEqual({ frames: 989, repaired: true });
    expectValidWav(path, format, bytes.subarray(0, 4 * 989));
  });

  it('does not take the pad byte of a closed odd-sized file for a frame', () => {
    const format = FORMATS[0]!;
    const path = join(dir, 'odd.wav');
    const recorder = WavRecorder.create(path, format);
    recorder.append(patternBytes(0, 333));
    recorder.close();
    expect(repairWav(path)).toEqual({ frames: 333, repaired: false });
  });

  it('refuses what is not a WAV file', () => {
    const path = join(dir, 'not.wav');
    writeFileSync(path, 'ID3 definitely an mp3 file');
    expect(() => repairWav(path)).toThrow('is not a WAV file');
  });
});

describe('past the RIFF limit (a small one): RF64', () => {
  /** A limit that a plain file reaches with `frames` frames of `format`. */
  const limitAt = (format: AudioFormat, frames: number) => headerLengthOf(format) - 8 + frames * blockAlignOf(format);

  for (const format of FORMATS) {
    it(`records ${describeFormat(format)} past the limit as RF64, read back by ffmpeg and sox`, () => {
      const blockAlign = blockAlignOf(format);
      const random = seededRandom(format.channels * 1000 + format.bit_depth + 1);
      const frames = 1001;
      const riffLimitBytes = limitAt(format, 500);
      const bytes = patternBytes(0, frames * blockAlign + Math.floor(blockAlign / 2));
      const path = join(dir, 'recording.wav');
      const recorder = WavRecorder.create(path, format, { riffLimitBytes });
      for (let at = 0; at < bytes.length;) {
        const length = Math.min(bytes.length - at, Math.floor(random() * 700));
        recorder.append(bytes.subarray(at, at + length));
        at += length;
      }
      expect(recorder.close()).toBe(frames);
      const data = bytes.subarray(0, frames * blockAlign);
      expectValidWav(path, format, data, 'RF64');
      expectToolsRead(path, format, data);
      expect(repairWav(path, { riffLimitBytes })).toEqual({ frames, repaired: false });
      // Under the real limit the same audio is a plain file: repair turns it back into one.
      expect(repairWav(path)).toEqual({ frames, repaired: true });
      expectValidWav(path, format, data);
      expect(repairWav(path)).toEqual({ frames, repaired: false });
    });
  }

  it('stays plain up to the limit exactly, the pad byte included', () => {
    const format = FORMATS[0]!; // 1-byte frames: every data size, odd ones padded
    const riffLimitBytes = limitAt(format, 100);
    for (const [frames, form] of [
      [98, 'RIFF'],
      [99, 'RIFF'],
      [100, 'RIFF'],
      [101, 'RF64'],
      [102, 'RF64'],
    ] as const) {
      const path = join(dir, `${frames}.wav`);
      const recorder = WavRecorder.create(path, format, { riffLimitBytes });
      recorder.append(patternBytes(0, frames));
      recorder.close();
      expectValidWav(path, format, patternBytes(0, frames), form);
      expect(repairWav(path, { riffLimitBytes })).toEqual({ frames, repaired: false });
    }
  });

  it('switches the header to RF64 at the first header update past the limit', async () => {
    const path = join(dir, 'live.wav');
    const format = KILL_TEST_FORMAT;
    const riffLimitBytes = limitAt(format, 1000);
    const recorder = WavRecorder.create(path, format, { headerIntervalMs: 50, riffLimitBytes });
    const header = () => {
      const { form, dataSize } = parseWav(readFileSync(path));
      return { form, dataSize };
    };
    recorder.append(patternBytes(0, 6 * 1000));
    await expect.poll(header, { timeout: 2000, interval: 10 }).toEqual({ form: 'RIFF', dataSize: 6000 });
    recorder.append(patternBytes(6000, 6 + 4));
    await expect.poll(header, { timeout: 2000, interval: 10 }).toEqual({ form: 'RF64', dataSize: 6006 });
    expect(recorder.close()).toBe(1001);
    expectValidWav(path, format, patternBytes(0, 6006), 'RF64');
  });

  it('refuses a limit that is not a 32-bit RIFF size', () => {
    for (const riffLimitBytes of [-1, 0.5, 0xffff_ffff, 2 ** 40]) {
      expect(() => WavRecorder.create(join(dir, 'x.wav'), FORMATS[0]!, { riffLimitBytes })).toThrow(RangeError);
      expect(() => repairWav(join(dir, 'x.wav'), { riffLimitBytes })).toThrow(RangeError);
    }
  });

  describe('repairWav after a crash at any moment around the limit', () => {
    /**
     * The file as a crash leaves it: its header as last updated after `headerBytes`, then
     * `length` bytes of data in all (which the recorder had written, the header not yet).
     */
    function crashedFile(format: AudioFormat, riffLimitBytes: number, headerBytes: number, length: number): string {
      const live = join(dir, 'live.wav');
      const recorder = WavRecorder.create(live, format, { headerIntervalMs: 0, riffLimitBytes });
      recorder.append(patternBytes(0, headerBytes));
      const path = join(dir, 'crashed.wav');
      copyFileSync(live, path);
      writeFileSync(path, patternBytes(headerBytes, length - headerBytes), { flag: 'a' });
      recorder.close();
      rmSync(live);
      return path;
    }

    const format = FORMATS[8]!; // 3 ch float: 12-byte frames, a fact chunk
    const blockAlign = blockAlignOf(format);
    const riffLimitBytes = limitAt(format, 100);
    const cases: { name: string; headerFrames: number; bytes: number; form: 'RIFF' | 'RF64'; frames: number }[] = [
      { name: 'a plain header of no data, data past the limit', headerFrames: 0, bytes: 150 * blockAlign + 5, form: 'RF64', frames: 150 },
      { name: 'a plain header at the limit, the data just past it', headerFrames: 100, bytes: 101 * blockAlign + 11, form: 'RF64', frames: 101 },
      { name: 'an RF64 header just past the limit, more data', headerFrames: 101, bytes: 180 * blockAlign + 1, form: 'RF64', frames: 180 },
      { name: 'an up-to-date RF64 header and a partial frame', headerFrames: 150, bytes: 150 * blockAlign + 7, form: 'RF64', frames: 150 },
      { name: 'a plain header and data short of the limit', headerFrames: 50, bytes: 90 * blockAlign + 3, form: 'RIFF', frames: 90 },
    ];
    for (const { name, headerFrames, bytes, form, frames } of cases) {
      it(`repairs ${name}`, () => {
        const path = crashedFile(format, riffLimitBytes, headerFrames * blockAlign, bytes);
        expect(parseWav(readFileSync(path))).toMatchObject({ form: headerFrames > 100 ? 'RF64' : 'RIFF', dataSize: headerFrames * blockAlign });
        expect(repairWav(path, { riffLimitBytes })).toEqual({ frames, repaired: true });
        const data = patternBytes(0, frames * blockAlign);
        expectValidWav(path, format, data, form);
        expectToolsRead(path, format, data);
        expect(repairWav(path, { riffLimitBytes })).toEqual({ frames, repaired: false });
      });
    }

    it('repairs an RF64 file cut short, above the limit and below it', () => {
      const path = crashedFile(format, riffLimitBytes, 200 * blockAlign, 200 * blockAlign);
      truncateSync(path, headerLengthOf(format) + 170 * blockAlign + 2);
      expect(repairWav(path, { riffLimitBytes })).toEqual({ frames: 170, repaired: true });
      expectValidWav(path, format, patternBytes(0, 170 * blockAlign), 'RF64');
      truncateSync(path, headerLengthOf(format) + 60 * blockAlign + 2);
      expect(repairWav(path, { riffLimitBytes })).toEqual({ frames: 60, repaired: true });
      expectValidWav(path, format, patternBytes(0, 60 * blockAlign));
      expectToolsRead(path, format, patternBytes(0, 60 * blockAlign));
    });

    it('repairs a file of an earlier Utterly, without the JUNK chunk, and refuses it past the limit', () => {
      const path = crashedFile(format, riffLimitBytes, 0, 50 * blockAlign + 5);
      // The same file without its JUNK chunk: what Utterly wrote before RF64.
      const file = readFileSync(path);
      writeFileSync(path, Buffer.concat([file.subarray(0, 12), file.subarray(12 + 36)]));
      expect(repairWav(path, { riffLimitBytes })).toEqual({ frames: 50, repaired: true });
      const repaired = readFileSync(path);
      expect(parseWav(repaired)).toMatchObject({
        form: 'RIFF',
        riffSize: repaired.length - 8,
        chunkIds: ['fmt ', 'fact', 'data'],
        factFrames: 50,
        dataSize: 50 * blockAlign,
      });
      expect(parseWav(repaired).data.equals(patternBytes(0, 50 * blockAlign))).toBe(true);
      expect(ffmpegSamples(path, format).equals(patternBytes(0, 50 * blockAlign))).toBe(true);

      writeFileSync(path, patternBytes(50 * blockAlign, 100 * blockAlign), { flag: 'a' });
      const before = readFileSync(path);
      expect(() => repairWav(path, { riffLimitBytes })).toThrow('has no room for an RF64 ds64 chunk');
      expect(readFileSync(path).equals(before)).toBe(true);
    });

    it('refuses an RF64 file without its ds64 chunk', () => {
      const path = join(dir, 'bad.wav');
      const file = readFileSync(crashedFile(format, riffLimitBytes, 0, 10 * blockAlign));
      file.write('RF64', 0, 'ascii');
      writeFileSync(path, file);
      expect(() => repairWav(path)).toThrow('is an RF64 file without its ds64 chunk');
    });
  });
});

describe('past the real 4 GiB limit, with a sparse file', () => {
  // 24-bit stereo, and 8-bit mono: more than 2^32 frames (a 64-bit sample count), an odd size.
  for (const format of [KILL_TEST_FORMAT, FORMATS[0]!]) {
    const blockAlign = blockAlignOf(format);
    /** A millisecond of audio: ffmpeg seeks to it exactly. */
    const MS = (format.sample_rate / 1000) * blockAlign;
    const HEAD = 1000 * MS;
    /** The largest data size of a plain file: its RIFF size is at most 0xFFFFFFFE. */
    const PLAIN_MAX = 0xffff_fffe - (headerLengthOf(format) - 8);
    const TAIL_AT = Math.floor((PLAIN_MAX - 2 ** 21) / MS) * MS;
    const TAIL_1 = 1000 * MS;
    const TAIL_2 = 2 ** 22 + 3;
    const FRAMES = Math.floor((TAIL_AT + TAIL_1 + TAIL_2) / blockAlign);

    /** Audio from the pattern, 4 GiB of zeros never written, then more past the limit. */
    const record = (recorder: WavRecorder, path: string, skip: () => void, afterTail1: () => void) => {
      recorder.append(patternBytes(0, HEAD));
      recorder.appendZeros(TAIL_AT - HEAD);
      if (statSync(path).blocks * 512 > 2 ** 26) {
        recorder.close();
        skip();
      }
      recorder.append(patternBytes(TAIL_AT, TAIL_1));
      afterTail1();
      recorder.append(patternBytes(TAIL_AT + TAIL_1, TAIL_2));
    };

    /** ffprobe's frame count; ffmpeg's samples of the head, some zeros, and the tail. */
    const expectToolsReadBig = (path: string) => {
      expect(ffprobe(path)).toEqual({
        format: 'wav',
        streams: [{ codec_name: `pcm_${rawFormatOf(format)}`, channels: format.channels, sample_rate: String(format.sample_rate), duration_ts: FRAMES }],
      });
      const fromFrame = (from: number, frames?: number) => ffmpegSamples(path, format, { from: from / blockAlign, frames });
      expect(fromFrame(0, HEAD / blockAlign).equals(patternBytes(0, HEAD))).toBe(true);
      expect(fromFrame(HEAD, MS / blockAlign).equals(new Uint8Array(MS))).toBe(true);
      // From below 4 GiB to the end, across the 4 GiB file offset.
      expect(fromFrame(TAIL_AT).equals(patternBytes(TAIL_AT, FRAMES * blockAlign - TAIL_AT))).toBe(true);
      // Not sox: 14.4.2 reads such a file right, but reads all of it to open it (a minute).
    };

    /** The header as it is on the disk. */
    const head = (path: string) => {
      const fd = openSync(path, 'r');
      try {
        const bytes = Buffer.alloc(headerLengthOf(format));
        readSync(fd, bytes, 0, bytes.length, 0);
        return bytes;
      } finally {
        closeSync(fd);
      }
    };

    it(`records ${describeFormat(format)} as RF64, the header plain up to the limit, read back by ffmpeg`, (context) => {
      const path = join(dir, 'big.wav');
      const recorder = WavRecorder.create(path, format, { headerIntervalMs: 0 });
      record(
        recorder,
        path,
        () => context.skip('no sparse files here'),
        () => {
          const { form, dataSize } = parseWavHeader(path);
          expect({ form, dataSize }).toEqual({ form: 'RIFF', dataSize: TAIL_AT + TAIL_1 });
        },
      );
      expect(parseWavHeader(path)).toMatchObject({ form: 'RF64', dataSize: FRAMES * blockAlign });
      expect(recorder.close()).toBe(FRAMES);
      expectValidHeader(path, format, FRAMES * blockAlign, 'RF64');
      expect(repairWav(path)).toEqual({ frames: FRAMES, repaired: false });
      expectToolsReadBig(path);
    });

    it(`repairs ${describeFormat(format)} into RF64 after a crash that left the header plain`, (context) => {
      const path = join(dir, 'big.wav');
      const recorder = WavRecorder.create(path, format, { headerIntervalMs: 3_600_000 });
      record(
        recorder,
        path,
        () => context.skip('no sparse files here'),
        () => undefined,
      );
      expect(parseWavHeader(path)).toMatchObject({ form: 'RIFF', dataSize: 0 });
      expect(repairWav(path)).toEqual({ frames: FRAMES, repaired: true });
      expectValidHeader(path, format, FRAMES * blockAlign, 'RF64');
      expectToolsReadBig(path);
      // The header the recorder writes at close is the one repair wrote.
      const repaired = head(path);
      expect(recorder.close()).toBe(FRAMES);
      expect(head(path).equals(repaired)).toBe(true);
      expect(repairWav(path)).toEqual({ frames: FRAMES, repaired: false });
    });
  }
});

describe('a recording process killed with SIGKILL', () => {
  /**
   * Runs wav-recorder.child.ts on `path` (with `riffLimitBytes` if given), waits for
   * `killWhen` to say so, then kills it with SIGKILL; returns its reports and when it was killed.
   */
  async function recordAndKill(
    path: string,
    riffLimitBytes: number | undefined,
    killWhen: (reports: Report[]) => boolean,
  ): Promise<{ reports: Report[]; killedAt: number }> {
    const script = fileURLToPath(new URL('../support/wav-recorder.child.ts', import.meta.url));
    const args = ['--import', 'tsx', script, path, ...(riffLimitBytes === undefined ? [] : [String(riffLimitBytes)])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const reports: Report[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [time, written] = line.split(' ').map(Number);
        reports.push({ time: time!, written: written! });
      }
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await expect.poll(() => killWhen(reports), { timeout: 30_000, interval: 10 }).toBe(true);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    return { reports, killedAt };
  }
  interface Report {
    time: number;
    written: number;
  }
  const blockAlign = 6;

  it('leaves a file that repairWav makes whole, with everything it reported writing', async () => {
    const path = join(dir, 'killed.wav');
    // Kill at a moment that has nothing to do with the header's schedule.
    const delay = 2500 + Math.random() * 500;
    const { reports, killedAt } = await recordAndKill(path, undefined, (reports) => reports.length > 0 && Date.now() - reports[0]!.time >= delay);

    const before = parseWav(readFileSync(path));
    // The header was at most about a second stale (with slack for a busy machine).
    const secondBefore = reports.filter((r) => r.time <= killedAt - 1500).at(-1)!;
    expect(before.dataSize).toBeGreaterThanOrEqual(Math.floor(secondBefore.written / blockAlign) * blockAlign);

    const { frames } = repairWav(path);
    const lastReported = reports.at(-1)!.written;
    expect(frames).toBeGreaterThanOrEqual(Math.floor(lastReported / blockAlign));
    expectValidWav(path, KILL_TEST_FORMAT, patternBytes(0, frames * blockAlign));
  });

  it('past the RIFF limit (a small one), leaves a file that repairWav makes a whole RF64 file', async () => {
    const path = join(dir, 'killed.wav');
    const riffLimitBytes = 1_500_000;
    // Up to a second after the data passes the limit: before the header becomes RF64, or after.
    const delay = Math.random() * 1000;
    let crossedAt: number | undefined;
    const { reports, killedAt } = await recordAndKill(path, riffLimitBytes, (reports) => {
      const last = reports.at(-1);
      if (crossedAt === undefined && last && last.written > riffLimitBytes) crossedAt = Date.now();
      return crossedAt !== undefined && Date.now() - reports[0]!.time >= 1600 && Date.now() - crossedAt >= delay;
    });

    const before = parseWav(readFileSync(path));
    const secondBefore = reports.filter((r) => r.time <= killedAt - 1500).at(-1)!;
    expect(before.dataSize).toBeGreaterThanOrEqual(Math.floor(secondBefore.written / blockAlign) * blockAlign);

    const { frames } = repairWav(path, { riffLimitBytes });
    const lastReported = reports.at(-1)!.written;
    expect(lastReported).toBeGreaterThan(riffLimitBytes);
    expect(frames).toBeGreaterThanOrEqual(Math.floor(lastReported / blockAlign));
    const data = patternBytes(0, frames * blockAlign);
    expectValidWav(path, KILL_TEST_FORMAT, data, 'RF64');
    expectToolsRead(path, KILL_TEST_FORMAT, data);
  });
});
