// Hostile MP4 and MP3 files fail with a message saying what is wrong, without reading the whole
// file into memory; an MP4 whose moov follows its audio is read moov first; the MP3 frame header
// decides the channel count.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioFileError, decodeAudioFile } from '../../src/main/engine/file-source';
import { frameHeader } from '../../src/main/engine/mp3-probe';
import { planMp4 } from '../../src/main/engine/mp4-layout';

const dir = mkdtempSync(join(tmpdir(), 'utterly-codec-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function box(type: string, ...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + content.length, 0);
  header.write(type, 4, 'ascii');
  return Buffer.concat([header, content]);
}

const ftyp = box('ftyp', Buffer.from('M4A \0\0\0\0M4A mp42isom'));

async function decodeError(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  try {
    for await (const _ of decodeAudioFile(path)) void _;
  } catch (error) {
    expect(error).toBeInstanceOf(AudioFileError);
    return (error as Error).message;
  }
  throw new Error(`${name} decoded`);
}

describe('hostile MP4 files', () => {
  it('refuses a file without a moov box (a recording cut short before its index was written)', async () => {
    expect(await decodeError('no-moov.m4a', Buffer.concat([ftyp, box('mdat', Buffer.alloc(200_000, 0x21))]))).toBe(
      'cannot decode no-moov.m4a: it has no moov box (the file may be cut short)',
    );
  });

  it('refuses a moov box that runs past the end of the file', async () => {
    const moov = box('moov', Buffer.alloc(100));
    moov.writeUInt32BE(10_000, 0);
    expect(await decodeError('cut-moov.m4a', Buffer.concat([ftyp, box('mdat', Buffer.alloc(1000)), moov]))).toMatch(/its moov box is cut short/);
  });

  it('refuses a moov box without an audio track', async () => {
    const mvhd = box('mvhd', Buffer.alloc(100));
    expect(await decodeError('no-audio.m4a', Buffer.concat([ftyp, box('moov', mvhd), box('mdat', Buffer.alloc(1000))]))).toMatch(
      /^cannot decode no-audio\.m4a: No audio track found in MP4/,
    );
  });
});

describe('the order an MP4 file is read in', () => {
  it('puts a moov that follows the audio before it, moving the offsets of the audio it passes', async () => {
    const mdat1 = box('mdat', Buffer.alloc(1000, 1));
    const mdat2 = box('mdat', Buffer.alloc(500, 2));
    const first = ftyp.length + 8; // the samples of the first mdat
    const stcoBody = Buffer.alloc(16);
    stcoBody.writeUInt32BE(2, 4);
    stcoBody.writeUInt32BE(first, 8);
    const co64Body = Buffer.alloc(16);
    co64Body.writeUInt32BE(1, 4);
    const moov = box(
      'moov',
      box('trak', box('mdia', box('minf', box('stbl', box('stco', stcoBody))))),
      box('trak', box('mdia', box('minf', box('stbl', box('co64', co64Body))))),
    );
    const second = ftyp.length + mdat1.length + moov.length + 8; // the samples of the mdat after the moov
    stcoBody.writeUInt32BE(second, 12);
    co64Body.writeUInt32BE(first + 10, 12);
    const bytes = Buffer.concat([
      ftyp,
      mdat1,
      box(
        'moov',
        box('trak', box('mdia', box('minf', box('stbl', box('stco', stcoBody))))),
        box('trak', box('mdia', box('minf', box('stbl', box('co64', co64Body))))),
      ),
      mdat2,
    ]);
    const path = join(dir, 'late-moov.m4a');
    writeFileSync(path, bytes);
    const file = await open(path, 'r');
    try {
      const plan = await planMp4(file, bytes.length);
      const moved = plan.pieces[1] as Uint8Array;
      expect(plan.pieces.filter((piece) => !(piece instanceof Uint8Array))).toEqual([
        { start: 0, end: ftyp.length },
        { start: ftyp.length, end: ftyp.length + mdat1.length },
        { start: ftyp.length + mdat1.length + moov.length, end: bytes.length },
      ]);
      // The stream read: ftyp, moov, mdat1, mdat2; each sample where its offset now says.
      const stream = Buffer.concat(plan.pieces.map((piece) => (piece instanceof Uint8Array ? Buffer.from(piece) : bytes.subarray(piece.start, piece.end))));
      expect(stream).toHaveLength(bytes.length);
      const view = Buffer.from(moved);
      const stco = view.indexOf('stco') + 4;
      const co64 = view.indexOf('co64') + 4;
      expect(stream[view.readUInt32BE(stco + 8)]).toBe(1);
      expect(view.readUInt32BE(stco + 8)).toBe(first + moov.length);
      expect(stream[view.readUInt32BE(stco + 12)]).toBe(2);
      expect(view.readUInt32BE(stco + 12)).toBe(second);
      expect(Number(view.readBigUInt64BE(co64 + 8))).toBe(first + 10 + moov.length);
    } finally {
      await file.close();
    }
  });
});

describe('MP3 frame headers', () => {
  it('reads the channel mode, the length of the frame, and refuses what is no header', () => {
    // MPEG-1 layer III, 128 kbit/s, 44.1 kHz: joint stereo; the same in mono.
    expect(frameHeader(Buffer.from([0xff, 0xfb, 0x90, 0x64]), 0)).toMatchObject({ channels: 2, length: 417 });
    expect(frameHeader(Buffer.from([0xff, 0xfb, 0x90, 0xc4]), 0)).toMatchObject({ channels: 1, length: 417 });
    // MPEG-2 layer III, 64 kbit/s, 22.05 kHz, padded, dual channel.
    expect(frameHeader(Buffer.from([0xff, 0xf3, 0x82, 0x84]), 0)).toMatchObject({ channels: 2, length: 209 });
    for (const bad of [
      [0xff, 0xeb, 0x90, 0x64],
      [0xff, 0xf9, 0x90, 0x64],
      [0xff, 0xfb, 0xf0, 0x64],
      [0xff, 0xfb, 0x9c, 0x64],
      [0xff, 0xfb, 0x90, 0x66],
      [0xfe, 0xfb, 0x90, 0x64],
    ]) {
      expect(frameHeader(Buffer.from(bad), 0), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('refuses an ID3 tag with no audio after it', async () => {
    const tag = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0x10, 0]); // 2048 bytes of tag
    expect(await decodeError('tag-only.mp3', Buffer.concat([tag, Buffer.alloc(2048)]))).toMatch(
      /^cannot decode tag-only\.mp3: (no audio could be decoded from this mp3 file|the mp3 decoder found no audio)/,
    );
  });
});
