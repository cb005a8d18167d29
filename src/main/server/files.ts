// Files over HTTP for the web build: a session's audio with byte ranges (so that the browser can
// seek to a segment), and uploads of files to import. Errors name the person's file, never a
// path on the server.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { byteRange } from '../bridge/byte-range';
import { errorCode } from '../../shared/errors';

/** A request the server answers with this status and message (JSON `{ error }`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Serves a file, honouring one `Range: bytes=a-b` as audio elements send when seeking. `what` names it in errors. */
export async function sendFileWithRanges(request: IncomingMessage, response: ServerResponse, path: string, mime: string, what: string): Promise<void> {
  const found = await stat(path).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') throw new HttpError(404, `${what} is missing from the server's data folder`);
    throw new HttpError(500, `${what} cannot be read (${errorCode(error) ?? 'unknown error'})`);
  });
  if (!found.isFile()) throw new HttpError(404, `${what} is missing from the server's data folder`);
  const { size } = found;
  const range = byteRange(request.headers.range, size);
  const headers = { 'content-type': mime, 'accept-ranges': 'bytes', 'cache-control': 'no-cache' };
  if (range === 'unsatisfiable') {
    response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    return;
  }
  if (!range.partial) {
    response.writeHead(200, { ...headers, 'content-length': size });
    if (request.method === 'HEAD') return void response.end();
    await pipeline(createReadStream(path), response);
    return;
  }
  const { start, end } = range;
  response.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
  if (request.method === 'HEAD') return void response.end();
  await pipeline(createReadStream(path, { start, end }), response);
}

/** Largest upload taken: a few hours of uncompressed multichannel audio. */
export const MAX_UPLOAD_BYTES = 4 * 2 ** 30;

const describeSize = (bytes: number) =>
  bytes >= 2 ** 30 ? `${+(bytes / 2 ** 30).toFixed(1)} GiB` : bytes >= 2 ** 20 ? `${+(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`;

/** The person's name for the file, short enough to quote in a message. */
export const quoteName = (name: string) => JSON.stringify(Array.from(name).length > 100 ? `${Array.from(name).slice(0, 100).join('')}…` : name);

/** Files at most this many bytes of UTF-8 in their name: file systems take 255. */
const MAX_NAME_BYTES = 200;

/**
 * The name an upload is stored under, from the name the client gave: its last path part, no
 * control characters or characters Windows refuses, never `.`, `..` or hidden, and at most
 * 200 bytes of UTF-8 with its extension kept (the import shows the name and sniffs the content).
 */
export function uploadFileName(name: string): string {
  let base = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  if (/^\.*$/.test(base)) base = 'upload';
  else if (base.startsWith('.')) base = `upload${base}`;
  if (Buffer.byteLength(base) <= MAX_NAME_BYTES) return base;
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 && base.length - dot <= 16 ? base.slice(dot) : '';
  const stem = Array.from(base.slice(0, base.length - extension.length));
  while (stem.length > 1 && Buffer.byteLength(stem.join('') + extension) > MAX_NAME_BYTES) stem.pop();
  return stem.join('').trimEnd() + extension;
}

/** What went wrong writing an upload, in words, with the status that says it. */
function storageFailure(error: unknown, name: string): HttpError {
  const quoted = quoteName(name);
  switch (errorCode(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new HttpError(507, `${quoted} could not be stored: the server's disk is full`);
    case 'EROFS':
      return new HttpError(507, `${quoted} could not be stored: the server's data folder is read-only`);
    case 'EACCES':
    case 'EPERM':
      return new HttpError(500, `${quoted} could not be stored: the server may not write to its data folder`);
    case 'EMFILE':
    case 'ENFILE':
      return new HttpError(503, `${quoted} could not be stored: the server has too many files open; try again`);
    default:
      return new HttpError(500, `${quoted} could not be stored (${errorCode(error) ?? 'unknown error'})`);
  }
}

/** The refusal of an upload larger than `maxBytes`. */
export const tooLarge = (name: string, maxBytes: number) =>
  new HttpError(413, `${quoteName(name)} is larger than ${describeSize(maxBytes)}, the most the server takes`);

/**
 * Takes a file's bytes as the request body into its own folder under `uploadDir`, keeping its
 * name (the import shows it), and returns where it is. On any failure the partial file is
 * deleted and an HttpError says why; the rest of the body is still read, and dropped, so that
 * the client gets the answer instead of a reset connection.
 */
export async function receiveUpload(request: IncomingMessage, uploadDir: string, name: string, maxBytes = MAX_UPLOAD_BYTES): Promise<string> {
  const folder = join(uploadDir, randomUUID());
  const path = join(folder, uploadFileName(name));
  try {
    await mkdir(folder, { recursive: true });
    await receiveInto(request, createWriteStream(path, { flags: 'wx' }), name, maxBytes);
    return path;
  } catch (error) {
    request.resume();
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    throw error instanceof HttpError ? error : storageFailure(error, name);
  }
}

function receiveInto(request: IncomingMessage, file: WriteStream, name: string, maxBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      request.off('data', onData).off('end', onEnd).off('error', onRequestError).off('close', onClose);
      if (error === undefined) return resolve();
      // Closed before rejecting, so that the folder can be removed on every system.
      if (file.closed) return reject(error);
      file.once('close', () => reject(error));
      file.destroy();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return settle(tooLarge(name, maxBytes));
      if (!file.write(chunk)) {
        request.pause();
        file.once('drain', () => !settled && request.resume());
      }
    };
    const onEnd = () => {
      file.once('close', () => settle());
      file.end();
    };
    const onRequestError = () => settle(new HttpError(400, `the upload of ${quoteName(name)} was cut off`));
    const onClose = () => !request.complete && onRequestError();
    request.on('data', onData).once('end', onEnd).once('error', onRequestError).once('close', onClose);
    file.on('error', (error) => settle(storageFailure(error, name)));
  });
}
