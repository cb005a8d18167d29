// A log file that stays small: timestamped lines appended to <dir>/main.log, which becomes
// main.1.log (main.1.log becomes main.2.log, and so on) when the next line would take it past
// maxBytes; only `keep` old files stay. Node only, so that the CLI can use it as well as the app.
//
// Each line is written with writeSync to a descriptor opened once: when write() returns, the line
// is the operating system's, so neither process.exit(), an uncaught exception nor a SIGKILL loses
// it. A WriteStream (or rotating-file-stream, which is one) would keep lines in the process until
// its next turn of the event loop; appendFileSync would open and close the file for every line.
// At a log's rate one system call per line costs nothing noticeable.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface LogFileOptions {
  /** Rotate before a line would take the file past this size. */
  maxBytes?: number;
  /** Old files kept: main.1.log (the newest) to main.<keep>.log. */
  keep?: number;
  /** The file's base name: `main` for main.log. */
  name?: string;
}

export interface LogFile {
  readonly path: string;
  /** Appends one line, with the time in front; never throws (a log must not take the app down). */
  write(line: string): void;
  close(): void;
}

export function openLogFile(dir: string, { maxBytes = 2 ** 20, keep = 3, name = 'main' }: LogFileOptions = {}): LogFile {
  mkdirSync(dir, { recursive: true });
  const file = (n: number) => join(dir, n === 0 ? `${name}.log` : `${name}.${n}.log`);
  const path = file(0);
  let fd: number | undefined;
  let size = 0;
  let closed = false;
  const open = () => {
    fd = openSync(path, 'a');
    size = fstatSync(fd).size;
    return fd;
  };

  const rotate = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    rmSync(file(keep), { force: true });
    for (let n = keep - 1; n >= 0; n--) if (existsSync(file(n))) renameSync(file(n), file(n + 1));
  };

  open();
  return {
    path,
    write(line) {
      if (closed) return;
      const bytes = Buffer.from(`${new Date().toISOString()} ${line.replace(/\n$/, '')}\n`, 'utf8');
      try {
        if (size > 0 && size + bytes.length > maxBytes) {
          try {
            rotate();
          } catch {
            // A file held open elsewhere (Windows): keep writing to this one, try again next line.
          }
        }
        // Opened again after a rotation, or after a failure left it closed.
        writeSync(fd ?? open(), bytes);
        size += bytes.length;
      } catch {
        // A full disk or a folder removed under us: the line is lost, the app goes on.
      }
    },
    close() {
      closed = true;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
