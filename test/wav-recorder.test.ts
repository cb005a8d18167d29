// WavRecorder and repairWav on real files, read back by a header parser of the test's own;
// and a recording process killed with SIGKILL.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AudioFormat } from '../src/shared/api';
import { repairWav, WavRecorder } from '../src/main/storage/wav-recorder';
import { seededRandom } from './helpers';
import { KILL_TEST_FORMAT, patternBytes } from './wav-pattern';

interface ParsedWav {
  riffSize: number;
  chunkIds: string[];
  formatTag: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  extension?: { cbSize: number; validBits: number; channelMask: number; subFormat: string };
  factFrames?: number;
  dataSize: number;
  /** The data chunk as far as the file goes. */
  data: Buffer;
  /** What follows the data chunk. */
  after: Buffer;
}

function parseWav(file: Buffer): ParsedWav {
  expect(file.toString('ascii', 0, 4)).toBe('RIFF');
  expect(file.toString('ascii', 8, 12)).toBe('WAVE');
  const parsed: Partial<ParsedWav> = { riffSize: file.readUInt32LE(4), chunkIds: [] };
  for (let at = 12; ; ) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    parsed.chunkIds!.push(id);
    const body = at + 8;
    if (id === 'fmt ') {
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
      parsed.dataSize = size;
      parsed.data = file.subarray(body, Math.min(file.length, body + size));
      parsed.after = file.subarray(Math.min(file.length, body + size));
      return parsed as ParsedWav;
    }
    at = body + size + (size % 2);
  }
}

/** KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT, {0000000t-0000-0010-8000-00aa00389b71}, as stored (mixed endian). */
const subFormatGuid = (tag: number) => `0${tag}000000` + '0000' + '1000' + '8000' + '00aa00389b71';

/** A closed file in `format` holding exactly `data`: sizes, pad byte and every fmt field. */
function expectValidWav(path: string, format: AudioFormat, data: Uint8Array): void {
  const file = readFileSync(path);
  const wav = parseWav(file);
  const blockAlign = (format.channels * format.bit_depth) / 8;
  const extensible = format.channels > 2 || format.bit_depth > 16;
  const tag = format.is_float ? 3 : 1;
  expect(wav).toMatchObject({
    riffSize: file.length - 8,
    chunkIds: format.is_float ? ['fmt ', 'fact', 'data'] : ['fmt ', 'data'],
    formatTag: extensible ? 0xfffe : tag,
    channels: format.channels,
    sampleRate: format.sample_rate,
    byteRate: format.sample_rate * blockAlign,
    blockAlign,
    bitsPerSample: format.bit_depth,
    dataSize: data.length,
  });
  if (extensible) {
    const channelMask = format.channels === 1 ? 0x4 : format.channels === 2 ? 0x3 : 0;
    expect(wav.extension).toEqual({ cbSize: 22, validBits: format.bit_depth, channelMask, subFormat: subFormatGuid(tag) });
  } else {
    expect(wav.extension).toBeUndefined();
  }
  if (format.is_float) expect(wav.factFrames).toBe(data.length / blockAlign);
  expect(wav.data.equals(data)).toBe(true);
  expect([...wav.after]).toEqual(data.length % 2 === 1 ? [0] : []);
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
      for (let at = 0; at < bytes.length; ) {
        const length = Math.min(bytes.length - at, Math.floor(random() * 700));
        recorder.append(bytes.subarray(at, at + length));
        at += length;
      }
      expect(recorder.frames).toBe(frames);
      expect(recorder.close()).toBe(frames);
      expectValidWav(path, format, bytes.subarray(0, frames * blockAlign));
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

describe('a recording process killed with SIGKILL', () => {
  it('leaves a file that repairWav makes whole, with everything it reported writing', async () => {
    const path = join(dir, 'killed.wav');
    const script = fileURLToPath(new URL('./wav-recorder.child.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reports: { time: number; written: number }[] = [];
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
    await expect.poll(() => reports.length, { timeout: 30_000 }).toBeGreaterThan(0);
    // Kill at a moment that has nothing to do with the header's schedule.
    await new Promise((resolve) => setTimeout(resolve, 2500 + Math.random() * 500));
    const killedAt = Date.now();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const blockAlign = 6;
    const before = parseWav(readFileSync(path));
    // The header was at most about a second stale (with slack for a busy machine).
    const secondBefore = reports.filter((r) => r.time <= killedAt - 1500).at(-1)!;
    expect(before.dataSize).toBeGreaterThanOrEqual(Math.floor(secondBefore.written / blockAlign) * blockAlign);

    const { frames } = repairWav(path);
    const lastReported = reports.at(-1)!.written;
    expect(frames).toBeGreaterThanOrEqual(Math.floor(lastReported / blockAlign));
    expectValidWav(path, KILL_TEST_FORMAT, patternBytes(0, frames * blockAlign));
  });
});
