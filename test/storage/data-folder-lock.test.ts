// One owner per data folder: the lock module's edge cases on real files and real processes,
// readers that change nothing, and `cli serve` / `cli sessions` / `cli export` on one folder.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Session } from '../../src/shared/sessions';
import { openBackend } from '../../src/main/backend';
import {
  DataFolderInUseError,
  LOCK_FILE,
  dataFolderOwner,
  lockDataFolder,
  type DataFolderLock,
  type LockHolder,
} from '../../src/main/storage/data-folder-lock';
import { MIGRATIONS, runMigrations } from '../../src/main/storage/migrations';
import { cliNodeFlags, startCliServer, type CliServer } from '../support/cli-server';
import { INSTANT_MODEL, dataFile, readPcmWav } from '../support/helpers';

const execFileAsync = promisify(execFile);
const scratch = () => mkdtempSync(join(tmpdir(), 'utterly-lock-'));
const lockFile = (dir: string) => join(dir, LOCK_FILE);
const readHolder = (dir: string) => JSON.parse(readFileSync(lockFile(dir), 'utf8')) as LockHolder;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const locks: DataFolderLock[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const lock of locks.splice(0)) lock.release();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function lock(dir: string, command = 'a test'): DataFolderLock {
  const taken = lockDataFolder(dir, command);
  locks.push(taken);
  return taken;
}

/** A pid that no process has any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** A process that runs until the test ends. */
async function liveProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

/** lock-holder.child.ts in MODE; resolves with the child and its first line of output. */
async function holderChild(dir: string, mode: string, ...args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const script = fileURLToPath(new URL('../support/lock-holder.child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, mode, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += String(chunk);
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`the child exited with ${code} before a line`)));
  });
  return { child, line };
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));

function writeLock(dir: string, holder: Partial<LockHolder> | string): void {
  const text = typeof holder === 'string' ? holder : JSON.stringify({ since: new Date().toISOString(), command: 'cli serve', hostname: hostname(), ...holder });
  writeFileSync(lockFile(dir), text);
}

describe('the data folder lock', () => {
  it('is a JSON file naming this process, deleted on release', () => {
    const dir = scratch();
    const taken = lock(dir, 'cli serve');
    const holder = readHolder(dir);
    expect(holder).toMatchObject({ pid: process.pid, command: 'cli serve', hostname: hostname() });
    expect(Math.abs(Date.parse(holder.since) - Date.now())).toBeLessThan(5000);
    if (process.platform === 'linux') expect(holder.process_start).toMatch(/^[0-9a-f-]+:\d+$/);
    expect(taken.holder).toEqual(holder);
    expect(dataFolderOwner(dir)).toEqual(holder);
    taken.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    expect(dataFolderOwner(dir)).toBeUndefined();
    taken.release();
  });

  it('refuses a second owner in this same process, naming it', () => {
    const dir = scratch();
    lock(dir, 'cli serve');
    const error = (() => {
      try {
        lockDataFolder(dir, 'cli rerun');
      } catch (e) {
        return e;
      }
    })() as DataFolderInUseError;
    expect(error).toBeInstanceOf(DataFolderInUseError);
    expect(error.holder).toMatchObject({ pid: process.pid, command: 'cli serve' });
    expect(error.dataDir).toBe(dir);
    expect(error.message).toMatch(
      new RegExp(
        `^Utterly's data folder ${escape(dir)} is in use by cli serve \\(pid ${process.pid}, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\): close it first$`,
      ),
    );
  });

  it('refuses while another live process holds it', async () => {
    const dir = scratch();
    const { child, line } = await holderChild(dir, 'hold');
    expect(line).toBe('locked');
    expect(() => lockDataFolder(dir, 'x')).toThrow(new RegExp(`in use by a hold test \\(pid ${child.pid}, since `));
    expect(dataFolderOwner(dir)?.pid).toBe(child.pid);
    // Killed: its lock is stale and taken over.
    child.kill('SIGKILL');
    await exited(child);
    expect(dataFolderOwner(dir)).toBeUndefined();
    lock(dir);
    expect(readHolder(dir).pid).toBe(process.pid);
  });

  it('takes over the lock of a dead process', async () => {
    const dir = scratch();
    writeLock(dir, { pid: await deadPid() });
    lock(dir);
    expect(readHolder(dir)).toMatchObject({ pid: process.pid, command: 'a test' });
  });

  it('takes over a lock with our own pid that this process did not take (an earlier process had the pid)', () => {
    const dir = scratch();
    writeLock(dir, { pid: process.pid, command: 'the Utterly app' });
    lock(dir);
    expect(readHolder(dir).command).toBe('a test');
  });

  it.runIf(process.platform === 'linux')('takes over the lock of a live pid that belonged to another process (pid reuse)', async () => {
    const dir = scratch();
    const other = await liveProcess();
    writeLock(dir, { pid: other.pid, process_start: 'another-boot:12345' });
    lock(dir);
    expect(readHolder(dir).pid).toBe(process.pid);
  });

  it('refuses a live pid when it cannot tell reuse (no start time recorded)', async () => {
    const dir = scratch();
    const other = await liveProcess();
    writeLock(dir, { pid: other.pid });
    expect(() => lockDataFolder(dir, 'x')).toThrow(DataFolderInUseError);
  });

  it('takes over garbage', () => {
    for (const garbage of ['', 'garbage', '{"pid": 12', 'null', '[1]', '{}', '{"pid": "12", "since": "x", "command": "y", "hostname": "z"}', '{"pid": -4}']) {
      const dir = scratch();
      writeLock(dir, garbage);
      const started = performance.now();
      lock(dir).release();
      expect(performance.now() - started).toBeLessThan(2000);
      expect(existsSync(lockFile(dir))).toBe(false);
    }
  });

  it('refuses a lock from another machine, saying how to clear it', () => {
    const dir = scratch();
    writeLock(dir, { pid: 1234, hostname: 'elsewhere.example', since: '2026-12-01T10:00:00.000Z' });
    expect(() => lockDataFolder(dir, 'x')).toThrow(
      /in use by cli serve \(pid 1234 on elsewhere\.example, since .*\): close it first; if it is no longer running, delete .*utterly\.lock$/,
    );
  });

  it('does not delete on release a lock that someone else took over meanwhile', () => {
    const dir = scratch();
    const taken = lock(dir);
    writeLock(dir, { pid: 4242, command: 'the next owner' });
    taken.release();
    expect(readHolder(dir).pid).toBe(4242);
  });

  it('clears a takeover left behind by a process that died during one', async () => {
    const dir = scratch();
    writeLock(dir, { pid: await deadPid() });
    writeFileSync(lockFile(dir) + '.takeover', '');
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lockFile(dir) + '.takeover', minuteAgo, minuteAgo);
    lock(dir);
    expect(existsSync(lockFile(dir) + '.takeover')).toBe(false);
  });

  it('is released when the process exits without releasing it', async () => {
    const dir = scratch();
    const { child, line } = await holderChild(dir, 'exit');
    expect(line).toBe('locked');
    await exited(child);
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('goes to exactly one of several processes racing to take over a stale lock', async () => {
    const dir = scratch();
    writeLock(dir, { pid: await deadPid() });
    const startAt = String(Date.now() + 5000);
    const lines = await Promise.all([1, 2, 3, 4].map(() => holderChild(dir, 'race', startAt).then((r) => r.line)));
    expect(lines.filter((line) => line === 'won')).toHaveLength(1);
    for (const line of lines.filter((l) => l !== 'won')) expect(line).toMatch(/^lost: .* is in use by a racer \(pid \d+, since/);
  });
});

describe('owners and readers of a data folder', () => {
  it('an owner refused by another owner changes nothing', async () => {
    const dir = scratch();
    const first = openBackend({ dataDir: dir, command: 'cli serve' });
    try {
      mkdirSync(join(dir, 'uploads', 'x'));
      writeFileSync(join(dir, 'uploads', 'x', 'file.wav'), 'pending upload');
      expect(() => openBackend({ dataDir: dir })).toThrow(DataFolderInUseError);
      expect(readFileSync(join(dir, 'uploads', 'x', 'file.wav'), 'utf8')).toBe('pending upload');
    } finally {
      await first.close();
    }
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('a reader leaves unfinished sessions alone; the next owner recovers them', async () => {
    const dir = scratch();
    const owner = openBackend({ dataDir: dir });
    const left = owner.store.createSession({
      title: 'left recording',
      source: 'api',
      settings: { mode: 'segmented', interim_results: false },
      status: 'recording',
    });
    await owner.close();

    const reader = openBackend({ dataDir: dir, role: 'reader' });
    try {
      expect(reader.service.get(left.id).status).toBe('recording');
      expect(reader.owner).toBeUndefined();
      expect(existsSync(lockFile(dir))).toBe(false);
    } finally {
      reader.close();
    }

    const next = openBackend({ dataDir: dir });
    try {
      expect(next.recovered.map((s) => s.id)).toEqual([left.id]);
      // A reader beside a running owner sees it.
      const beside = openBackend({ dataDir: dir, role: 'reader' });
      expect(beside.owner?.pid).toBe(process.pid);
      expect(beside.service.get(left.id).status).toBe('interrupted');
      beside.close();
    } finally {
      await next.close();
    }
  });

  it('a reader refuses an older schema without migrating it, and a newer one', () => {
    const dir = scratch();
    const db = new Database(join(dir, 'utterly.db'));
    runMigrations(db, MIGRATIONS.slice(0, 2));
    db.close();
    const before = readFileSync(join(dir, 'utterly.db'));
    expect(() => openBackend({ dataDir: dir, role: 'reader' })).toThrow(/older version of Utterly \(schema 2; this version uses \d+\).*It was not changed\./);
    expect(readFileSync(join(dir, 'utterly.db'))).toEqual(before);

    const newer = new Database(join(dir, 'utterly.db'));
    newer.pragma('user_version = 999');
    newer.close();
    expect(() => openBackend({ dataDir: dir, role: 'reader' })).toThrow(/newer version of Utterly \(schema 999/);
  });

  it('a reader of a folder with nothing in it sees no sessions and creates nothing', () => {
    const dir = join(scratch(), 'not-yet');
    const reader = openBackend({ dataDir: dir, role: 'reader' });
    try {
      expect(reader.service.list({ limit: 10, offset: 0 }).total).toBe(0);
      expect(() => reader.service.get('nope')).toThrow(/no session with id nope/);
    } finally {
      reader.close();
    }
    expect(existsSync(dir)).toBe(false);
  });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [...cliNodeFlags(), 'out/node/cli.js', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sessionsOf = async (dir: string): Promise<Session[]> => {
  const { code, stdout, stderr } = await cli('sessions', '--json', '--data-dir', dir);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return stdout.trim() === ''
    ? []
    : stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Session);
};

function serverFolder(): { dir: string; model: string } {
  const dir = scratch();
  const model = join(dir, 'model.json');
  writeFileSync(model, JSON.stringify({ model: INSTANT_MODEL }));
  return { dir: join(dir, 'data'), model };
}

/** A stream on /api/v1/segmented that has sent its start message. */
async function openStream(server: CliServer) {
  const socket = new WebSocket(server.url.replace('http', 'ws') + '/api/v1/segmented');
  let closed: number | undefined;
  socket.on('close', (code) => (closed = code));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const { format, bytes } = readPcmWav(dataFile('silero-test.wav'));
  socket.send(JSON.stringify({ request: 'start', format, interim_results: false }));
  return { socket, bytes, closed: () => closed };
}

describe('cli serve owns the folder; cli sessions and export read it', () => {
  let server: CliServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('lists and exports a live recording without touching it; the recording then ends done', async () => {
    const { dir, model } = serverFolder();
    server = await startCliServer(dir, model);
    expect(readHolder(dir)).toMatchObject({ pid: server.process.pid, command: 'cli serve' });
    const stream = await openStream(server);
    // A second and a half-frame: the audio ends inside a frame, which a "repair" would cut off.
    stream.socket.send(stream.bytes.subarray(0, 32_001));
    let sessions: Session[] = [];
    await expect.poll(async () => (sessions = await sessionsOf(dir)).length, { timeout: 20_000 }).toBe(1);
    const { id, audio_path } = sessions[0]!;
    const wav = audio_path!;
    // The owner brings the header (80 bytes: RIFF, JUNK kept for an RF64 ds64, fmt, data) up to
    // the whole frames within a second, then writes nothing.
    await expect
      .poll(() => existsSync(wav) && readFileSync(wav).length === 80 + 32_001 && readFileSync(wav).readUInt32LE(76) === 32_000, { timeout: 20_000 })
      .toBe(true);
    const upload = join(dir, 'uploads', 'pending', 'file.wav');
    mkdirSync(join(dir, 'uploads', 'pending'), { recursive: true });
    writeFileSync(upload, 'an upload in progress');
    const bytesBefore = readFileSync(wav);
    const mtimeBefore = statSync(wav, { bigint: true }).mtimeNs;

    const [listed] = await sessionsOf(dir);
    expect(listed).toMatchObject({ id, status: 'recording', source: 'api' });
    const table = await cli('sessions', '--data-dir', dir);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(new RegExp(`${id}.*recording`));
    const exported = await cli('export', id, '--format', 'json', '--data-dir', dir);
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(exported.stdout).session).toMatchObject({ id, status: 'recording' });
    expect((await cli('export', id, '--format', 'labels', '--data-dir', dir)).code).toBe(0);

    expect(readFileSync(wav)).toEqual(bytesBefore);
    expect(statSync(wav, { bigint: true }).mtimeNs).toBe(mtimeBefore);
    expect(readFileSync(upload, 'utf8')).toBe('an upload in progress');
    expect(readHolder(dir).pid).toBe(server.process.pid);

    // The rest of two seconds, then a normal stop.
    stream.socket.send(stream.bytes.subarray(32_001, 64_000));
    stream.socket.send(JSON.stringify({ request: 'stop', disconnect: true }));
    await expect.poll(() => stream.closed(), { timeout: 30_000 }).toBe(1000);
    await expect.poll(async () => (await sessionsOf(dir))[0]!.status, { timeout: 10_000 }).toBe('done');
    const [done] = await sessionsOf(dir);
    expect(done!.error).toBeNull();
    expect(done!.duration).toBeCloseTo(2, 3);
    expect(readPcmWav(wav).bytes).toEqual(stream.bytes.subarray(0, 64_000));

    await server.stop();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('a second cli serve, or cli rerun, on the folder exits non-zero naming the first', async () => {
    const { dir, model } = serverFolder();
    server = await startCliServer(dir, model);
    const pid = server.process.pid!;
    const refusal = new RegExp(
      `^utterly: Utterly's data folder ${escape(dir)} is in use by cli serve \\(pid ${pid}, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\): close it first\\n$`,
    );

    const second = await cli('serve', '--port', '0', '--data-dir', dir, '--model-config', model);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(refusal);

    const rerun = await cli('rerun', '00000000-0000-4000-8000-000000000000', '--data-dir', dir, '--model-config', model);
    expect(rerun).toMatchObject({ code: 1, stdout: '' });
    expect(rerun.stderr).toMatch(refusal);

    // The first one goes on serving, still the owner.
    expect(await (await fetch(server.url + '/api/v1/health')).json()).toEqual({ status: 'healthy' });
    expect(readHolder(dir).pid).toBe(pid);
  });

  it('the lock of a cli serve killed with SIGKILL is taken over by the next, which recovers its recording', async () => {
    const { dir, model } = serverFolder();
    const killed = await startCliServer(dir, model);
    const stream = await openStream(killed);
    stream.socket.on('error', () => undefined);
    stream.socket.send(stream.bytes.subarray(0, 32_000));
    await expect.poll(() => sessionsOf(dir), { timeout: 20_000 }).toHaveLength(1);
    // Killed once the second of audio is in its file (the header is then up to a second behind).
    const [live] = await sessionsOf(dir);
    await expect.poll(() => existsSync(live!.audio_path!) && statSync(live!.audio_path!).size >= 80 + 32_000, { timeout: 20_000 }).toBe(true);
    killed.process.kill('SIGKILL');
    await exited(killed.process);
    expect(readHolder(dir).pid).toBe(killed.process.pid);

    // A reader does not recover it, but says why it still shows as recording.
    const listed = await cli('sessions', '--json', '--data-dir', dir);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ status: 'recording' });
    expect(listed.stderr).toMatch(
      /^utterly: 1 session\(s\) still marked recording or processing were left unfinished; they become interrupted when the app or `serve` next opens this data folder\n$/,
    );

    server = await startCliServer(dir, model);
    expect(readHolder(dir)).toMatchObject({ pid: server.process.pid, command: 'cli serve' });
    const [session] = await sessionsOf(dir);
    expect(session).toMatchObject({ status: 'interrupted', source: 'api' });
    expect(session!.duration).toBeCloseTo(1, 3);
  });
});

describe('cli readers on a folder that does not exist', () => {
  it('list nothing and create nothing', async () => {
    const dir = join(scratch(), 'none');
    expect(await cli('sessions', '--json', '--data-dir', dir)).toEqual({ code: 0, stdout: '', stderr: '' });
    const missing = await cli('export', 'nope', '--format', 'json', '--data-dir', dir);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/no session with id nope/);
    expect(existsSync(dir)).toBe(false);
  });
});
