// One `Range: bytes=...` header, as audio elements send when seeking, for both routes that serve a
// session's audio: the server's (src/main/server/files.ts) and the desktop app's media scheme.

export type ByteRange = { start: number; end: number; partial: boolean } | 'unsatisfiable';

/**
 * The bytes to send of a file of `size` bytes: `bytes=a-b`, `bytes=a-` or `bytes=-N` (the last N
 * bytes); without a usable range, the whole file. Ends past the file are cut to it; a start past
 * it is 'unsatisfiable' (416).
 */
export function byteRange(header: string | null | undefined, size: number): ByteRange {
  const range = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!range || (range[1] === '' && range[2] === '')) return { start: 0, end: size - 1, partial: false };
  const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
  const end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), size - 1) : size - 1;
  return start > end || start >= size ? 'unsatisfiable' : { start, end, partial: true };
}
