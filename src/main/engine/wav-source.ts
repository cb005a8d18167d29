// Uncompressed audio files read straight from disk: WAV (RIFF, RF64 and BW64) and AIFF/AIFF-C.
// The header is walked chunk by chunk with positioned reads (any order, any size, pad bytes,
// 64-bit sizes from a ds64 chunk), then the sample data is read in blocks into a buffer of our
// own, so samples at any byte offset are read as aligned typed arrays, and converted to one
// Float32Array per channel. Nothing but one block is ever held in memory.
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';

/** How the samples are stored. */
export type SampleEncoding = 'u8' | 's8' | 's16le' | 's16be' | 's24le' | 's24be' | 's32le' | 's32be' | 'f32le' | 'f32be' | 'f64le' | 'f64be' | 'ulaw' | 'alaw';

const BYTES: Record<SampleEncoding, number> = {
  u8: 1,
  s8: 1,
  ulaw: 1,
  alaw: 1,
  s16le: 2,
  s16be: 2,
  s24le: 3,
  s24be: 3,
  s32le: 4,
  s32be: 4,
  f32le: 4,
  f32be: 4,
  f64le: 8,
  f64be: 8,
};

export interface PcmLayout {
  container: 'WAV' | 'RF64' | 'BW64' | 'AIFF' | 'AIFF-C';
  channels: number;
  sampleRate: number;
  encoding: SampleEncoding;
  /** Where the first sample is. */
  dataStart: number;
  /** Bytes of whole frames from dataStart, within the file. */
  dataBytes: number;
}

/**
 * A file whose container we read but whose codec is someone else's job (ADPCM, GSM, ...): the
 * caller hands the whole file to a decoder that knows it.
 */
export interface ForeignCodec {
  container: PcmLayout['container'];
  codec: string;
}

/** A header that cannot be read; the message says what is wrong with it. */
export class PcmHeaderError extends Error {}

/** Chunks walked before the audio at most: a bound for hostile files of tiny chunks. */
const MAX_CHUNKS = 10_000;
/** The largest header chunk body read into memory (fmt, ds64, COMM). */
const MAX_HEADER_BODY = 64 * 1024;

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
/** Chunk ids are four printable ASCII characters. */
const plausibleId = (bytes: Uint8Array, at: number) => bytes.length >= at + 4 && [0, 1, 2, 3].every((i) => bytes[at + i]! >= 0x20 && bytes[at + i]! <= 0x7e);

async function readAt(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(Math.max(0, length));
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const u64le = (v: DataView, at: number) => v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;

/** Reads the header of a WAV or AIFF file: where its samples are and how they are stored. */
export async function readPcmLayout(file: FileHandle, fileBytes: number): Promise<PcmLayout | ForeignCodec> {
  const head = await readAt(file, 0, 12);
  if (head.length < 12) throw new PcmHeaderError('the header is cut short');
  const form = ascii(head, 0);
  if (form === 'FORM') return readAiffLayout(file, fileBytes, ascii(head, 8));
  if (form === 'RIFF' || form === 'RF64' || form === 'BW64') return readWavLayout(file, fileBytes, form);
  throw new PcmHeaderError(`not a WAV or AIFF file (it starts with "${form}")`);
}

// ---------------------------------------------------------------------------------------------
// WAV: RIFF, and RF64 / BW64 (EBU Tech 3306, ITU-R BS.2088) whose sizes over 4 GiB are in ds64.

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The last 12 bytes of KSDATAFORMAT_SUBTYPE_* GUIDs built on a format tag: {tag-0000-0010-8000-00aa00389b71}. */
const KSDATAFORMAT_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const CODEC_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MP3',
  0x2000: 'AC-3',
};
/** Codecs in WAV that the file decoders of audio-decode read. */
const FOREIGN_WAV_CODECS = new Set([0x0002, 0x0011]);

interface WavFormat {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function parseFmt(body: Uint8Array): WavFormat {
  if (body.length < 16) throw new PcmHeaderError(`the fmt chunk is ${body.length} bytes, too short for a format`);
  const v = view(body);
  const format: WavFormat = {
    tag: v.getUint16(0, true),
    channels: v.getUint16(2, true),
    sampleRate: v.getUint32(4, true),
    blockAlign: v.getUint16(12, true),
    bitsPerSample: v.getUint16(14, true),
  };
  if (format.tag === WAVE_FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize (22), valid bits, channel mask, then the sub-format GUID.
    if (body.length < 40) throw new PcmHeaderError(`the fmt chunk is ${body.length} bytes, too short for WAVE_FORMAT_EXTENSIBLE (40)`);
    const sub = v.getUint32(24, true);
    if (sub > 0xffff || KSDATAFORMAT_TAIL.some((byte, i) => body[28 + i] !== byte)) {
      throw new PcmHeaderError('its WAVE_FORMAT_EXTENSIBLE sub-format is not PCM or IEEE float');
    }
    format.tag = sub;
  }
  return format;
}

function wavEncoding({ tag, channels, blockAlign, bitsPerSample }: WavFormat): SampleEncoding {
  // The container size of one sample: blockAlign says it exactly (20-bit samples in 3 bytes,
  // 24 in 4); a header with a blockAlign that does not fit falls back on the bit depth.
  const fromAlign = channels > 0 && blockAlign % channels === 0 ? blockAlign / channels : 0;
  const bytes = fromAlign >= Math.ceil(bitsPerSample / 8) && fromAlign > 0 ? fromAlign : Math.ceil(bitsPerSample / 8);
  if (tag === WAVE_FORMAT_PCM) {
    const encoding = ({ 1: 'u8', 2: 's16le', 3: 's24le', 4: 's32le' } as const)[bytes as 1 | 2 | 3 | 4];
    if (!encoding) throw new PcmHeaderError(`${bitsPerSample}-bit PCM in ${bytes}-byte samples is not supported`);
    return encoding;
  }
  if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bytes === 4) return 'f32le';
    if (bytes === 8) return 'f64le';
    throw new PcmHeaderError(`${bitsPerSample}-bit float samples are not supported`);
  }
  if (tag === WAVE_FORMAT_ALAW && bytes === 1) return 'alaw';
  if (tag === WAVE_FORMAT_MULAW && bytes === 1) return 'ulaw';
  const name = CODEC_NAMES[tag];
  throw new PcmHeaderError(`its codec (${name ? `${name}, ` : ''}format tag 0x${tag.toString(16).padStart(4, '0')}) is not supported`);
}

interface Ds64 {
  riffSize: number;
  dataSize: number;
  table: Map<string, number>;
}

function parseDs64(body: Uint8Array): Ds64 {
  if (body.length < 24) throw new PcmHeaderError(`the ds64 chunk is ${body.length} bytes, too short (28)`);
  const v = view(body);
  const ds64: Ds64 = { riffSize: u64le(v, 0), dataSize: u64le(v, 8), table: new Map() };
  const entries = body.length >= 28 ? v.getUint32(24, true) : 0;
  for (let i = 0, at = 28; i < entries && at + 12 <= body.length; i++, at += 12) ds64.table.set(ascii(body, at), u64le(v, at + 4));
  return ds64;
}

async function readWavLayout(file: FileHandle, fileBytes: number, container: 'RIFF' | 'RF64' | 'BW64'): Promise<PcmLayout | ForeignCodec> {
  const name = container === 'RIFF' ? 'WAV' : container;
  const wave = await readAt(file, 8, 4);
  if (ascii(wave, 0) !== 'WAVE') throw new PcmHeaderError(`a ${container} file that is not WAVE`);
  let format: WavFormat | undefined;
  let data: { start: number; bytes: number } | undefined;
  let ds64: Ds64 | undefined;
  let position = 12;
  for (let chunks = 0; !(format && data) && position + 8 <= fileBytes; chunks++) {
    if (chunks === MAX_CHUNKS) throw new PcmHeaderError(`no audio in its first ${MAX_CHUNKS} chunks`);
    const header = await readAt(file, position, 8);
    const id = ascii(header, 0);
    const declared = view(header).getUint32(4, true);
    const bodyStart = position + 8;
    // 0xFFFFFFFF: the real size is in ds64 (RF64/BW64), or unknown (a stream): to the end.
    let size = declared;
    if (declared === 0xffffffff) size = (id === 'data' ? ds64?.dataSize : ds64?.table.get(id)) || fileBytes - bodyStart;
    if (id === 'ds64') ds64 = parseDs64(await readAt(file, bodyStart, Math.min(size, MAX_HEADER_BODY)));
    else if (id === 'fmt ') format = parseFmt(await readAt(file, bodyStart, Math.min(size, MAX_HEADER_BODY)));
    else if (id === 'data') {
      // A size of 0 followed by no chunk: a header never brought up to date (a stream): to the end.
      if (size === 0 && fileBytes > bodyStart && !(await startsChunk(file, bodyStart, fileBytes))) size = fileBytes - bodyStart;
      data = { start: bodyStart, bytes: Math.min(size, fileBytes - bodyStart) };
    }
    position = await nextChunk(file, bodyStart, size, fileBytes);
  }
  if (!format) throw new PcmHeaderError(data ? 'it has no fmt chunk before its audio' : 'it has no fmt chunk');
  if (!data) throw new PcmHeaderError('it has no data chunk');
  if (FOREIGN_WAV_CODECS.has(format.tag)) return { container: name, codec: CODEC_NAMES[format.tag]! };
  return layout(name, format.channels, format.sampleRate, wavEncoding(format), data);
}

// ---------------------------------------------------------------------------------------------
// AIFF and AIFF-C: big-endian, COMM and SSND in any order.

const AIFC_ENCODINGS: Record<string, SampleEncoding | 'by-size'> = {
  NONE: 'by-size',
  twos: 'by-size',
  TWOS: 'by-size',
  sowt: 'by-size', // little-endian, resolved below
  in24: 's24be',
  in32: 's32be',
  fl32: 'f32be',
  FL32: 'f32be',
  fl64: 'f64be',
  FL64: 'f64be',
  ulaw: 'ulaw',
  ULAW: 'ulaw',
  alaw: 'alaw',
  ALAW: 'alaw',
  'raw ': 'u8',
};
/** Codecs in AIFF-C that audio-decode's AIFF decoder reads. */
const FOREIGN_AIFC_CODECS: Record<string, string> = { ima4: 'IMA 4:1 ADPCM', 'GSM ': 'GSM 6.10', 'gsm ': 'GSM 6.10' };

/** IEEE 754 80-bit extended (AIFF's sample rate). */
function extended(bytes: Uint8Array, at: number): number {
  const v = view(bytes);
  const exponent = v.getUint16(at) & 0x7fff;
  const mantissa = v.getUint32(at + 2) * 2 ** 32 + v.getUint32(at + 6);
  if (exponent === 0 && mantissa === 0) return 0;
  const value = mantissa * 2 ** (exponent - 16383 - 63);
  return bytes[at]! & 0x80 ? -value : value;
}

async function readAiffLayout(file: FileHandle, fileBytes: number, form: string): Promise<PcmLayout | ForeignCodec> {
  if (form !== 'AIFF' && form !== 'AIFC') throw new PcmHeaderError(`an IFF file of type "${form}", not AIFF`);
  const container = form === 'AIFF' ? 'AIFF' : 'AIFF-C';
  let comm: { channels: number; frames: number; bits: number; sampleRate: number; compression: string } | undefined;
  let data: { start: number; bytes: number } | undefined;
  let position = 12;
  for (let chunks = 0; !(comm && data) && position + 8 <= fileBytes; chunks++) {
    if (chunks === MAX_CHUNKS) throw new PcmHeaderError(`no audio in its first ${MAX_CHUNKS} chunks`);
    const header = await readAt(file, position, 8);
    const id = ascii(header, 0);
    const size = view(header).getUint32(4);
    const bodyStart = position + 8;
    if (id === 'COMM') {
      const body = await readAt(file, bodyStart, Math.min(size, MAX_HEADER_BODY));
      if (body.length < 18) throw new PcmHeaderError(`the COMM chunk is ${body.length} bytes, too short (18)`);
      const v = view(body);
      comm = { channels: v.getUint16(0), frames: v.getUint32(2), bits: v.getUint16(6), sampleRate: extended(body, 8), compression: 'NONE' };
      if (form === 'AIFC') {
        if (body.length < 22) throw new PcmHeaderError('the AIFF-C COMM chunk has no compression type');
        comm.compression = ascii(body, 18);
      }
    } else if (id === 'SSND') {
      const body = await readAt(file, bodyStart, 8);
      if (body.length < 8) throw new PcmHeaderError('the SSND chunk is cut short');
      const offset = view(body).getUint32(0);
      const start = bodyStart + 8 + offset;
      data = { start, bytes: Math.max(0, Math.min(size - 8 - offset, fileBytes - start)) };
    }
    position = await nextChunk(file, bodyStart, size, fileBytes);
  }
  if (!comm) throw new PcmHeaderError('it has no COMM chunk');
  if (!data) throw new PcmHeaderError('it has no SSND chunk');
  const foreign = FOREIGN_AIFC_CODECS[comm.compression];
  if (foreign) return { container, codec: foreign };
  const kind = AIFC_ENCODINGS[comm.compression];
  if (!kind) throw new PcmHeaderError(`its compression type "${comm.compression}" is not supported`);
  let encoding: SampleEncoding;
  if (kind !== 'by-size') encoding = kind;
  else {
    const little = comm.compression === 'sowt';
    const bytes = Math.ceil(comm.bits / 8);
    const byBytes: Record<number, SampleEncoding> = little ? { 1: 's8', 2: 's16le', 3: 's24le', 4: 's32le' } : { 1: 's8', 2: 's16be', 3: 's24be', 4: 's32be' };
    const found = byBytes[bytes];
    if (!found) throw new PcmHeaderError(`${comm.bits}-bit samples are not supported`);
    encoding = found;
  }
  // COMM's frame count bounds the sound data; 0 is read as "not filled in" (a stream).
  const frameBytes = BYTES[encoding] * comm.channels;
  if (comm.frames > 0 && frameBytes > 0) data.bytes = Math.min(data.bytes, comm.frames * frameBytes);
  return layout(container, comm.channels, Math.round(comm.sampleRate), encoding, data);
}

// ---------------------------------------------------------------------------------------------

function layout(
  container: PcmLayout['container'],
  channels: number,
  sampleRate: number,
  encoding: SampleEncoding,
  data: { start: number; bytes: number },
): PcmLayout {
  if (channels < 1) throw new PcmHeaderError('its header declares no channels');
  if (!(sampleRate > 0)) throw new PcmHeaderError('its header declares no sample rate');
  if (!Number.isFinite(sampleRate)) throw new PcmHeaderError('its header declares an impossible sample rate');
  const frameBytes = BYTES[encoding] * channels;
  return { container, channels, sampleRate, encoding, dataStart: data.start, dataBytes: data.bytes - (data.bytes % frameBytes) };
}

/** Whether a chunk header that fits in the file starts at `position`. */
async function startsChunk(file: FileHandle, position: number, fileBytes: number): Promise<boolean> {
  const header = await readAt(file, position, 8);
  return header.length === 8 && plausibleId(header, 0) && position + 8 + view(header).getUint32(4, true) <= fileBytes;
}

/**
 * Where the chunk after one of `size` bytes at `bodyStart` begins: past its pad byte when the
 * size is odd. Writers write a zero there; a writer that leaves the pad byte out has the next
 * chunk's id there instead (ids are printable, never a zero byte).
 */
async function nextChunk(file: FileHandle, bodyStart: number, size: number, fileBytes: number): Promise<number> {
  const next = bodyStart + size;
  if (size % 2 === 0 || next + 1 + 8 > fileBytes) return next + (size % 2);
  const around = await readAt(file, next, 4);
  return around[0] !== 0 && plausibleId(around, 0) ? next : next + 1;
}

// ---------------------------------------------------------------------------------------------
// Samples.

const LITTLE_ENDIAN_HOST = endianness() === 'LE';
/** Bytes read per block (rounded down to whole frames). */
const BLOCK_BYTES = 256 * 1024;

const ALAW = new Float32Array(256);
const ULAW = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  // ITU-T G.711.
  const a = i ^ 0x55;
  const segment = (a >> 4) & 7;
  let t = ((a & 0x0f) << 4) + 8;
  if (segment > 0) t = (t + 0x100) << (segment - 1);
  ALAW[i] = (a & 0x80 ? t : -t) / 32768;
  const u = ~i & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)) - 0x84;
  ULAW[i] = (u & 0x80 ? -magnitude : magnitude) / 32768 + 0; // + 0: no negative zero
}

/**
 * Converts whole interleaved frames, stored as `encoding`, to one Float32Array per channel.
 * `bytes` must start on a multiple of 8 of its buffer for the typed-array fast paths (a buffer
 * of our own, as readPcmFrames uses); any other offset is read byte by byte.
 */
export function deinterleave(bytes: Uint8Array, channels: number, encoding: SampleEncoding): Float32Array[] {
  const size = BYTES[encoding];
  const frames = Math.floor(bytes.length / (size * channels));
  const samples = frames * channels;
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const aligned = LITTLE_ENDIAN_HOST && bytes.byteOffset % 8 === 0;
  const spread = (source: ArrayLike<number>, scale: number, offset = 0) => {
    for (let c = 0; c < channels; c++) {
      const channel = out[c]!;
      for (let f = 0, i = c; f < frames; f++, i += channels) channel[f] = (source[i]! - offset) * scale;
    }
  };
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (encoding) {
    case 'u8':
      spread(bytes, 1 / 128, 128);
      break;
    case 's8':
      spread(new Int8Array(bytes.buffer, bytes.byteOffset, samples), 1 / 128);
      break;
    case 'ulaw':
    case 'alaw': {
      const table = encoding === 'ulaw' ? ULAW : ALAW;
      for (let c = 0; c < channels; c++) {
        const channel = out[c]!;
        for (let f = 0, i = c; f < frames; f++, i += channels) channel[f] = table[bytes[i]!]!;
      }
      break;
    }
    case 's16le':
      if (aligned) spread(new Int16Array(bytes.buffer, bytes.byteOffset, samples), 1 / 32768);
      else byteReader(out, frames, channels, 2, (o) => data.getInt16(o, true) / 32768);
      break;
    case 's16be':
      byteReader(out, frames, channels, 2, (o) => (((bytes[o]! << 24) | (bytes[o + 1]! << 16)) >> 16) / 32768);
      break;
    case 's24le':
      byteReader(out, frames, channels, 3, (o) => (((bytes[o + 2]! << 24) | (bytes[o + 1]! << 16) | (bytes[o]! << 8)) >> 8) / 8388608);
      break;
    case 's24be':
      byteReader(out, frames, channels, 3, (o) => (((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8)) >> 8) / 8388608);
      break;
    case 's32le':
      if (aligned) spread(new Int32Array(bytes.buffer, bytes.byteOffset, samples), 1 / 2147483648);
      else byteReader(out, frames, channels, 4, (o) => data.getInt32(o, true) / 2147483648);
      break;
    case 's32be':
      byteReader(out, frames, channels, 4, (o) => data.getInt32(o, false) / 2147483648);
      break;
    case 'f32le':
      if (aligned) spread(new Float32Array(bytes.buffer, bytes.byteOffset, samples), 1);
      else byteReader(out, frames, channels, 4, (o) => data.getFloat32(o, true));
      break;
    case 'f32be':
      byteReader(out, frames, channels, 4, (o) => data.getFloat32(o, false));
      break;
    case 'f64le':
      if (aligned) spread(new Float64Array(bytes.buffer, bytes.byteOffset, samples), 1);
      else byteReader(out, frames, channels, 8, (o) => data.getFloat64(o, true));
      break;
    case 'f64be':
      byteReader(out, frames, channels, 8, (o) => data.getFloat64(o, false));
      break;
  }
  return out;
}

function byteReader(out: Float32Array[], frames: number, channels: number, size: number, read: (offset: number) => number): void {
  const stride = size * channels;
  for (let c = 0; c < channels; c++) {
    const channel = out[c]!;
    for (let f = 0, o = c * size; f < frames; f++, o += stride) channel[f] = read(o);
  }
}

export interface PcmChunk {
  channelData: Float32Array[];
  sampleRate: number;
}

/** The samples of a file, in blocks, from its layout. `onRead` gets the file position reached. */
export async function* readPcmFrames(file: FileHandle, layout: PcmLayout, onRead?: (position: number) => void): AsyncGenerator<PcmChunk> {
  const frameBytes = BYTES[layout.encoding] * layout.channels;
  const blockBytes = Math.max(1, Math.floor(BLOCK_BYTES / frameBytes)) * frameBytes;
  // One buffer of our own for every block: its start is aligned whatever the file offset.
  const buffer = new Uint8Array(Math.min(blockBytes, layout.dataBytes));
  let position = layout.dataStart;
  const end = layout.dataStart + layout.dataBytes;
  while (position < end) {
    const want = Math.min(blockBytes, end - position);
    let filled = 0;
    while (filled < want) {
      const { bytesRead } = await file.read(buffer, filled, want - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const usable = filled - (filled % frameBytes);
    if (usable === 0) break; // the file shrank under us
    position += usable;
    onRead?.(position);
    yield { channelData: deinterleave(buffer.subarray(0, usable), layout.channels, layout.encoding), sampleRate: layout.sampleRate };
    if (usable < want) break;
  }
}
