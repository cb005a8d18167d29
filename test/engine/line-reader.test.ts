// A child's log output in chunks cut anywhere, even inside a character, comes out as whole lines.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lineReader, readLines } from '../../src/main/process/line-reader';

function readAll(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const reader = lineReader((line) => lines.push(line));
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return lines;
}

describe('lineReader', () => {
  const text = 'Modèle chargé en 1,2 s 🎙️\r\nsecond line\n\n  \nno newline at the end: 日本語';
  const bytes = Buffer.from(text, 'utf8');
  const expected = ['Modèle chargé en 1,2 s 🎙️', 'second line', 'no newline at the end: 日本語'];

  it('gives the same lines wherever the chunks are cut, multi-byte characters included', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(readAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
    }
    expect(readAll(Array.from(bytes, (byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('keeps the partial lines of two streams apart', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const lines: string[] = [];
    readLines([out, err, null], (line) => lines.push(line));
    out.write('stdout be');
    err.write('stderr be');
    out.write('gins\n');
    err.end('gins');
    out.end();
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(['stdout begins', 'stderr begins']);
  });
});
