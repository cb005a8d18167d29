// One owner per data folder: a lock file, `utterly.lock`, that names the process holding it.
// The owner (the desktop app, `cli serve`, `cli rerun`) creates it atomically and deletes it on
// close; a lock whose process is gone (a crash, `kill -9`) is taken over by the next owner.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { errorCode, errorMessage } from '../../shared/errors';

export const LOCK_FILE = 'utterly.lock';

/** What the lock file holds: who owns the folder, for the next process and for people. */
export interface LockHolder {
  pid: number;
  /** When it took the lock, ISO 8601. */
  since: string;
  /** What it is, as people know it: "cli serve", "the Utterly app". */
  command: string;
  hostname: string;
  /** Linux: the boot and the start time of the process, which tell a reused pid from the holder. */
  process_start?: string;
}

/** Another process owns the data folder. The desktop app shows it in a dialog. */
export class DataFolderInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly lockPath: string,
  ) {
    const where = holder.hostname === hostname() ? '' : ` on ${holder.hostname}`;
    // A process on another machine (a shared folder) cannot be checked from here.
    const hint = where ? `; if it is no longer running, delete ${lockPath}` : '';
    super(
      `Utterly's data folder ${dataDir} is in use by ${holder.command} (pid ${holder.pid}${where}, since ${formatSince(holder.since)}): close it first${hint}`,
    );
    this.name = 'DataFolderInUseError';
  }
}

export interface DataFolderLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Deletes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Lock files this process holds, by absolute path, with the text it wrote. */
const held = new Map<string, string>();

/**
 * Takes the data folder (which must exist) for `command`, or throws DataFolderInUseError
 * naming the process that holds it.
 */
export function lockDataFolder(dataDir: string, command: string): DataFolderLock {
  const path = resolve(dataDir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, since: new Date().toISOString(), command, hostname: hostname() };
  const start = processStart(process.pid);
  if (start !== undefined) holder.process_start = start;
  const text = JSON.stringify(holder) + '\n';

  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(path, text)) return hold(path, text, holder);
    const found = readLock(path);
    if (found === undefined) continue; // released meanwhile
    if (found.holder && isRunning(found.holder, path)) throw new DataFolderInUseError(dataDir, found.holder, path);
    removeStale(path, found.text);
  }
  throw new Error(`cannot lock Utterly's data folder ${dataDir}: its lock file ${path} keeps changing`);
}

/** Who owns the data folder now, if a running process does. Reads only. */
export function dataFolderOwner(dataDir: string): LockHolder | undefined {
  const path = resolve(dataDir, LOCK_FILE);
  const found = readLock(path);
  return found?.holder && isRunning(found.holder, path) ? found.holder : undefined;
}

/** "2026-12-01 10:00" in local time. */
function formatSince(since: string): string {
  const date = new Date(since);
  if (Number.isNaN(date.getTime())) return since;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

function hold(path: string, text: string, holder: LockHolder): DataFolderLock {
  if (held.size === 0) process.on('exit', releaseAll);
  held.set(path, text);
  return {
    path,
    holder,
    release: () => {
      if (held.get(path) !== text) return;
      held.delete(path);
      if (held.size === 0) process.off('exit', releaseAll);
      removeIfUnchanged(path, text);
    },
  };
}

/** Exiting without close (an uncaught error, process.exit): best effort. */
function releaseAll(): void {
  for (const [path, text] of held) removeIfUnchanged(path, text);
  held.clear();
}

/** Creates the file with `text` unless it exists: the atomic step of taking the lock. */
function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw new Error(`cannot lock Utterly's data folder: ${errorMessage(error)}`, { cause: error });
  }
  try {
    writeSync(fd, text);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
  return true;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The lock file's text and, unless it is garbage, its holder; undefined when there is none.
 * Garbage is read again a few times first: it may be a lock being written.
 */
function readLock(path: string): { text: string; holder?: LockHolder } | undefined {
  for (let tries = 0; ; tries++) {
    const text = readText(path);
    if (text === undefined) return undefined;
    const holder = parseHolder(text);
    if (holder || tries >= 3) return { text, holder };
    sleep(50);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { pid, since, command, hostname: host, process_start } = json as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return undefined;
  if (typeof since !== 'string' || typeof command !== 'string' || typeof host !== 'string') return undefined;
  if (process_start !== undefined && typeof process_start !== 'string') return undefined;
  return { pid: pid as number, since, command, hostname: host, ...(process_start === undefined ? {} : { process_start }) };
}

/** Whether the holder may still be running: when in doubt, yes. */
function isRunning(holder: LockHolder, path: string): boolean {
  if (holder.hostname !== hostname()) return true; // another machine sharing the folder: cannot tell
  // Our own pid: ours if this process took it, else left by an earlier process that had our pid.
  if (holder.pid === process.pid) return held.has(path);
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if (errorCode(error) === 'ESRCH') return false;
    // EPERM: it exists, under another user.
  }
  const start = processStart(holder.pid);
  if (start === 'zombie') return false;
  return holder.process_start === undefined || start === undefined || start === holder.process_start;
}

/**
 * Deletes a stale lock unless it changed since it was read. Two processes taking over the same
 * stale lock must not delete each other's new one, so this is done under a second lock file.
 */
function removeStale(path: string, staleText: string): void {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    // Another process is taking over (it takes milliseconds), or died doing it.
    const age = Date.now() - (statSync(guard, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 10_000) unlinkSync(guard);
    else sleep(50);
    return;
  }
  try {
    removeIfUnchanged(path, staleText);
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
}

function removeIfUnchanged(path: string, text: string): void {
  try {
    if (readText(path) === text) unlinkSync(path);
  } catch {
    // Gone already, or not ours to delete.
  }
}

let bootId: string | undefined | null = null;

/**
 * Linux: "<boot id>:<start time in clock ticks>" of a process, or 'zombie' for one that has
 * exited but is not yet reaped; undefined elsewhere or when it cannot be read.
 */
function processStart(pid: number): string | 'zombie' | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    bootId ??= readText('/proc/sys/kernel/random/boot_id')?.trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3,
    // starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return 'zombie';
    return bootId && fields[19] ? `${bootId}:${fields[19]}` : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
