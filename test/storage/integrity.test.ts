// A database with a damaged page, made by writing garbage into a page of a copy of a real one:
// the start-up check (PRAGMA quick_check, on a worker thread) reports it, in the owner's log and
// as a storage warning, and everything else keeps working: the sessions list, the undamaged
// sessions read and export, and the damaged one fails with a message that says so.
import { execFile, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ApiResponse } from '../../src/shared/api';
import type { Session } from '../../src/shared/sessions';
import { openBackend } from '../../src/main/backend';
import { quickCheck } from '../../src/main/storage/database';
import { StorageError } from '../../src/main/storage/storage-errors';
import { cliNodeFlags } from '../support/cli-server';
import { seededRandom } from '../support/helpers';

let scratch: string;
let healthyDir: string;
let damagedDir: string;
let long: Session;
let others: Session[];

const event = (i: number): ApiResponse =>
  i % 4 === 3 ? { channel: 0, type: 'segment', start_time: i, end_time: i + 1, is_final: true, count: i } : { channel: 0, type: 'active', time: i };

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'utterly-integrity-'));
  healthyDir = join(scratch, 'healthy');
  const backend = openBackend({ dataDir: healthyDir, integrityCheck: false });
  const settings = { mode: 'segmented', interim_results: false } as const;
  others = Array.from({ length: 5 }, (_, i) => backend.store.createSession({ title: `Short ${i}`, source: 'mic', settings, status: 'done' }));
  long = backend.store.createSession({ title: 'Long meeting', source: 'mic', settings, status: 'done' });
  backend.store.appendEvents(
    long.id,
    Array.from({ length: 20_000 }, (_, i) => event(i)),
    0,
  );
  for (const session of others)
    backend.store.appendEvents(
      session.id,
      Array.from({ length: 8 }, (_, i) => event(i)),
      0,
    );
  await backend.close();

  // The copy, with one leaf page of the long session's events overwritten by garbage.
  damagedDir = join(scratch, 'damaged');
  mkdirSync(damagedDir);
  const db = new BetterSqlite3(join(healthyDir, 'utterly.db'));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const leaves = db.prepare("SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf' ORDER BY pageno").pluck().all() as number[];
  db.close();
  copyFileSync(join(healthyDir, 'utterly.db'), join(damagedDir, 'utterly.db'));
  const random = seededRandom(7);
  const garbage = Buffer.from(Array.from({ length: pageSize }, () => Math.floor(random() * 256)));
  const page = leaves[Math.floor(leaves.length / 2)]!;
  const fd = openSync(join(damagedDir, 'utterly.db'), 'r+');
  writeSync(fd, garbage, 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a damaged database', () => {
  it('is found by quick_check on its thread; a sound one is not', async () => {
    expect(await quickCheck(join(healthyDir, 'utterly.db'))).toMatchObject({ ok: true, problems: [] });
    const report = await quickCheck(join(damagedDir, 'utterly.db'));
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
    expect(report.problems.join('\n')).toMatch(/page|malformed/i);
  });

  it('is reported at start-up, and the back end keeps working for everything else', async () => {
    const warnings: string[] = [];
    const backend = openBackend({ dataDir: damagedDir });
    try {
      backend.service.on('warning', (message) => warnings.push(message));
      const { service } = backend;
      // Start-up did not wait for the check: the sessions list at once.
      expect(service.list({ limit: 100, offset: 0 }).total).toBe(6);
      const report = await backend.integrity;
      expect(report.ok).toBe(false);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/the database .*utterly\.db is damaged \(integrity check: .+\); sessions that can be read still work/);
      expect(service.storageWarnings()).toEqual(warnings);

      for (const session of others) {
        expect(service.events(session.id, { offset: 0, limit: 100 })).toHaveLength(8);
        expect(JSON.parse(await service.exportText(session.id, 'json')).events).toHaveLength(8);
      }
      // The damaged session: a message that says what is wrong, not a crash or a hang.
      const error = await service.exportText(long.id, 'json').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(new RegExp(`session ${long.id} could not be exported: the database is damaged \\(.*malformed.*\\)`));
      expect(() => service.events(long.id, { offset: 0, limit: 100_000 })).toThrow(/the database is damaged/);
      // Renaming a session whose row is sound still works.
      expect(service.rename(others[0]!.id, 'Renamed').title).toBe('Renamed');
    } finally {
      await backend.close();
    }
  });

  it('fails `cli export` of the damaged session with the reason and no half-written file; the others export', async () => {
    const run = promisify(execFile);
    const cli = (...args: string[]) =>
      run(process.execPath, ['out/node/cli.js', ...args, '--data-dir', damagedDir]).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const out = join(scratch, 'long.json');
    const failed = await cli('export', long.id, '--format', 'json', '--out', out);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(new RegExp(`^utterly: session ${long.id} could not be exported: the database is damaged`, 'm'));
    expect(existsSync(out)).toBe(false);
    const fine = join(scratch, 'short.txt');
    expect((await cli('export', others[1]!.id, '--format', 'labels', '--out', fine)).code).toBe(0);
    expect(readFileSync(fine, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('is reported by `serve` on stderr at start, and the server still lists the sessions', async () => {
    const dataDir = join(scratch, 'served');
    mkdirSync(dataDir);
    copyFileSync(join(damagedDir, 'utterly.db'), join(dataDir, 'utterly.db'));
    const server = spawn(process.execPath, [...cliNodeFlags(), 'out/node/cli.js', 'serve', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      let stderr = '';
      server.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
      server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
      const until = async (done: () => boolean) => {
        const deadline = Date.now() + 30_000;
        while (!done()) {
          if (server.exitCode !== null) throw new Error(`serve exited: ${stderr}`);
          if (Date.now() > deadline) throw new Error(`timed out; stdout ${stdout}, stderr ${stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      await until(() => /listening on (\S+)/.test(stdout));
      await until(() => /is damaged/.test(stderr));
      expect(stderr).toMatch(/Utterly: the database .*utterly\.db is damaged \(integrity check: /);
      const url = /listening on (\S+)/.exec(stdout)![1]!;
      expect(await (await fetch(`${url}/api/v1/health`)).json()).toEqual({ status: 'healthy' });
      const bridge = new WebSocket(`${url.replace('http', 'ws')}/api/v1/bridge`);
      await new Promise((resolve, reject) => bridge.once('open', resolve).once('error', reject));
      const answer = new Promise<any>((resolve) =>
        bridge.on('message', (data) => {
          const message = JSON.parse(String(data));
          if (message.id === 1) resolve(message.result);
        }),
      );
      bridge.send(JSON.stringify({ id: 1, method: 'listSessions', params: { limit: 100 } }));
      expect(await answer).toMatchObject({ ok: true, value: { total: 6 } });
      bridge.close();
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });
});
