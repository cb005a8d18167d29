// Storage failures as they happen to a running back end, with the real engine: the database's
// file system filling while audio flows (a real tmpfs, the audio on another disk; where no
// tmpfs can be mounted, the same failure injected at the storage layer), an I/O error, a
// session deleted while its import writes events, an import onto a full disk, and imports of
// things that are not files (a FIFO, a device, a folder). Each ends the session it hits, with
// the reason, and nothing else: no crash, other sessions untouched, and work goes on once
// space returns.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import type { Session } from '../../src/shared/sessions';
import { openBackend, type Backend } from '../../src/main/backend';
import { createHandlers, invoke } from '../../src/main/bridge/handlers';
import { AudioFileError } from '../../src/main/engine/file-source';
import type { Recording } from '../../src/main/sessions/recording';
import { PreconditionError, StorageError } from '../../src/main/storage/storage-errors';
import { audioPathOf } from '../../src/shared/contract-methods';
import { dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';
import { canMountTmpfs, fillDisk, mountTmpfs, unmount } from '../support/tmpfs';

const FORMAT = { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } as const;
const LIVE = { mode: 'segmented', interim_results: true } as const;
const FILE = { mode: 'segmented', interim_results: false } as const;
const speech = readPcmWav(dataFile('silero-test.wav')).bytes;

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'utterly-storage-failure-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function eventsOf(backend: Backend, id: string): ApiResponse[] {
  const events: ApiResponse[] = [];
  backend.service.on('event', (sessionId, event) => sessionId === id && events.push(event));
  return events;
}

function settled(backend: Backend, id: string): Promise<Session | { id: string; deleted: true }> {
  return new Promise((resolve) => {
    const check = (change: Session | { id: string; deleted: true }) => {
      if (change.id !== id || ('status' in change && change.status === 'processing')) return;
      backend.service.off('changed', check);
      resolve(change);
    };
    backend.service.on('changed', check);
  });
}

async function until(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Feeds speech in 100 ms chunks, one every `paceMs` (as a live source does, faster), until
 * `stop()` says so or the audio runs out; returns the bytes sent.
 */
async function feed(recording: Recording, stop: () => boolean, from = 0, paceMs = 10): Promise<number> {
  let at = from;
  while (at < speech.length && !stop()) {
    await Promise.all([recording.write(speech.subarray(at, at + 3200)), new Promise((resolve) => setTimeout(resolve, paceMs))]);
    at += 3200;
  }
  return at;
}

/** What a storage failure leaves: the session failed with the reason, an error event saying it, its audio kept. */
async function expectFailedRecording(backend: Backend, recording: Recording, events: ApiResponse[], reason: RegExp): Promise<Session> {
  const failed = await recording.failed;
  expect(failed).toMatchObject({ id: recording.session.id, status: 'failed' });
  expect(failed.error).toMatch(reason);
  expect(events.at(-1)).toEqual({ channel: 0, type: 'error', message: failed.error });
  // stop after the failure: the same end, no error.
  expect(await recording.stop()).toMatchObject({ status: 'failed', error: failed.error });
  expect(backend.service.get(failed.id)).toMatchObject({ status: 'failed', error: failed.error });
  // The audio that arrived is on disk, in a WAV file whose header says how much.
  const audio = readPcmWav(failed.audio_path!);
  expect(audio.bytes.length).toBeGreaterThan(32_000);
  expect(failed.duration).toBeCloseTo(audio.bytes.length / 2 / 16_000, 3);
  expect(Buffer.from(audio.bytes)).toEqual(Buffer.from(speech.subarray(0, audio.bytes.length)));
  return failed;
}

describe.runIf(canMountTmpfs())('a database whose disk fills up (tmpfs)', () => {
  let disk: string;
  let backend: Backend;
  let whole: Backend;

  beforeAll(() => {
    disk = join(scratch, 'disk');
    expect(mountTmpfs(disk, 24 << 20)).toBe(true);
    // The database here; the audio on another disk, as when the person keeps it elsewhere.
    const dataDir = join(disk, 'split');
    mkdirSync(dataDir);
    mkdirSync(join(scratch, 'audio'));
    symlinkSync(join(scratch, 'audio'), join(dataDir, 'audio'));
    backend = openBackend({ dataDir, engine: { model: INSTANT_MODEL, poolSize: 2 } });
    // A second data folder entirely on the small disk, for imports.
    whole = openBackend({ dataDir: join(disk, 'whole'), engine: { model: INSTANT_MODEL, poolSize: 1 } });
  });

  afterAll(async () => {
    rmSync(join(disk, 'filler'), { force: true });
    await backend?.close();
    await whole?.close();
    unmount(disk);
  });

  it('ends the recording it hits failed with the reason and its audio, touches nothing else, and works again when space returns', async () => {
    const { service, store } = backend;
    const other = store.createSession({ title: 'Yesterday', source: 'mic', settings: LIVE, status: 'done' });
    store.appendEvents(
      other.id,
      [
        { channel: 0, type: 'active', time: 1 },
        { channel: 0, type: 'inactive', time: 2 },
      ],
      0,
    );
    const idle = await service.connect().startRecording({ source: 'api', format: FORMAT, settings: LIVE });
    const recording = await service.connect().startRecording({ source: 'api', format: FORMAT, settings: LIVE });
    const events = eventsOf(backend, recording.session.id);
    let failedYet = false;
    void recording.failed.then(() => (failedYet = true));

    // Results flow and are stored; then the disk fills while the audio goes on.
    let sent = await feed(recording, () => store.countEvents(recording.session.id) > 0);
    const filler = fillDisk(disk);
    sent = await feed(recording, () => failedYet, sent, 25);
    const failed = await expectFailedRecording(
      backend,
      recording,
      events,
      /^the events could not be stored: the disk holding the data folder is full \(database or disk is full\)$/,
    );
    expect(sent).toBeLessThan(speech.length);

    // Nothing else was touched: the listing, the other session and its export, the idle recording.
    const listed = service.list({ limit: 10, offset: 0 });
    expect(listed.sessions.map((s) => [s.id, s.status])).toEqual(
      expect.arrayContaining([
        [failed.id, 'failed'],
        [other.id, 'done'],
        [idle.session.id, 'recording'],
      ]),
    );
    expect(service.events(other.id, { offset: 0, limit: 10 })).toHaveLength(2);
    expect(JSON.parse(await service.exportText(other.id, 'json')).events).toHaveLength(2);
    // Deleting needs room too: refused with the reason, not a crash.
    expect(() => service.rename(other.id, 'Renamed on a full disk')).toThrow(StorageError);
    expect(() => service.rename(other.id, 'Renamed on a full disk')).toThrow(/could not be renamed: the disk holding the data folder is full/);

    // Space returns: the failed end is written within a second or two, and new sessions work.
    rmSync(filler);
    await until(() => store.getSession(failed.id)?.status === 'failed', 'the failed status to be written');
    expect(store.getSession(failed.id)).toMatchObject({ status: 'failed', error: failed.error, duration: failed.duration });
    expect(await idle.stop()).toMatchObject({ status: 'done' });
    const again = await service.connect().startRecording({ source: 'api', format: FORMAT, settings: LIVE });
    await feed(again, () => false, speech.length - 5 * 32_000, 0);
    const done = await again.stop();
    expect(done.status).toBe('done');
    expect(store.countEvents(done.id)).toBeGreaterThan(0);
    const check = new BetterSqlite3(join(disk, 'split', 'utterly.db'), { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });

  it('ends a recording whose audio cannot be written, with the audio it got', async () => {
    const { service } = whole;
    const recording = await service.connect().startRecording({ source: 'api', format: FORMAT, settings: FILE });
    const events = eventsOf(whole, recording.session.id);
    let failedYet = false;
    void recording.failed.then(() => (failedYet = true));
    const silence = new Uint8Array(3200);
    for (let i = 0; i < 20; i++) await recording.write(silence);
    const filler = fillDisk(disk);
    try {
      let chunks = 0;
      while (!failedYet && chunks++ < 1000) await Promise.all([recording.write(silence), new Promise((resolve) => setTimeout(resolve, 2))]);
      const failed = await recording.failed;
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/^the audio could not be written: no space is left on the disk \(ENOSPC/);
      expect(events).toEqual([{ channel: 0, type: 'error', message: failed.error }]);
      // What reached the disk is kept, in a WAV file whose header says so.
      const audio = readPcmWav(failed.audio_path!);
      expect(audio.bytes.length).toBeGreaterThanOrEqual(20 * 3200);
      expect(failed.duration).toBeCloseTo(audio.bytes.length / 2 / 16_000, 3);
      expect(await recording.stop()).toMatchObject({ status: 'failed' });
    } finally {
      rmSync(filler);
    }
    await until(() => whole.store.getSession(recording.session.id)?.status === 'failed', 'the failed status to be written');
  });

  it('says that an import cannot be made on a full disk, in words, through the bridge too', async () => {
    const audioFiles = readdirSync(join(disk, 'whole', 'audio'));
    const filler = fillDisk(disk);
    try {
      const error = await whole.service.importFile(dataFile('silero-test.wav'), FILE).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(
        /^silero-test\.wav could not be (imported: the disk holding the data folder is full|copied into Utterly's data folder: no space is left on the disk)/,
      );
      const { handlers } = createHandlers(whole.service, { getSettings: whole.getSettings, setSettings: whole.setSettings, audioUrl: audioPathOf }).connect();
      const result = await invoke(handlers, 'importFile', { path: dataFile('silero-test.wav'), settings: FILE });
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'failed_precondition', message: expect.stringMatching(/^silero-test\.wav could not be .*(full|no space)/) },
      });
      // No partial copy is left to take room.
      expect(readdirSync(join(disk, 'whole', 'audio'))).toEqual(audioFiles);
    } finally {
      rmSync(filler);
    }
    const session = await whole.service.importFile(dataFile('vad-node-test.wav'), FILE);
    expect(await settled(whole, session.id)).toMatchObject({ status: 'done' });
  });
});

describe('storage failures injected at the storage layer', () => {
  let backend: Backend;
  const full = () => new BetterSqlite3.SqliteError('database or disk is full', 'SQLITE_FULL');
  const ioError = () => new BetterSqlite3.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE');

  beforeAll(() => {
    backend = openBackend({ dataDir: join(scratch, 'injected'), engine: { model: INSTANT_MODEL, poolSize: 2 } });
  });
  afterAll(() => backend.close());

  it('a recording whose events and end cannot be written: failed, shown so, written once the disk takes writes again', async () => {
    const { service, store } = backend;
    const recording = await service.connect().startRecording({ source: 'mic', format: FORMAT, settings: LIVE });
    const events = eventsOf(backend, recording.session.id);
    let failedYet = false;
    void recording.failed.then(() => (failedYet = true));
    const appendEvents = store.appendEvents.bind(store);
    const updateSession = store.updateSession.bind(store);
    const deleteSession = store.deleteSession.bind(store);
    let diskFull = false;
    store.deleteSession = (...args) => {
      if (diskFull) throw full();
      return deleteSession(...args);
    };
    store.appendEvents = (...args) => {
      if (diskFull) throw full();
      return appendEvents(...args);
    };
    store.updateSession = (...args) => {
      if (diskFull) throw full();
      return updateSession(...args);
    };
    try {
      const sent = await feed(recording, () => store.countEvents(recording.session.id) > 0);
      diskFull = true;
      expect(await feed(recording, () => failedYet, sent, 25)).toBeLessThan(speech.length);
      const failed = await expectFailedRecording(backend, recording, events, /^the events could not be stored: the disk holding the data folder is full/);
      // Shown ended although the database still says recording.
      expect(store.getSession(failed.id)!.status).toBe('recording');
      expect(service.list({ limit: 10, offset: 0 }).sessions.find((s) => s.id === failed.id)).toMatchObject({ status: 'failed' });
      await expect(service.delete(failed.id)).rejects.toThrow(StorageError);
      diskFull = false;
      await until(() => store.getSession(failed.id)?.status === 'failed', 'the failed status to be written');
    } finally {
      store.appendEvents = appendEvents;
      store.updateSession = updateSession;
      store.deleteSession = deleteSession;
    }
  });

  it('an import whose events hit an I/O error: failed with the reason, and the queue goes on', async () => {
    const { service, store } = backend;
    const appendEvents = store.appendEvents.bind(store);
    const first = await service.importFile(dataFile('silero-test.wav'), FILE);
    const second = await service.importFile(dataFile('stereo-two-speakers.wav'), FILE);
    const events = eventsOf(backend, first.id);
    store.appendEvents = (id, ...rest) => {
      if (id === first.id) throw ioError();
      return appendEvents(id, ...rest);
    };
    try {
      const [firstEnd, secondEnd] = await Promise.all([settled(backend, first.id), settled(backend, second.id)]);
      expect(firstEnd).toMatchObject({ status: 'failed', error: 'the events could not be stored: the disk could not be read or written (disk I/O error)' });
      expect(events.at(-1)).toEqual({ channel: 0, type: 'error', message: (firstEnd as Session).error });
      expect(secondEnd).toMatchObject({ status: 'done' });
      expect(store.countEvents(second.id)).toBeGreaterThan(0);
    } finally {
      store.appendEvents = appendEvents;
    }
  });

  it('a session being written cannot be deleted; one deleted under its import ends that import, and nothing else', async () => {
    const { service, store } = backend;
    const session = await service.importFile(dataFile('silero-test.wav'), FILE);
    const after = await service.importFile(dataFile('vad-node-test.wav'), FILE);
    await expect(service.delete(session.id)).rejects.toThrow(PreconditionError);
    await expect(service.delete(session.id)).rejects.toThrow(`session ${session.id} is still processing; stop or cancel it first`);
    const firstEvent = new Promise<void>((resolve) => service.on('event', (id) => id === session.id && resolve()));
    const end = settled(backend, session.id);
    await firstEvent;
    // Deleted by something other than the service (as a second connection could): its writer's
    // next batch meets FOREIGN KEY constraint failed.
    store.deleteSession(session.id);
    expect(await end).toEqual({ id: session.id, deleted: true });
    expect(store.getSession(session.id)).toBeUndefined();
    expect(await settled(backend, after.id)).toMatchObject({ status: 'done' });

    // A live recording cannot be deleted either, until it is stopped.
    const recording = await service.connect().startRecording({ source: 'mic', format: FORMAT, settings: LIVE });
    await expect(service.delete(recording.session.id)).rejects.toThrow(/is still recording/);
    await recording.stop();
    await service.delete(recording.session.id);
    expect(existsSync(recording.session.audio_path!)).toBe(false);
  });

  it('refuses a FIFO, a device or a folder at once, naming the file, and blocks no other file work', async () => {
    const { service } = backend;
    const fifos = Array.from({ length: 8 }, (_, i) => join(scratch, `pipe-${i}.wav`));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    const before = service.list({ limit: 1000, offset: 0 }).total;
    const started = performance.now();
    // More FIFOs than libuv has threads: opened the blocking way, they would hold every one.
    const results = await Promise.allSettled([...fifos.map((fifo) => service.importFile(fifo, FILE)), readFile(dataFile('vad-node-test.wav'))]);
    expect(performance.now() - started).toBeLessThan(5000);
    fifos.forEach((fifo, i) => {
      const result = results[i]!;
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(AudioFileError);
      expect(reason.message).toBe(`cannot decode pipe-${i}.wav: it is a named pipe (FIFO), not an audio file`);
    });
    expect(results.at(-1)!.status).toBe('fulfilled');
    await expect(service.importFile('/dev/zero', FILE)).rejects.toThrow('cannot decode zero: it is a device, not an audio file');
    await expect(service.importFile(scratch, FILE)).rejects.toThrow(/it is a folder, not an audio file/);
    expect(service.list({ limit: 1000, offset: 0 }).total).toBe(before);
    // The process is not stuck on any of them: other imports go on.
    const session = await service.importFile(dataFile('vad-node-test.wav'), FILE);
    expect(await settled(backend, session.id)).toMatchObject({ status: 'done' });
  });
});
