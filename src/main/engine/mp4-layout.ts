// The layout of an MP4/M4A file for a streaming decoder. @audio/decode-mp4 reads the sample
// tables of the moov box, then the samples by their file offsets; it keeps every byte it is
// given until the moov is complete. Most M4A files (ffmpeg's by default) have their moov after
// the audio, so the file is read in another order: everything before the audio, the moov
// (its chunk offsets moved by its own size, as a "fast start" file would have them), then the
// audio. Memory stays bounded by the moov's size. The moov also says the track's channels.
import type { FileHandle } from 'node:fs/promises';
import { frameHeader } from './mp3-probe';

/** The largest moov read into memory: an hour of AAC has one of about 1 MB. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
/** Top-level boxes walked at most. */
const MAX_BOXES = 10_000;

export class Mp4LayoutError extends Error {}

export interface Mp4Plan {
  /** The bytes to give the decoder, in order: ranges of the file [start, end) and bytes of our own. */
  pieces: Array<{ start: number; end: number } | Uint8Array>;
  /**
   * The channel count the audio track declares, where its decoder may give more: MP3 in MP4,
   * which mpg123 always decodes to two channels, says it in its first frame header (the sample
   * entry's channel count is a template that ffmpeg leaves at 2). Undefined where the decoder is
   * to be trusted.
   */
  channels?: number;
}

interface Box {
  type: string;
  start: number;
  /** Where the body starts, past the size, type and any 64-bit size. */
  body: number;
  end: number;
}

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
const u32 = (bytes: Uint8Array, at: number) => ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
const u16 = (bytes: Uint8Array, at: number) => (bytes[at]! << 8) | bytes[at + 1]!;

/** The boxes in bytes[start, end): stops at one that does not fit. */
function* boxes(bytes: Uint8Array, start: number, end: number): Generator<Box> {
  let at = start;
  while (at + 8 <= end) {
    let size = u32(bytes, at);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > end) return;
      size = u32(bytes, at + 8) * 2 ** 32 + u32(bytes, at + 12);
      body = at + 16;
    } else if (size === 0) size = end - at;
    if (size < body - at || at + size > end) return;
    yield { type: ascii(bytes, at + 4), start: at, body, end: at + size };
    at += size;
  }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The top-level boxes of the file, read header by header. */
async function topLevel(file: FileHandle, fileBytes: number): Promise<Box[]> {
  const found: Box[] = [];
  for (let at = 0; at + 8 <= fileBytes && found.length < MAX_BOXES;) {
    const header = await readAt(file, at, 16);
    let size = u32(header, 0);
    let body = at + 8;
    if (size === 1) {
      if (header.length < 16) break;
      size = u32(header, 8) * 2 ** 32 + u32(header, 12);
      body = at + 16;
    } else if (size === 0) size = fileBytes - at;
    if (size < body - at) break;
    found.push({ type: ascii(header, 4), start: at, body, end: at + size });
    at += size;
  }
  return found;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'udta', 'mvex', 'dinf']);

interface SampleEntry {
  type: string;
  channels: number;
  /** objectTypeIndication of the esds, for mp4a. */
  objectType?: number;
  /** The file offset of the track's first chunk. */
  firstChunk?: number;
}

/** The first sample entry of an stsd body, with the esds among its children (or in a QuickTime 'wave'). */
function sampleEntry(moov: Uint8Array, stsd: Box): SampleEntry | undefined {
  const first = stsd.body + 8;
  const [entry] = boxes(moov, first, stsd.end);
  if (!entry || entry.end - entry.start < 36) return undefined;
  const version = u16(moov, entry.start + 16);
  const channels = version === 2 ? u32(moov, entry.start + 48) : u16(moov, entry.start + 24);
  const head = version === 2 ? Math.max(72, u32(moov, entry.start + 36)) : version === 1 ? 52 : 36;
  const found: SampleEntry = { type: entry.type, channels };
  const search = (start: number, end: number): void => {
    for (const child of boxes(moov, start, end)) {
      if (child.type === 'esds') found.objectType = esdsObjectType(moov.subarray(child.body, child.end));
      else if (child.type === 'wave') search(child.body, child.end);
    }
  };
  if (entry.start + head < entry.end) search(entry.start + head, entry.end);
  return found;
}

/** objectTypeIndication of an ES_Descriptor's DecoderConfigDescriptor (ISO/IEC 14496-1 7.2.6). */
function esdsObjectType(esds: Uint8Array): number | undefined {
  let at = 4; // version and flags
  const length = () => {
    let n = 0;
    for (let i = 0; i < 4 && at < esds.length; i++) {
      const b = esds[at++]!;
      n = (n << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return n;
  };
  while (at + 2 <= esds.length) {
    const tag = esds[at++]!;
    const size = length();
    if (tag === 0x03) {
      const flags = esds[at + 2] ?? 0;
      at += 3;
      if (flags & 0x80) at += 2;
      if (flags & 0x40) at += 1 + (esds[at] ?? 0);
      if (flags & 0x20) at += 2;
    } else if (tag === 0x04) return esds[at];
    else at += size;
  }
  return undefined;
}

/** What the moov says, and the chunk-offset tables a move would change. */
function readMoov(moov: Uint8Array, headerBytes: number): { fragmented: boolean; entry?: SampleEntry; offsetTables: Box[] } {
  let fragmented = false;
  let entry: SampleEntry | undefined;
  const offsetTables: Box[] = [];
  interface Track {
    handler?: string;
    entry?: SampleEntry;
    firstChunk?: number;
  }
  const walk = (start: number, end: number, track?: Track): void => {
    for (const box of boxes(moov, start, end)) {
      if (box.type === 'mvex') fragmented = true;
      if (box.type === 'trak') {
        const inner: Track = {};
        walk(box.body, box.end, inner);
        if (!entry && inner.handler === 'soun' && inner.entry) entry = { ...inner.entry, firstChunk: inner.firstChunk };
      } else if (CONTAINERS.has(box.type)) walk(box.body, box.end, track);
      else if (box.type === 'hdlr' && track && box.end - box.body >= 12) track.handler = ascii(moov, box.body + 8);
      else if (box.type === 'stsd' && track) track.entry ??= sampleEntry(moov, box);
      else if (box.type === 'stco' || box.type === 'co64') {
        offsetTables.push(box);
        const wide = box.type === 'co64';
        if (track && box.end - box.body >= (wide ? 16 : 12) && u32(moov, box.body + 4) > 0) {
          track.firstChunk = wide ? u32(moov, box.body + 8) * 2 ** 32 + u32(moov, box.body + 12) : u32(moov, box.body + 8);
        }
      }
    }
  };
  walk(headerBytes, moov.length);
  return { fragmented, entry, offsetTables };
}

/**
 * Moves the chunk offsets of the moov that point before `before` (the moov's old place) by `by`
 * bytes, in place: the bytes between the first mdat and the moov move by the moov's size, those
 * after the moov stay where they were.
 */
function moveChunkOffsets(moov: Uint8Array, tables: Box[], before: number, by: number): void {
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
  for (const table of tables) {
    const count = u32(moov, table.body + 4);
    const wide = table.type === 'co64';
    const step = wide ? 8 : 4;
    if (table.body + 8 + count * step > table.end) throw new Mp4LayoutError(`its ${table.type} box is cut short`);
    for (let i = 0, at = table.body + 8; i < count; i++, at += step) {
      const offset = wide ? view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4) : view.getUint32(at);
      if (offset >= before) continue;
      const moved = offset + by;
      if (wide) {
        view.setUint32(at, Math.floor(moved / 2 ** 32));
        view.setUint32(at + 4, moved >>> 0);
      } else {
        if (moved > 0xffffffff) throw new Mp4LayoutError('its audio lies past 4 GiB with 32-bit chunk offsets');
        view.setUint32(at, moved);
      }
    }
  }
}

/** How to give this MP4 file to the decoder, and the channels its audio track declares. */
export async function planMp4(file: FileHandle, fileBytes: number): Promise<Mp4Plan> {
  const top = await topLevel(file, fileBytes);
  const moovBox = top.find((box) => box.type === 'moov');
  if (!moovBox) throw new Mp4LayoutError('it has no moov box (the file may be cut short)');
  if (moovBox.end > fileBytes) throw new Mp4LayoutError('its moov box is cut short');
  if (moovBox.end - moovBox.start > MAX_MOOV_BYTES) throw new Mp4LayoutError(`its moov box is over ${MAX_MOOV_BYTES / 2 ** 20} MB`);
  const moov = await readAt(file, moovBox.start, moovBox.end - moovBox.start);
  const { fragmented, entry, offsetTables } = readMoov(moov, moovBox.body - moovBox.start);
  let channels: number | undefined;
  if (entry && (entry.type === '.mp3' || (entry.type === 'mp4a' && (entry.objectType === 0x69 || entry.objectType === 0x6b)))) {
    const first = entry.firstChunk === undefined ? undefined : frameHeader(await readAt(file, entry.firstChunk, 4), 0);
    channels = first?.channels ?? (entry.channels >= 1 ? entry.channels : undefined);
  }

  const mdat = top.find((box) => box.type === 'mdat');
  if (!mdat || mdat.start > moovBox.start || fragmented) return { pieces: [{ start: 0, end: fileBytes }], channels };
  moveChunkOffsets(moov, offsetTables, moovBox.start, moov.length);
  const pieces: Mp4Plan['pieces'] = [{ start: 0, end: mdat.start }, moov, { start: mdat.start, end: moovBox.start }, { start: moovBox.end, end: fileBytes }];
  return { pieces: pieces.filter((piece) => piece instanceof Uint8Array || piece.end > piece.start), channels };
}
