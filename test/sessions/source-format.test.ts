// An import keeps the file's own format (container, channels, sample rate, bit depth, size) beside
// the format it decodes to, and the JSON export gives both.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionExport } from '../../src/shared/sessions';
import { openBackend, type Backend } from '../../src/main/backend';
import { haveTools } from '../support/corpus';
import { INSTANT_MODEL, dataFile } from '../support/helpers';

const settings = { mode: 'simple', interim_results: false } as const;
let backend: Backend;
let scratch: string;

async function importAndExport(path: string): Promise<SessionExport> {
  const queued = await backend.service.importFile(path, settings);
  expect(queued.source_format).toBeNull();
  const session = await backend.service.whenFinished(queued.id);
  expect(session.status).toBe('done');
  return JSON.parse(await backend.service.exportText(session.id, 'json')) as SessionExport;
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'utterly-source-format-'));
  backend = openBackend({ dataDir: join(scratch, 'data'), engine: { model: INSTANT_MODEL, poolSize: 1 } });
});
afterAll(() => backend.close());

describe.skipIf(!haveTools())("an import's own format", () => {
  it('a 24-bit stereo WAV at 48 kHz: its container, codec, channels, rate and bit depth; format stays the decoded one', async () => {
    const wav = join(scratch, 'deep.wav');
    execFileSync('sox', ['-D', dataFile('stereo-two-speakers.wav'), '-r', '48000', '-b', '24', '-c', '2', wav]);
    const exported = await importAndExport(wav);
    expect(exported.session.source_format).toEqual({
      container: 'wav',
      codec: 'pcm_s24le',
      channels: 2,
      sample_rate: 48000,
      bit_depth: 24,
      bytes: statSync(wav).size,
    });
    expect(exported.session.format).toEqual({ channels: 2, sample_rate: 48000, bit_depth: 32, is_float: true });
    // In the export, the file's format follows the decoded one.
    expect(Object.keys(exported.session).slice(4, 6)).toEqual(['format', 'source_format']);
  });

  it('a mono MP3 at 22.05 kHz: its container, channels and rate, and no bit depth', async () => {
    const mp3 = join(scratch, 'speech.mp3');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', dataFile('mic-speech-12s.wav'), '-ac', '1', '-ar', '22050', '-c:a', 'libmp3lame', '-b:a', '64k', mp3]);
    const exported = await importAndExport(mp3);
    expect(exported.session.source_format).toEqual({
      container: 'mp3',
      codec: 'mp3',
      channels: 1,
      sample_rate: 22050,
      bit_depth: null,
      bytes: statSync(mp3).size,
    });
    expect(exported.session.format).toEqual({ channels: 1, sample_rate: 22050, bit_depth: 32, is_float: true });
  });
});

describe('recordings', () => {
  it('have no source format', async () => {
    const recording = await backend.service.connect().startRecording({
      source: 'api',
      format: { channels: 1, sample_rate: 16000, bit_depth: 16, is_float: false },
      settings,
    });
    const session = backend.service.get(recording.session.id);
    expect(session.source_format).toBeNull();
    const exported = JSON.parse(await backend.service.exportText(session.id, 'json')) as SessionExport;
    expect(exported.session.source_format).toBeNull();
    await recording.stop();
  });
});
