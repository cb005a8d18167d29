// Records a session's PCM to a WAV file as it arrives. Every append goes straight to the file
// with a synchronous write (into the OS's cache: a killed process loses nothing it wrote); the
// header's sizes follow at least once a second, and repairWav() fixes them after a crash.
// A power cut can still lose what the OS had not yet written back: nothing here calls fsync,
// which could stall the main process's event loop for a long time on a slow disk.
//
// A plain RIFF/WAVE file's sizes are 32-bit, so it ends at 4 GiB (about 3.1 h of 48 kHz stereo
// float). Past that the file becomes RF64 (EBU Tech 3306), as broadcast tools and ffmpeg's
// `-rf64 auto` do it: a JUNK chunk the size of a ds64 chunk is reserved right after the RIFF
// header, so that a file under 4 GiB is a plain WAV; once the data passes the limit, the next
// header update writes `RF64` and turns the JUNK chunk into ds64 (64-bit RIFF size, data size
// and sample count), the 32-bit RIFF size, data size and fact sample count set to 0xFFFFFFFF.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { AudioFormat } from '../../shared/api';

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The tail shared by the KSDATAFORMAT_SUBTYPE_* GUIDs, after their 2-byte format tag. */
const SUBTYPE_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const SPEAKER_FRONT_CENTER = 0x4;
const SPEAKER_FRONT_LEFT_RIGHT = 0x3;
/**
 * The largest RIFF size (the file's length less 8) a plain WAV file is written with. RIFF sizes
 * are 32-bit, and 0xFFFFFFFF is what an RF64 file's 32-bit sizes say ("see the ds64 chunk").
 */
const MAX_RIFF_SIZE = 0xffff_fffe;
/** A 32-bit size of an RF64 file that is in its ds64 chunk. */
const SIZE_IN_DS64 = 0xffff_ffff;
/** The ds64 chunk's body: RIFF size, data size and sample count (64-bit), table length 0. */
const DS64_BODY_LENGTH = 28;
/** Where the JUNK chunk reserved for ds64 is: right after `RIFF <size> WAVE`, where ds64 must be. */
const DS64_AT = 12;

interface WavLayout {
  blockAlign: number;
  extensible: boolean;
  /** Float data is not WAVE_FORMAT_PCM, and the spec asks such files for a fact chunk. */
  hasFact: boolean;
  headerLength: number;
}

function layoutOf(format: AudioFormat): WavLayout {
  const extensible = format.channels > 2 || format.bit_depth > 16;
  const hasFact = format.is_float;
  const fmtLength = 8 + (extensible ? 40 : 16);
  return {
    blockAlign: format.channels * (format.bit_depth / 8),
    extensible,
    hasFact,
    headerLength: 12 + 8 + DS64_BODY_LENGTH + fmtLength + (hasFact ? 12 : 0) + 8,
  };
}

/**
 * The header of a file whose data chunk holds `dataSize` bytes (whole frames): plain RIFF with a
 * JUNK chunk while the RIFF size is at most `riffLimit`, RF64 with a ds64 chunk past it.
 */
function wavHeader(format: AudioFormat, layout: WavLayout, dataSize: number, riffLimit: number): Buffer {
  const header = Buffer.alloc(layout.headerLength);
  const tag = format.is_float ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM;
  const riffSize = layout.headerLength - 8 + dataSize + (dataSize % 2);
  const frames = dataSize / layout.blockAlign;
  const rf64 = riffSize > riffLimit;
  let at = 0;
  const chunk = (id: string, size: number) => {
    header.write(id, at, 'ascii');
    header.writeUInt32LE(size, at + 4);
    at += 8;
  };
  chunk(rf64 ? 'RF64' : 'RIFF', rf64 ? SIZE_IN_DS64 : riffSize);
  header.write('WAVE', at, 'ascii');
  at += 4;
  if (rf64) {
    chunk('ds64', DS64_BODY_LENGTH);
    header.writeBigUInt64LE(BigInt(riffSize), at);
    header.writeBigUInt64LE(BigInt(dataSize), at + 8);
    header.writeBigUInt64LE(BigInt(frames), at + 16);
    // The table of other chunks' 64-bit sizes is empty (bytes 24 to 27: already 0).
  } else {
    chunk('JUNK', DS64_BODY_LENGTH);
  }
  at += DS64_BODY_LENGTH;
  chunk('fmt ', layout.extensible ? 40 : 16);
  header.writeUInt16LE(layout.extensible ? WAVE_FORMAT_EXTENSIBLE : tag, at);
  header.writeUInt16LE(format.channels, at + 2);
  header.writeUInt32LE(format.sample_rate, at + 4);
  header.writeUInt32LE(format.sample_rate * layout.blockAlign, at + 8);
  header.writeUInt16LE(layout.blockAlign, at + 12);
  header.writeUInt16LE(format.bit_depth, at + 14);
  at += 16;
  if (layout.extensible) {
    header.writeUInt16LE(22, at);
    header.writeUInt16LE(format.bit_depth, at + 2);
    // Mono and stereo have their usual speakers; wider input (a multi-channel audio
    // interface) is not a speaker layout, which a mask of 0 says.
    const mask = format.channels === 1 ? SPEAKER_FRONT_CENTER : format.channels === 2 ? SPEAKER_FRONT_LEFT_RIGHT : 0;
    header.writeUInt32LE(mask, at + 4);
    header.writeUInt16LE(tag, at + 8);
    Buffer.from(SUBTYPE_GUID_TAIL).copy(header, at + 10);
    at += 24;
  }
  if (layout.hasFact) {
    chunk('fact', 4);
    header.writeUInt32LE(rf64 ? SIZE_IN_DS64 : frames, at);
    at += 4;
  }
  chunk('data', rf64 ? SIZE_IN_DS64 : dataSize);
  return header;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length;) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

export interface WavRecorderOptions {
  /** How often the header's sizes are brought up to date while recording. Default 1000 ms. */
  headerIntervalMs?: number;
  /**
   * The largest RIFF size (the file's length less 8) written as a plain WAV file; a larger file
   * is RF64. Default and maximum 0xFFFFFFFE, the 32-bit limit; tests set a small one.
   */
  riffLimitBytes?: number;
}

function riffLimitOf(options: { riffLimitBytes?: number }): number {
  const limit = options.riffLimitBytes ?? MAX_RIFF_SIZE;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_RIFF_SIZE) {
    throw new RangeError(`riffLimitBytes must be an integer from 0 to ${MAX_RIFF_SIZE}, not ${limit}`);
  }
  return limit;
}

export class WavRecorder {
  /** Bytes appended so far; may end in the middle of a frame. */
  private dataBytes = 0;
  private headerDataBytes = 0;
  private lastHeaderUpdate = Date.now();
  private headerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** A header update by the timer that failed. */
  private failure: { error: unknown } | undefined;

  /** Creates the file with an empty data chunk; refuses to overwrite an existing file. */
  static create(path: string, format: AudioFormat, options: WavRecorderOptions = {}): WavRecorder {
    const layout = layoutOf(format);
    const riffLimit = riffLimitOf(options);
    const fd = openSync(path, 'wx');
    try {
      writeAll(fd, wavHeader(format, layout, 0, riffLimit), 0);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new WavRecorder(path, format, layout, fd, options.headerIntervalMs ?? 1000, riffLimit);
  }

  private constructor(
    readonly path: string,
    readonly format: AudioFormat,
    private readonly layout: WavLayout,
    private readonly fd: number,
    private readonly headerIntervalMs: number,
    private readonly riffLimit: number,
  ) {}

  /** Whole frames written so far. */
  get frames(): number {
    return Math.floor(this.dataBytes / this.layout.blockAlign);
  }

  /** Writes PCM bytes; a chunk may end in the middle of a sample or a frame. */
  append(bytes: Uint8Array): void {
    if (this.closed) throw new Error(`The recording ${this.path} is closed`);
    if (this.failure) throw this.failure.error;
    writeAll(this.fd, bytes, this.layout.headerLength + this.dataBytes);
    this.dataBytes += bytes.length;
    this.wrote();
  }

  /**
   * Appends `length` zero bytes (silence, but for 8-bit PCM) without writing them: the file is
   * extended, with a hole where the file system has sparse files. Lets a test pass 4 GiB quickly.
   */
  appendZeros(length: number): void {
    if (this.closed) throw new Error(`The recording ${this.path} is closed`);
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Cannot append ${length} zero bytes`);
    this.dataBytes += length;
    ftruncateSync(this.fd, this.layout.headerLength + this.dataBytes);
    this.wrote();
  }

  private wrote(): void {
    // On time even when appends come back to back without the event loop turning (no timer
    // could run), and by a timer when they stop.
    if (Date.now() - this.lastHeaderUpdate >= this.headerIntervalMs) {
      this.updateHeader();
    } else if (!this.headerTimer) {
      this.headerTimer = setTimeout(() => this.updateHeaderLater(), this.headerIntervalMs).unref();
    }
  }

  /**
   * Drops a trailing partial frame, adds the pad byte an odd data size needs, writes the final
   * header. Returns the number of frames in the file.
   */
  close(): number {
    if (this.closed) return this.frames;
    this.closed = true;
    clearTimeout(this.headerTimer);
    const dataSize = this.frames * this.layout.blockAlign;
    const dataEnd = this.layout.headerLength + dataSize;
    try {
      if (this.dataBytes > dataSize) ftruncateSync(this.fd, dataEnd);
      // Header first: a crash before the pad byte leaves a file that repairWav reads right.
      writeAll(this.fd, wavHeader(this.format, this.layout, dataSize, this.riffLimit), 0);
      if (dataSize % 2 === 1) writeAll(this.fd, new Uint8Array(1), dataEnd);
    } finally {
      closeSync(this.fd);
    }
    return this.frames;
  }

  /**
   * The timer's header update: a failure (a full disk) cannot be thrown there, where nothing
   * would catch it; the next append throws it instead.
   */
  private updateHeaderLater(): void {
    try {
      this.updateHeader();
    } catch (error) {
      this.failure ??= { error };
    }
  }

  private updateHeader(): void {
    clearTimeout(this.headerTimer);
    this.headerTimer = undefined;
    this.lastHeaderUpdate = Date.now();
    const dataSize = this.frames * this.layout.blockAlign;
    if (dataSize === this.headerDataBytes) return;
    // One write: a process killed at any moment leaves the old header or the new one whole,
    // the switch from RIFF to RF64 included.
    writeAll(this.fd, wavHeader(this.format, this.layout, dataSize, this.riffLimit), 0);
    this.headerDataBytes = dataSize;
  }
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  if (read < length) throw new Error('the file ends inside its header');
  return buffer;
}

/**
 * Makes a WAV file's header agree with the file after a crash: the data runs to the end of
 * the file (a trailing partial frame is cut off), the pad byte is added when the data size is
 * odd, and the RIFF size, data size and fact sample count are rewritten. Assumes, as
 * WavRecorder writes them, that the data chunk is the file's last chunk.
 *
 * Reads plain RIFF and RF64 files, and writes the form WavRecorder would for that much data:
 * a plain file whose data has passed 4 GiB (a crash between the data passing the limit and
 * the next header update) becomes RF64, its JUNK chunk the ds64 chunk; an RF64 file cut below
 * the limit becomes a plain one again. A plain file of more than 4 GiB without the JUNK chunk
 * (none that WavRecorder wrote) cannot be made valid in place and is left as it is, with an
 * error. `riffLimitBytes` as for WavRecorder.
 */
export function repairWav(path: string, options: { riffLimitBytes?: number } = {}): { frames: number; repaired: boolean } {
  const riffLimit = riffLimitOf(options);
  const fd = openSync(path, 'r+');
  try {
    const fileLength = fstatSync(fd).size;
    const riff = readExactly(fd, 12, 0);
    const form = riff.toString('ascii', 0, 4);
    if ((form !== 'RIFF' && form !== 'RF64') || riff.toString('ascii', 8, 12) !== 'WAVE') {
      throw new Error(`${path} is not a WAV file`);
    }
    let blockAlign = 0;
    let factAt: number | undefined;
    /** The first chunk when it is a JUNK or ds64 chunk, which can hold the ds64 chunk. */
    let reserve: { id: string; size: number } | undefined;
    let ds64DataSize: number | undefined;
    let at = DS64_AT;
    for (;;) {
      const chunk = readExactly(fd, 8, at);
      const id = chunk.toString('ascii', 0, 4);
      const size = chunk.readUInt32LE(4);
      if (at === DS64_AT && (id === 'JUNK' || id === 'ds64')) reserve = { id, size };
      if (at === DS64_AT && form === 'RF64') {
        if (id !== 'ds64' || size < 24) throw new Error(`${path} is an RF64 file without its ds64 chunk`);
        ds64DataSize = Number(readExactly(fd, 8, at + 16).readBigUInt64LE(0));
      }
      if (id === 'data') break;
      if (id === 'fmt ') blockAlign = readExactly(fd, 16, at + 8).readUInt16LE(12);
      if (id === 'fact') factAt = at + 8;
      at += 8 + size + (size % 2);
    }
    if (blockAlign === 0) throw new Error(`${path} has no usable fmt chunk before its data`);
    const dataAt = at + 8;
    const available = fileLength - dataAt;
    const declared32 = readExactly(fd, 4, at + 4).readUInt32LE(0);
    const declared = ds64DataSize !== undefined && declared32 === SIZE_IN_DS64 ? ds64DataSize : declared32;
    // A declared size that accounts for the whole file is right; otherwise the header is stale
    // and the data is whatever was written (WavRecorder writes the pad byte only at close).
    const dataSize = declared % blockAlign === 0 && declared + (declared % 2) === available ? declared : Math.floor(available / blockAlign) * blockAlign;
    const frames = dataSize / blockAlign;
    const expectedLength = dataAt + dataSize + (dataSize % 2);
    const riffSize = expectedLength - 8;
    const rf64 = riffSize > riffLimit;
    // A ds64 chunk has at least the three sizes; a JUNK chunk becomes one with a table length.
    if (rf64 && (reserve === undefined || reserve.size < (reserve.id === 'ds64' ? 24 : DS64_BODY_LENGTH))) {
      throw new Error(`${path} holds more than a WAV file's 4 GiB and has no room for an RF64 ds64 chunk`);
    }

    // The header as it is and as it should be, up to the data; written back in one piece.
    const before = readExactly(fd, dataAt, 0);
    const after = Buffer.from(before);
    after.write(rf64 ? 'RF64' : 'RIFF', 0, 'ascii');
    after.writeUInt32LE(rf64 ? SIZE_IN_DS64 : riffSize, 4);
    if (rf64) {
      const body = DS64_AT + 8;
      after.write('ds64', DS64_AT, 'ascii');
      after.writeBigUInt64LE(BigInt(riffSize), body);
      after.writeBigUInt64LE(BigInt(dataSize), body + 8);
      after.writeBigUInt64LE(BigInt(frames), body + 16);
      after.fill(0, body + 24, body + reserve!.size);
    } else if (reserve?.id === 'ds64') {
      after.write('JUNK', DS64_AT, 'ascii');
      after.fill(0, DS64_AT + 8, DS64_AT + 8 + reserve.size);
    }
    if (factAt !== undefined) after.writeUInt32LE(rf64 ? SIZE_IN_DS64 : frames, factAt);
    after.writeUInt32LE(rf64 ? SIZE_IN_DS64 : dataSize, at + 4);
    if (after.equals(before) && fileLength === expectedLength) return { frames, repaired: false };
    ftruncateSync(fd, dataAt + dataSize);
    if (dataSize % 2 === 1) writeAll(fd, new Uint8Array(1), dataAt + dataSize);
    writeAll(fd, after, 0);
    return { frames, repaired: true };
  } finally {
    closeSync(fd);
  }
}
