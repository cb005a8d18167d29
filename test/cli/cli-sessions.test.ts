// The stored sessions from the command line: list, export, errors.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/main/backend';
import type { Session } from '../../src/shared/sessions';
import { INSTANT_MODEL, dataFile } from '../support/helpers';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'utterly-cli-sessions-'));
let imported: Session;

async function cli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['out/node/cli.js', ...args, '--data-dir', dataDir]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  const backend = openBackend({ dataDir, engine: { model: INSTANT_MODEL, poolSize: 2 } });
  const queued = await backend.service.importFile(dataFile('stereo-two-speakers.flac'), { mode: 'segmented', interim_results: false }, 'Two speakers');
  imported = await new Promise<Session>((resolve) =>
    backend.service.on('changed', (s) => 'status' in s && s.id === queued.id && s.status === 'done' && resolve(s)),
  );
  await backend.close();
});

describe('cli sessions and export', () => {
  it('lists sessions as JSON lines with the fields scripts rely on', async () => {
    const { code, stdout } = await cli('sessions', '--json');
    expect(code).toBe(0);
    const [session] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(session).toMatchObject({ id: imported.id, title: 'Two speakers', source: 'file', status: 'done', original_name: 'stereo-two-speakers.flac' });
    expect(session.duration).toBeCloseTo(10, 2);
    expect(readFileSync(session.audio_path)).toEqual(readFileSync(dataFile('stereo-two-speakers.flac')));
  });

  it('lists sessions as a table, searchable', async () => {
    expect((await cli('sessions')).stdout).toMatch(/Two speakers/);
    expect((await cli('sessions', '--query', 'SPEAKERS.FLAC')).stdout).toMatch(/Two speakers/);
    expect((await cli('sessions', '--query', 'nothing like it')).stdout).not.toMatch(/Two speakers/);
  });

  it('exports JSON equal to the events stored, and an Audacity label track', async () => {
    const json = JSON.parse((await cli('export', imported.id, '--format', 'json')).stdout);
    expect(Object.keys(json)).toEqual(['session', 'events', 'summary']);
    const backend = openBackend({ dataDir });
    try {
      expect(json.events).toEqual(backend.store.getEvents(imported.id));
    } finally {
      await backend.close();
    }
    expect(json.summary.segments).toBe(2);

    const out = join(dataDir, 'labels.txt');
    expect((await cli('export', imported.id, '--format', 'labels', '--out', out)).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^\d+\.\d{3}\t\d+\.\d{3}\t.+$/);
  });

  it('says which session or option is wrong', async () => {
    const missing = await cli('export', '00000000-0000-4000-8000-000000000000', '--format', 'json');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no session with id 00000000-0000-4000-8000-000000000000/);
    const format = await cli('export', imported.id, '--format', 'csv');
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format must be "json", "labels", "srt" or "vtt", got "csv"/);
    expect((await cli('rerun', 'nope')).stderr).toMatch(/no session with id nope/);
  });
});
