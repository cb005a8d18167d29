// Every legal WAV and AIFF layout opens, with exactly its samples; hostile headers fail with a
// message saying what is wrong. The files are built byte by byte.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioFileError, decodeAudioFile, probeAudioFile } from '../../src/main/engine/file-source';

const dir = mkdtempSync(join(tmpdir(), 'utterly-wav-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(bytes: Buffer, name = `f${files++}.wav`): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function decodeAll(path: string): Promise<{ channels: Float32Array[]; sampleRate: number; chunks: number }> {
  const parts: Float32Array[][] = [];
  let sampleRate = 0;
  for await (const chunk of decodeAudioFile(path)) {
    parts.push(chunk.channelData);
    sampleRate = chunk.sampleRate;
  }
  const channels = (parts[0] ?? []).map((_, c) => Float32Array.from(parts.flatMap((part) => [...part[c]!])));
  return { channels, sampleRate, chunks: parts.length };
}

async function decodeError(path: string): Promise<string> {
  try {
    await decodeAll(path);
  } catch (error) {
    expect(error).toBeInstanceOf(AudioFileError);
    return (error as Error).message;
  }
  throw new Error(`${path} decoded`);
}

// ------------------------------------------------------------------------------------------
// Samples: integers of each width and floats, with the value each must decode to.

type Kind = 'u8' | 's8' | 's16' | 's24' | 's32' | 'f32' | 'f64';
const WIDTH: Record<Kind, number> = { u8: 1, s8: 1, s16: 2, s24: 3, s32: 4, f32: 4, f64: 8 };

function sampleValue(kind: Kind, i: number, c: number): { raw: number; value: number } {
  const n = i * 7919 + c * 104729;
  switch (kind) {
    case 'u8': {
      const raw = n % 256;
      return { raw, value: (raw - 128) / 128 };
    }
    case 's8': {
      const raw = (n % 256) - 128;
      return { raw, value: raw / 128 };
    }
    case 's16': {
      const raw = (n % 65536) - 32768;
      return { raw, value: raw / 32768 };
    }
    case 's24': {
      const raw = ((n * 97) % 16777216) - 8388608;
      return { raw, value: raw / 8388608 };
    }
    case 's32': {
      const raw = ((n * 2654435761) % 4294967296) - 2147483648;
      return { raw, value: Math.fround(raw / 2147483648) };
    }
    case 'f32':
    case 'f64': {
      const raw = Math.fround(Math.sin(n / 1000) * 0.9);
      return { raw, value: raw };
    }
  }
}

/** Interleaved samples of `kind`, little- or big-endian, and the channels they decode to. */
function samples(kind: Kind, channels: number, frames: number, little = true): { bytes: Buffer; expected: Float32Array[] } {
  const width = WIDTH[kind];
  const bytes = Buffer.alloc(frames * channels * width);
  const expected = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let i = 0, at = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++, at += width) {
      const { raw, value } = sampleValue(kind, i, c);
      expected[c]![i] = value;
      if (kind === 'u8') bytes.writeUInt8(raw, at);
      else if (kind === 's8') bytes.writeInt8(raw, at);
      else if (kind === 's16') void (little ? bytes.writeInt16LE(raw, at) : bytes.writeInt16BE(raw, at));
      else if (kind === 's24') void (little ? bytes.writeIntLE(raw, at, 3) : bytes.writeIntBE(raw, at, 3));
      else if (kind === 's32') void (little ? bytes.writeInt32LE(raw, at) : bytes.writeInt32BE(raw, at));
      else if (kind === 'f32') void (little ? bytes.writeFloatLE(raw, at) : bytes.writeFloatBE(raw, at));
      else void (little ? bytes.writeDoubleLE(raw, at) : bytes.writeDoubleBE(raw, at));
    }
  }
  return { bytes, expected };
}

// ------------------------------------------------------------------------------------------
// RIFF building blocks.

/** A chunk: its declared size is the body's unless given; a pad byte after an odd body unless told not to. */
function chunk(id: string, body: Buffer, { size, pad = true, bigEndian = false }: { size?: number; pad?: boolean; bigEndian?: boolean } = {}): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'ascii');
  if (bigEndian) header.writeUInt32BE(size ?? body.length, 4);
  else header.writeUInt32LE(size ?? body.length, 4);
  return Buffer.concat([header, body, Buffer.alloc(pad ? body.length % 2 : 0)]);
}

function riff(chunks: Buffer[], { form = 'RIFF', size }: { form?: string; size?: number } = {}): Buffer {
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write(form, 0, 'ascii');
  header.writeUInt32LE(size ?? 4 + body.length, 4);
  header.write('WAVE', 8, 'ascii');
  return Buffer.concat([header, body]);
}

/** A fmt chunk body: 16 bytes, 18 (cbSize 0) or WAVE_FORMAT_EXTENSIBLE (40). */
function fmt({
  tag,
  channels,
  rate = 44100,
  bits,
  length = 16,
  subTag,
  blockAlign,
}: {
  tag: number;
  channels: number;
  rate?: number;
  bits: number;
  length?: 16 | 18 | 40;
  subTag?: number;
  blockAlign?: number;
}): Buffer {
  const body = Buffer.alloc(length);
  const align = blockAlign ?? channels * Math.ceil(bits / 8);
  body.writeUInt16LE(length === 40 ? 0xfffe : tag, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(rate, 4);
  body.writeUInt32LE(rate * align, 8);
  body.writeUInt16LE(align, 12);
  body.writeUInt16LE(bits, 14);
  if (length >= 18) body.writeUInt16LE(length - 18, 16);
  if (length === 40) {
    body.writeUInt16LE(bits, 18);
    body.writeUInt32LE(0, 20);
    body.writeUInt32LE(subTag ?? tag, 24);
    Buffer.from([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]).copy(body, 28);
  }
  return chunk('fmt ', body);
}

const fact = (frames: number) => chunk('fact', Buffer.from(new Uint32Array([frames]).buffer));
const info = (text: string) =>
  chunk(
    'LIST',
    Buffer.concat([
      Buffer.from('INFOICMT', 'ascii'),
      Buffer.from(new Uint32Array([text.length + 1]).buffer),
      Buffer.from(`${text}\0`),
      Buffer.alloc((text.length + 1) % 2),
    ]),
  );

function ds64(riffSize: number, dataSize: number, frames: number): Buffer {
  const body = Buffer.alloc(28);
  body.writeBigUInt64LE(BigInt(riffSize), 0);
  body.writeBigUInt64LE(BigInt(dataSize), 8);
  body.writeBigUInt64LE(BigInt(frames), 16);
  return chunk('ds64', body);
}

async function expectSamples(path: string, expected: Float32Array[], sampleRate = 44100): Promise<void> {
  const decoded = await decodeAll(path);
  expect(decoded.sampleRate).toBe(sampleRate);
  expect(decoded.channels).toHaveLength(expected.length);
  decoded.channels.forEach((channel, c) => expect(channel, `channel ${c}`).toEqual(expected[c]));
}

describe('WAV layouts', () => {
  it('reads 16-bit PCM with a 16-byte fmt chunk', async () => {
    const { bytes, expected } = samples('s16', 2, 1000);
    await expectSamples(file(riff([fmt({ tag: 1, channels: 2, bits: 16 }), chunk('data', bytes)])), expected);
  });

  it.each([
    ['u8', 1, 8],
    ['s16', 1, 16],
    ['s24', 1, 24],
    ['s32', 1, 32],
    ['f32', 3, 32],
    ['f64', 3, 64],
  ] as const)('reads %s samples (format tag %i) with an 18-byte fmt chunk and a fact chunk: samples at byte 58', async (kind, tag, bits) => {
    const { bytes, expected } = samples(kind, 2, 777);
    const wav = riff([fmt({ tag, channels: 2, bits, length: 18 }), fact(777), chunk('data', bytes)]);
    expect(wav.indexOf('data') + 8).toBe(58);
    await expectSamples(file(wav), expected);
  });

  it.each([
    ['s16', 1, 16],
    ['s24', 1, 24],
    ['s32', 1, 32],
    ['f32', 3, 32],
    ['f64', 3, 64],
  ] as const)('reads WAVE_FORMAT_EXTENSIBLE with sub-format %s, three channels', async (kind, subTag, bits) => {
    const { bytes, expected } = samples(kind, 3, 1001);
    await expectSamples(file(riff([fmt({ tag: 1, subTag, channels: 3, bits, length: 40 }), fact(1001), chunk('data', bytes)])), expected);
  });

  it('reads samples at any byte offset: metadata chunks of every size before the data', async () => {
    for (const junk of [1, 2, 3, 5, 6, 7]) {
      const { bytes, expected } = samples('f32', 2, 300);
      const wav = riff([
        chunk('JUNK', Buffer.alloc(junk)),
        fmt({ tag: 3, channels: 2, bits: 32 }),
        chunk('iXML', Buffer.from('<x/>'.repeat(junk))),
        chunk('data', bytes),
      ]);
      await expectSamples(file(wav), expected);
    }
  });

  it('skips LIST/INFO, JUNK, bext and cue chunks before the data and ignores chunks after it', async () => {
    const { bytes, expected } = samples('s24', 2, 999);
    const bext = chunk('bext', Buffer.alloc(602, 0x20));
    const cue = chunk('cue ', Buffer.alloc(28));
    const wav = riff([
      chunk('JUNK', Buffer.alloc(28)),
      fmt({ tag: 1, channels: 2, bits: 24 }),
      bext,
      info('made by hand'),
      cue,
      chunk('data', bytes),
      info('after the data'),
      cue,
    ]);
    await expectSamples(file(wav), expected);
  });

  it('reads odd-sized chunks with their pad byte, and without it from writers that leave it out', async () => {
    // 1056 bytes of data: the first byte of its size (0x20) is printable, "ata " looks like an id.
    const { bytes, expected } = samples('s16', 1, 528);
    const odd = chunk('note', Buffer.from('odd'));
    expect(odd.length).toBe(12);
    await expectSamples(file(riff([fmt({ tag: 1, channels: 1, bits: 16 }), odd, chunk('data', bytes)])), expected);
    const unpadded = chunk('note', Buffer.from('odd'), { pad: false });
    await expectSamples(file(riff([fmt({ tag: 1, channels: 1, bits: 16 }), unpadded, chunk('data', bytes)])), expected);
  });

  it('reads an odd-sized data chunk of 8-bit samples followed by its pad byte and a LIST chunk', async () => {
    const { bytes, expected } = samples('u8', 1, 1001);
    await expectSamples(file(riff([fmt({ tag: 1, channels: 1, bits: 8 }), chunk('data', bytes), info('after')])), expected);
  });

  it('trims a data chunk running past the end of the file to the file, in whole frames', async () => {
    const { bytes, expected } = samples('s16', 2, 400);
    const cut = Buffer.concat([bytes, Buffer.from([1, 2, 3])]); // 3 bytes of an unfinished frame
    await expectSamples(file(riff([fmt({ tag: 1, channels: 2, bits: 16 }), chunk('data', cut, { size: 2 ** 31, pad: false })])), expected);
  });

  it('reads to the end of the file when the data size is a streaming placeholder (0xFFFFFFFF or 0)', async () => {
    const { bytes, expected } = samples('s16', 1, 300);
    await expectSamples(file(riff([fmt({ tag: 1, channels: 1, bits: 16 }), chunk('data', bytes, { size: 0xffffffff })], { size: 0xffffffff })), expected);
    await expectSamples(file(riff([fmt({ tag: 1, channels: 1, bits: 16 }), chunk('data', bytes, { size: 0 })], { size: 0 })), expected);
  });

  it('keeps an empty data chunk followed by another chunk empty', async () => {
    const wav = riff([fmt({ tag: 1, channels: 1, bits: 16 }), chunk('data', Buffer.alloc(0)), info('nothing here')]);
    expect(await decodeError(file(wav))).toMatch(/holds no audio \(its data chunk is empty\)/);
  });

  it('reads µ-law and A-law', async () => {
    const mu = riff([fmt({ tag: 7, channels: 1, bits: 8, length: 18 }), fact(4), chunk('data', Buffer.from([0xff, 0x80, 0x00, 0x7f]))]);
    await expectSamples(file(mu), [Float32Array.from([0, 32124 / 32768, -32124 / 32768, 0])]);
    const a = riff([fmt({ tag: 6, channels: 1, bits: 8, length: 18 }), fact(2), chunk('data', Buffer.from([0xd5, 0x55]))]);
    await expectSamples(file(a), [Float32Array.from([8 / 32768, -8 / 32768])]);
  });

  it('reads a file bigger than one read block, frames straddling the blocks (24-bit, 3 channels)', async () => {
    const { bytes, expected } = samples('s24', 3, 100_003);
    const decoded = await decodeAll(file(riff([fmt({ tag: 1, channels: 3, bits: 24, length: 40 }), chunk('data', bytes)])));
    expect(decoded.chunks).toBeGreaterThan(1);
    decoded.channels.forEach((channel, c) => expect(channel).toEqual(expected[c]));
  });
});

describe('RF64 and BW64', () => {
  it('reads RF64 as EBU Tech 3306 and ffmpeg write it: ds64 first, 32-bit sizes 0xFFFFFFFF', async () => {
    const { bytes, expected } = samples('s16', 2, 600);
    const wav = riff(
      [ds64(4 + 36 + 24 + 8 + bytes.length, bytes.length, 600), fmt({ tag: 1, channels: 2, bits: 16 }), chunk('data', bytes, { size: 0xffffffff })],
      { form: 'RF64', size: 0xffffffff },
    );
    const path = file(wav);
    expect((await probeAudioFile(path)).format).toBe('wav');
    await expectSamples(path, expected);
  });

  it("reads the live recorder's RF64: ds64 where its JUNK chunk was, extensible float fmt, fact, data", async () => {
    const { bytes, expected } = samples('f32', 2, 800);
    const wav = riff(
      [ds64(0, bytes.length, 800), fmt({ tag: 3, channels: 2, bits: 32, length: 40 }), fact(0xffffffff), chunk('data', bytes, { size: 0xffffffff })],
      { form: 'RF64', size: 0xffffffff },
    );
    await expectSamples(file(wav), expected);
  });

  it('takes the data size from ds64, so that chunks after the data are not read as audio', async () => {
    const { bytes, expected } = samples('s24', 1, 301);
    const wav = riff([ds64(0, bytes.length, 301), fmt({ tag: 1, channels: 1, bits: 24 }), chunk('data', bytes, { size: 0xffffffff }), info('after the data')], {
      form: 'RF64',
      size: 0xffffffff,
    });
    await expectSamples(file(wav), expected);
  });

  it('trims a ds64 data size past the end of the file (a recording cut short), and reads a ds64 data size of 0 to the end', async () => {
    const { bytes, expected } = samples('s16', 2, 500);
    const long = riff([ds64(0, 2 ** 40, 2 ** 38), fmt({ tag: 1, channels: 2, bits: 16 }), chunk('data', bytes, { size: 0xffffffff })], {
      form: 'RF64',
      size: 0xffffffff,
    });
    await expectSamples(file(long), expected);
    const unset = riff([ds64(0, 0, 0), fmt({ tag: 1, channels: 2, bits: 16 }), chunk('data', bytes, { size: 0xffffffff })], { form: 'RF64', size: 0xffffffff });
    await expectSamples(file(unset), expected);
  });

  it('reads BW64, with and without ds64', async () => {
    const { bytes, expected } = samples('s24', 2, 400);
    const big = riff([ds64(0, bytes.length, 400), fmt({ tag: 1, channels: 2, bits: 24, length: 40 }), chunk('data', bytes, { size: 0xffffffff })], {
      form: 'BW64',
      size: 0xffffffff,
    });
    await expectSamples(file(big), expected);
    const small = riff([chunk('JUNK', Buffer.alloc(28)), fmt({ tag: 1, channels: 2, bits: 24 }), chunk('data', bytes)], { form: 'BW64' });
    await expectSamples(file(small), expected);
  });
});

// ------------------------------------------------------------------------------------------
// AIFF.

/** IEEE 754 80-bit extended, as AIFF stores its sample rate. */
function extended(value: number): Buffer {
  const out = Buffer.alloc(10);
  const exponent = Math.floor(Math.log2(value));
  out.writeUInt16BE(exponent + 16383, 0);
  const mantissa = BigInt(Math.round(value * 2 ** (63 - exponent)));
  out.writeBigUInt64BE(mantissa, 2);
  return out;
}

function aiff({
  channels,
  frames,
  bits,
  rate = 44100,
  compression,
  chunks,
}: {
  channels: number;
  frames: number;
  bits: number;
  rate?: number;
  compression?: string;
  chunks: (comm: Buffer) => Buffer[];
}): Buffer {
  const commBody = Buffer.alloc(compression ? 24 : 18);
  commBody.writeUInt16BE(channels, 0);
  commBody.writeUInt32BE(frames, 2);
  commBody.writeUInt16BE(bits, 6);
  extended(rate).copy(commBody, 8);
  if (compression) commBody.write(compression, 18, 'ascii'); // and an empty name (a 0 length byte and its pad)
  const body = Buffer.concat(chunks(chunk('COMM', commBody, { bigEndian: true })));
  const header = Buffer.alloc(12);
  header.write('FORM', 0, 'ascii');
  header.writeUInt32BE(4 + body.length, 4);
  header.write(compression ? 'AIFC' : 'AIFF', 8, 'ascii');
  return Buffer.concat([header, body]);
}

const ssnd = (bytes: Buffer, offset = 0) => {
  const head = Buffer.alloc(8 + offset);
  head.writeUInt32BE(offset, 0);
  return chunk('SSND', Buffer.concat([head, bytes]), { bigEndian: true });
};
const fver = chunk('FVER', Buffer.from([0xa2, 0x80, 0x51, 0x40]), { bigEndian: true });

describe('AIFF and AIFF-C layouts', () => {
  it.each([
    ['s8', 8],
    ['s16', 16],
    ['s24', 24],
    ['s32', 32],
  ] as const)('reads AIFF %s samples, big-endian', async (kind, bits) => {
    const { bytes, expected } = samples(kind, 2, 501, false);
    await expectSamples(file(aiff({ channels: 2, frames: 501, bits, chunks: (comm) => [comm, ssnd(bytes)] }), `a${files++}.aiff`), expected);
  });

  it.each([
    ['NONE', 's16', 16, false],
    ['twos', 's16', 16, false],
    ['sowt', 's16', 16, true],
    ['sowt', 's24', 24, true],
    ['fl32', 'f32', 32, false],
    ['FL32', 'f32', 32, false],
    ['fl64', 'f64', 64, false],
    ['in24', 's24', 24, false],
  ] as const)('reads AIFF-C "%s" (%s)', async (compression, kind, bits, little) => {
    const { bytes, expected } = samples(kind, 2, 333, little);
    await expectSamples(file(aiff({ channels: 2, frames: 333, bits, compression, chunks: (comm) => [fver, comm, ssnd(bytes)] }), `a${files++}.aifc`), expected);
  });

  it('reads COMM after SSND, an SSND offset, odd-sized chunks, and bounds the sound by COMM', async () => {
    const { bytes, expected } = samples('f32', 1, 250, false);
    const name = chunk('NAME', Buffer.from('odd'), { bigEndian: true });
    const extra = Buffer.concat([bytes, Buffer.alloc(40, 0x7f)]); // past COMM's frame count
    const path = file(
      aiff({ channels: 1, frames: 250, bits: 32, compression: 'fl32', chunks: (comm) => [name, ssnd(extra, 3), name, comm] }),
      'late-comm.aifc',
    );
    await expectSamples(path, expected);
  });

  it('trims sound data running past the end of the file', async () => {
    const { bytes, expected } = samples('s16', 2, 200, false);
    const whole = aiff({ channels: 2, frames: 10_000, bits: 16, chunks: (comm) => [comm, ssnd(bytes)] });
    whole.writeUInt32BE(2 ** 31, whole.indexOf('SSND') + 4);
    await expectSamples(file(whole, 'cut.aiff'), expected);
  });
});

describe('hostile headers fail with a message naming the problem', () => {
  const pcm = samples('s16', 1, 100).bytes;
  it.each([
    ['RIFF and WAVE alone', riff([]), /it has no fmt chunk/],
    ['a cut-short header', riff([fmt({ tag: 1, channels: 1, bits: 16 })]).subarray(0, 30), /it has no fmt chunk|too short/],
    ['no data chunk', riff([fmt({ tag: 1, channels: 1, bits: 16 }), info('x')]), /it has no data chunk/],
    ['a 10-byte fmt chunk', riff([chunk('fmt ', Buffer.alloc(10)), chunk('data', pcm)]), /fmt chunk is 10 bytes, too short/],
    ['no channels', riff([fmt({ tag: 1, channels: 0, bits: 16, blockAlign: 2 }), chunk('data', pcm)]), /declares no channels/],
    ['no sample rate', riff([fmt({ tag: 1, channels: 1, rate: 0, bits: 16 }), chunk('data', pcm)]), /declares no sample rate/],
    ['MP3 in WAV', riff([fmt({ tag: 0x55, channels: 1, bits: 0, blockAlign: 1 }), chunk('data', pcm)]), /codec \(MP3, format tag 0x0055\) is not supported/],
    [
      'an unknown extensible sub-format',
      (() => {
        const wav = riff([fmt({ tag: 1, channels: 1, bits: 16, length: 40 }), chunk('data', pcm)]);
        wav[wav.indexOf('fmt ') + 8 + 30] = 0x07;
        return wav;
      })(),
      /sub-format is not PCM or IEEE float/,
    ],
    [
      'a short extensible fmt chunk',
      (() => {
        const body = Buffer.alloc(24);
        body.writeUInt16LE(0xfffe, 0);
        return riff([chunk('fmt ', body), chunk('data', pcm)]);
      })(),
      /too short for WAVE_FORMAT_EXTENSIBLE/,
    ],
    ['64-bit integers', riff([fmt({ tag: 1, channels: 1, bits: 64 }), chunk('data', pcm)]), /64-bit PCM in 8-byte samples is not supported/],
    ['16-bit floats', riff([fmt({ tag: 3, channels: 1, bits: 16 }), chunk('data', pcm)]), /16-bit float samples are not supported/],
    [
      'audio before the format, to the end of the file',
      riff([chunk('data', pcm, { size: 0xffffffff }), fmt({ tag: 1, channels: 1, bits: 16 })]),
      /no fmt chunk before its audio/,
    ],
    [
      'ten thousand empty chunks',
      riff([...Array.from({ length: 10_001 }, () => chunk('JUNK', Buffer.alloc(0))), fmt({ tag: 1, channels: 1, bits: 16 }), chunk('data', pcm)]),
      /no audio in its first 10000 chunks/,
    ],
    [
      'an RF64 file that is not WAVE',
      Buffer.concat([Buffer.from('RF64'), Buffer.alloc(4), Buffer.from('AVI '), fmt({ tag: 1, channels: 1, bits: 16 })]),
      /not a recognised audio format/,
    ],
    [
      'a short ds64 chunk',
      riff([chunk('ds64', Buffer.alloc(8)), fmt({ tag: 1, channels: 1, bits: 16 }), chunk('data', pcm)], { form: 'RF64' }),
      /ds64 chunk is 8 bytes, too short/,
    ],
  ])('WAV: %s', async (_name, bytes, message) => {
    const error = await decodeError(file(bytes));
    expect(error).toMatch(/^cannot decode f\d+\.wav: /);
    expect(error).toMatch(message);
  });

  it.each([
    ['no SSND chunk', aiff({ channels: 1, frames: 10, bits: 16, chunks: (comm) => [comm] }), /it has no SSND chunk/],
    ['no COMM chunk', aiff({ channels: 1, frames: 10, bits: 16, chunks: () => [ssnd(pcm)] }), /it has no COMM chunk/],
    [
      'an unknown compression',
      aiff({ channels: 1, frames: 10, bits: 16, compression: 'ABCD', chunks: (comm) => [comm, ssnd(pcm)] }),
      /compression type "ABCD" is not supported/,
    ],
    ['12-byte samples', aiff({ channels: 1, frames: 10, bits: 96, chunks: (comm) => [comm, ssnd(pcm)] }), /96-bit samples are not supported/],
    [
      'a short COMM chunk',
      Buffer.concat([Buffer.from('FORM'), Buffer.from([0, 0, 0, 30]), Buffer.from('AIFF'), chunk('COMM', Buffer.alloc(10), { bigEndian: true }), ssnd(pcm)]),
      /COMM chunk is 10 bytes, too short/,
    ],
  ])('AIFF: %s', async (_name, bytes, message) => {
    const error = await decodeError(file(bytes, `h${files++}.aiff`));
    expect(error).toMatch(message);
  });
});
