// SRT, WebVTT and Audacity labels on real SQLite: one cue per final segment with the model's
// output as text, failures (error events with times) marked, channels numbered from 1 as in the
// UI, times to the millisecond; the JSON summary's speech_time to 3 decimals.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../src/shared/api';
import { openDatabase } from '../../src/main/storage/database';
import { EventWriter } from '../../src/main/storage/event-writer';
import { exportSessionJson, exportSessionLabels, exportSessionPieces, type ExportFormat } from '../../src/main/storage/export';
import { SessionStore } from '../../src/main/storage/session-store';

let dir: string;
let store: SessionStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'utterly-export-formats-'));
  store = new SessionStore(openDatabase(join(dir, 'utterly.db')));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const EVENTS: ApiResponse[] = [
  { channel: 0, type: 'active', time: 1.0240000001 },
  { channel: 0, type: 'segment', start_time: 1.024, end_time: 2.5, is_final: false, count: 1 },
  { channel: 0, type: 'segment', start_time: 1.0240000001, end_time: 3.3333333, is_final: true, count: 35328 },
  { channel: 1, type: 'error', message: 'the model failed', start_time: 3661.5, end_time: 3662.0004 },
  { channel: 1, type: 'error', message: 'no times here' },
  // A model whose output is text (the dummy model's is a count): the text is the cue.
  { channel: 1, type: 'segment', start_time: 4, end_time: 5.0005, is_final: true, text: 'a --> b <i>' } as unknown as ApiResponse,
];

function session(channels: number) {
  const created = store.createSession({
    title: 'Formats',
    source: 'file',
    settings: { mode: 'segmented', interim_results: true },
    status: 'done',
    format: { channels, sample_rate: 16000, bit_depth: 16, is_float: false },
  });
  const writer = new EventWriter(store, created.id);
  for (const event of EVENTS) writer.push(event);
  writer.close();
  return created.id;
}

async function text(id: string, format: ExportFormat): Promise<string> {
  let out = '';
  for await (const piece of exportSessionPieces(store, id, format, { pageSize: 2, sliceMs: 0 })) out += piece;
  return out;
}

describe('timed text exports', () => {
  it('SRT: numbered cues, h:mm:ss,mmm, finals and marked failures, channels from 1', async () => {
    const srt = await text(session(2), 'srt');
    expect(srt).toBe(
      '1\n00:00:01,024 --> 00:00:03,333\nch 1: count 35328\n\n' +
        '2\n01:01:01,500 --> 01:01:02,000\nch 2: FAILED: the model failed\n\n' +
        '3\n00:00:04,000 --> 00:00:05,001\nch 2: text a --> b <i>\n\n',
    );
  });

  it('WebVTT: the header, hh:mm:ss.mmm, text escaped; a mono session has no channel in its cues', async () => {
    const vtt = await text(session(1), 'vtt');
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    const cues = vtt.slice('WEBVTT\n\n'.length).trim().split('\n\n');
    expect(cues).toEqual([
      '00:00:01.024 --> 00:00:03.333\ncount 35328',
      '01:01:01.500 --> 01:01:02.000\nFAILED: the model failed',
      '00:00:04.000 --> 00:00:05.001\ntext a -> b &lt;i>',
    ]);
  });

  it('labels: channels from 1, milliseconds, failures marked; the streamed and one-piece exports agree', async () => {
    const id = session(2);
    const labels = await text(id, 'labels');
    expect(labels).toBe(
      '1.024\t3.333\tchannel 1: count 35328\n3661.500\t3662.000\tchannel 2: FAILED: the model failed\n4.000\t5.001\tchannel 2: text a --> b <i>\n',
    );
    expect(exportSessionLabels(store, id)).toBe(labels);
  });

  it('JSON: times to the millisecond, speech_time to 3 decimals, error times kept; streamed equals one-piece', async () => {
    const id = session(2);
    const json = await text(id, 'json');
    expect(json).toBe(JSON.stringify(exportSessionJson(store, id), null, 2) + '\n');
    const parsed = JSON.parse(json) as ReturnType<typeof exportSessionJson>;
    expect(parsed.summary.speech_time).toBe(3.31);
    expect(parsed.events[0]).toEqual({ channel: 0, type: 'active', time: 1.024 });
    expect(parsed.events[3]).toMatchObject({ type: 'error', start_time: 3661.5, end_time: 3662 });
    expect(parsed.events[2]).toMatchObject({ start_time: 1.024, end_time: 3.333 });
  });
});
