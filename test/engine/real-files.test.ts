// Files as real tools write them (test/engine/corpus.ts), each through the engine as an imported
// file is: the same channels as the same audio in 16-bit PCM WAV, and the same final segments
// on each within two VAD frames.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import { MODEL_SAMPLE_RATE, VAD_FRAME_SAMPLES } from '../../src/shared/model-audio';
import { runFile } from '../../src/main/engine/file-job';
import { decodeAudioFile } from '../../src/main/engine/file-source';
import type { StreamingContext } from '../../src/main/engine/streaming-context';
import { engine, finals } from '../support/helpers';
import { CORPUS, haveTools, makeCorpus, sourceChannels, type Corpus, type SourceName } from '../support/corpus';

const TWO_FRAMES = (2 * VAD_FRAME_SAMPLES) / MODEL_SAMPLE_RATE;

async function process(context: StreamingContext, path: string): Promise<ApiResponse[]> {
  const events: ApiResponse[] = [];
  await runFile(context, path, { mode: 'segmented' }, (e) => events.push(e));
  return events;
}

/** The whole file, decoded: one array per channel. */
async function samplesOf(path: string): Promise<{ channels: Float32Array[]; sampleRate: number }> {
  const parts: Float32Array[][] = [];
  let sampleRate = 0;
  for await (const chunk of decodeAudioFile(path)) {
    parts.push(chunk.channelData);
    sampleRate = chunk.sampleRate;
  }
  const channels = parts[0]!.map((_, c) => {
    const out = new Float32Array(parts.reduce((n, part) => n + part[c]!.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part[c]!, at);
      at += part[c]!.length;
    }
    return out;
  });
  return { channels, sampleRate };
}

const segmentsOf = (events: ApiResponse[], channels: number) =>
  Array.from({ length: channels }, (_, channel) => finals(events, channel).map((s) => [s.start_time, s.end_time] as const));

describe.skipIf(!haveTools())('real files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'utterly-real-files-'));
  let corpus: Corpus;
  let context: StreamingContext;
  const reference = {} as Record<SourceName, Array<Array<readonly [number, number]>>>;

  beforeAll(async () => {
    [corpus, context] = await Promise.all([makeCorpus(dir), engine()]);
    for (const [name, path] of Object.entries(corpus.sources) as Array<[SourceName, string]>) {
      reference[name] = segmentsOf(await process(context, path), sourceChannels(name));
    }
  });
  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has speech on every channel of every reference', () => {
    for (const [name, channels] of Object.entries(reference)) {
      expect(channels, name).toHaveLength(sourceChannels(name as SourceName));
      for (const segments of channels) expect(segments.length, name).toBeGreaterThan(0);
    }
  });

  for (const file of CORPUS) {
    it(`${file.name}: the channels and final segments of the same audio as 16-bit PCM WAV`, async () => {
      const events = await process(context, corpus.files[file.name]!);
      const channels = sourceChannels(file.source);
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(new Set(events.map((e) => e.channel))).toEqual(new Set(Array.from({ length: channels }, (_, c) => c)));
      const found = segmentsOf(events, channels);
      found.forEach((segments, channel) => {
        const expected = reference[file.source][channel]!;
        expect(segments.length, `channel ${channel}: ${JSON.stringify(segments)} against ${JSON.stringify(expected)}`).toBe(expected.length);
        segments.forEach(([start, end], i) => {
          expect(Math.abs(start - expected[i]![0]), `channel ${channel}, segment ${i} start`).toBeLessThanOrEqual(TWO_FRAMES);
          expect(Math.abs(end - expected[i]![1]), `channel ${channel}, segment ${i} end`).toBeLessThanOrEqual(TWO_FRAMES);
        });
      });
    });
  }

  for (const file of CORPUS.filter((f) => f.lossless !== undefined)) {
    it(`${file.name}: the reference's samples, ${file.lossless ? `within ${file.lossless.toPrecision(3)}` : 'exactly'}`, async () => {
      const [found, expected] = await Promise.all([samplesOf(corpus.files[file.name]!), samplesOf(corpus.sources[file.source])]);
      expect(found.sampleRate).toBe(expected.sampleRate);
      expect(found.channels).toHaveLength(expected.channels.length);
      found.channels.forEach((channel, c) => {
        const reference = expected.channels[c]!;
        expect(channel.length).toBe(reference.length);
        let worst = 0;
        for (let i = 0; i < channel.length; i++) worst = Math.max(worst, Math.abs(channel[i]! - reference[i]!));
        expect(worst, `channel ${c}`).toBeLessThanOrEqual(file.lossless! + 1e-7);
      });
    });
  }

  it('cli process on a LAME stereo MP3 whose opening is the same in both channels exits 0 with finals on both', async () => {
    const model = join(dir, 'instant.json');
    writeFileSync(model, JSON.stringify({ model: { delay: 0, constant_factor: 0, jitter: 0, warmup_penalty: 0, failure_rate: 0 } }));
    const { stdout, stderr } = await promisify(execFile)('npm', [
      'run',
      '--silent',
      'cli',
      '--',
      'process',
      corpus.files['lame-identical-opening.mp3']!,
      '--model-config',
      model,
    ]);
    expect(stderr).toBe('');
    const events = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ApiResponse);
    const finalChannels = events.filter((e) => e.type === 'segment' && e.is_final).map((e) => e.channel);
    expect(new Set(finalChannels)).toEqual(new Set([0, 1]));
  });
});
