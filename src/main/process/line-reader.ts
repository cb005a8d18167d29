// Turns a child's stdout or stderr, which arrives in chunks cut anywhere, into whole lines.
import { StringDecoder } from 'node:string_decoder';

export interface LineReader {
  push(chunk: Buffer | string): void;
  /** The stream ended: a last line without a newline is still a line. */
  end(): void;
}

/** One reader per stream: two streams sharing one would join each other's partial lines. */
export function lineReader(listener: (line: string) => void): LineReader {
  // Keeps the bytes of a UTF-8 character cut between chunks until the rest arrives.
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (line: string) => {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim()) listener(line);
  };
  return {
    push(chunk) {
      const lines = (partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk))).split('\n');
      partial = lines.pop()!;
      for (const line of lines) emit(line);
    },
    end() {
      const rest = partial + decoder.end();
      partial = '';
      emit(rest);
    },
  };
}

/** Reads every line of a child's output streams (those it has) into `listener`. */
export function readLines(streams: Array<NodeJS.ReadableStream | null | undefined>, listener: (line: string) => void): void {
  for (const stream of streams) {
    if (!stream) continue;
    const reader = lineReader(listener);
    stream.on('data', (chunk: Buffer | string) => reader.push(chunk));
    stream.on('end', () => reader.end());
  }
}
