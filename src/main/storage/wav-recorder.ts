// Records a session's PCM to a WAV file as it arrives. Every append goes straight to the file
// with a synchronous write (into the OS's cache: a killed process loses nothing it wrote); the
// header's sizes follow at least once a second, and repairWav() fixes them after a crash.
// A power cut can still lose what the OS had not yet written back: nothing here calls fsync,
// which could stall the main process's event loop for a long time on a slow disk.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { AudioFormat } from '../../shared/api';

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The tail shared by the KSDATAFORMAT_SUBTYPE_* GUIDs, after their 2-byte format tag. */
const SUBTYPE_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const SPEAKER_FRONT_CENTER = 0x4;
const SPEAKER_FRONT_LEFT_RIGHT = 0x3;
/** RIFF sizes are 32-bit. */
const MAX_RIFF_SIZE = 0xffff_ffff;

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
    headerLength: 12 + fmtLength + (hasFact ? 12 : 0) + 8,
  };
}

/** The header of a file whose data chunk holds `dataSize` bytes (whole frames). */
function wavHeader(format: AudioFormat, layout: WavLayout, dataSize: number): Buffer {
  const header = Buffer.alloc(layout.headerLength);
  const tag = format.is_float ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM;
  let at = 0;
  const chunk = (id: string, size: number) => {
    header.write(id, at, 'ascii');
    header.writeUInt32LE(size, at + 4);
    at += 8;
  };
  chunk('RIFF', layout.headerLength - 8 + dataSize + (dataSize % 2));
  header.write('WAVE', at, 'ascii');
  at += 4;
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
    header.writeUInt32LE(dataSize / layout.blockAlign, at);
    at += 4;
  }
  chunk('data', dataSize);
  return header;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

export interface WavRecorderOptions {
  /** How often the header's sizes are brought up to date while recording. Default 1000 ms. */
  headerIntervalMs?: number;
}

export class WavRecorder {
  /** Bytes appended so far; may end in the middle of a frame. */
  private dataBytes = 0;
  private headerDataBytes = 0;
  private lastHeaderUpdate = Date.now();
  private headerTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Creates the file with an empty data chunk; refuses to overwrite an existing file. */
  static create(path: string, format: AudioFormat, options: WavRecorderOptions = {}): WavRecorder {
    const layout = layoutOf(format);
    const fd = openSync(path, 'wx');
    try {
      writeAll(fd, wavHeader(format, layout, 0), 0);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new WavRecorder(path, format, layout, fd, options.headerIntervalMs ?? 1000);
  }

  private constructor(
    readonly path: string,
    readonly format: AudioFormat,
    private readonly layout: WavLayout,
    private readonly fd: number,
    private readonly headerIntervalMs: number,
  ) {}

  /** Whole frames written so far. */
  get frames(): number {
    return Math.floor(this.dataBytes / this.layout.blockAlign);
  }

  /** Writes PCM bytes; a chunk may end in the middle of a sample or a frame. */
  append(bytes: Uint8Array): void {
    if (this.closed) throw new Error(`The recording ${this.path} is closed`);
    const room = MAX_RIFF_SIZE - (this.layout.headerLength - 8) - 1 - this.dataBytes;
    if (bytes.length > room) throw new Error(`The recording ${this.path} reached the 4 GiB size limit of a WAV file`);
    writeAll(this.fd, bytes, this.layout.headerLength + this.dataBytes);
    this.dataBytes += bytes.length;
    // On time even when appends come back to back without the event loop turning (no timer
    // could run), and by a timer when they stop.
    if (Date.now() - this.lastHeaderUpdate >= this.headerIntervalMs) {
      this.updateHeader();
    } else if (!this.headerTimer) {
      this.headerTimer = setTimeout(() => this.updateHeader(), this.headerIntervalMs).unref();
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
      writeAll(this.fd, wavHeader(this.format, this.layout, dataSize), 0);
      if (dataSize % 2 === 1) writeAll(this.fd, new Uint8Array(1), dataEnd);
    } finally {
      closeSync(this.fd);
    }
    return this.frames;
  }

  private updateHeader(): void {
    clearTimeout(this.headerTimer);
    this.headerTimer = undefined;
    this.lastHeaderUpdate = Date.now();
    const dataSize = this.frames * this.layout.blockAlign;
    if (dataSize === this.headerDataBytes) return;
    writeAll(this.fd, wavHeader(this.format, this.layout, dataSize), 0);
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
 */
export function repairWav(path: string): { frames: number; repaired: boolean } {
  const fd = openSync(path, 'r+');
  try {
    const fileLength = fstatSync(fd).size;
    const riff = readExactly(fd, 12, 0);
    if (riff.toString('ascii', 0, 4) !== 'RIFF' || riff.toString('ascii', 8, 12) !== 'WAVE') {
      throw new Error(`${path} is not a WAV file`);
    }
    let blockAlign = 0;
    let factAt: number | undefined;
    let at = 12;
    for (;;) {
      const chunk = readExactly(fd, 8, at);
      const id = chunk.toString('ascii', 0, 4);
      if (id === 'data') break;
      if (id === 'fmt ') blockAlign = readExactly(fd, 16, at + 8).readUInt16LE(12);
      if (id === 'fact') factAt = at + 8;
      const size = chunk.readUInt32LE(4);
      at += 8 + size + (size % 2);
    }
    if (blockAlign === 0) throw new Error(`${path} has no usable fmt chunk before its data`);
    const dataAt = at + 8;
    const available = fileLength - dataAt;
    const declared = readExactly(fd, 4, at + 4).readUInt32LE(0);
    // A declared size that accounts for the whole file is right; otherwise the header is stale
    // and the data is whatever was written (WavRecorder writes the pad byte only at close).
    const dataSize =
      declared % blockAlign === 0 && declared + (declared % 2) === available
        ? declared
        : Math.floor(available / blockAlign) * blockAlign;
    const frames = dataSize / blockAlign;
    const expectedLength = dataAt + dataSize + (dataSize % 2);
    const fields: [position: number, value: number][] = [
      [4, expectedLength - 8],
      [at + 4, dataSize],
      ...(factAt === undefined ? [] : [[factAt, frames] as [number, number]]),
    ];
    const stale = fields.filter(([position, value]) => readExactly(fd, 4, position).readUInt32LE(0) !== value);
    if (stale.length === 0 && fileLength === expectedLength) return { frames, repaired: false };
    ftruncateSync(fd, dataAt + dataSize);
    if (dataSize % 2 === 1) writeAll(fd, new Uint8Array(1), dataAt + dataSize);
    for (const [position, value] of fields) {
      const field = Buffer.alloc(4);
      field.writeUInt32LE(value, 0);
      writeAll(fd, field, position);
    }
    return { frames, repaired: true };
  } finally {
    closeSync(fd);
  }
}
