// A small file system of its own for a test, to fill: a tmpfs (we run as root in the sandbox
// where these tests were written; where mounting is not allowed, canMountTmpfs() says so and
// the tests that need one are skipped).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a tmpfs of `bytes` at `dir` (created if need be); false where this is not allowed. */
export function mountTmpfs(dir: string, bytes: number): boolean {
  if (process.platform !== 'linux') return false;
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
}

/** Whether this process may mount a tmpfs: tried once, on a folder of its own. */
export function canMountTmpfs(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'utterly-tmpfs-probe-'));
  try {
    if (!mountTmpfs(probe, 1 << 20)) return false;
    unmount(probe);
    return true;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Fills the file system holding `dir` to the last byte; returns the file that does it (delete it to free the space). */
export function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
