// Files over HTTP for the web build: a session's audio with byte ranges (so that the browser can
// seek to a segment), and uploads of files to import.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';

/** Serves a file, honouring one `Range: bytes=a-b` as audio elements send when seeking. */
export async function sendFileWithRanges(request: IncomingMessage, response: ServerResponse, path: string, mime: string): Promise<void> {
  const { size } = await stat(path);
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
  const headers = { 'content-type': mime, 'accept-ranges': 'bytes', 'cache-control': 'no-cache' };
  if (!range || (range[1] === '' && range[2] === '')) {
    response.writeHead(200, { ...headers, 'content-length': size });
    if (request.method === 'HEAD') return void response.end();
    await pipeline(createReadStream(path), response);
    return;
  }
  // "bytes=-N" is the last N bytes.
  const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
  const end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), size - 1) : size - 1;
  if (start > end || start >= size) {
    response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    return;
  }
  response.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
  if (request.method === 'HEAD') return void response.end();
  await pipeline(createReadStream(path, { start, end }), response);
}

/** Largest upload taken: a few hours of uncompressed multichannel audio. */
const MAX_UPLOAD_BYTES = 4 * 2 ** 30;

/**
 * Takes a file's bytes as the request body into its own folder under `uploadDir`, keeping its
 * name (the import shows it), and returns where it is.
 */
export async function receiveUpload(request: IncomingMessage, uploadDir: string, name: string): Promise<string> {
  const safeName = basename(name).replace(/[\u0000-\u001f/\\]/g, '_') || 'upload';
  const folder = join(uploadDir, randomUUID());
  await mkdir(folder, { recursive: true });
  const path = join(folder, safeName);
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_UPLOAD_BYTES) request.destroy(new Error(`the file is larger than ${MAX_UPLOAD_BYTES / 2 ** 30} GiB`));
  });
  try {
    await pipeline(request, createWriteStream(path));
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  return path;
}
