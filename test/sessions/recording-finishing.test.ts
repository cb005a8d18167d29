// After Stop, a recording waits for its last results: the service says how many are still to
// come (the engine's queued and running inferences for its stream), and the pushes carry it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Push, RecordingFinishing } from '../../src/shared/contract';
import { openBackend, type Backend } from '../../src/main/backend';
import { subscribePushes } from '../../src/main/bridge/handlers';
import { INSTANT_MODEL } from '../support/helpers';

let backend: Backend;

beforeAll(() => {
  const scratch = mkdtempSync(join(tmpdir(), 'utterly-finishing-'));
  // One model process answering in 0.2 s: five inferences take a second to answer.
  backend = openBackend({ dataDir: join(scratch, 'data'), engine: { model: { ...INSTANT_MODEL, delay: 0.2 }, poolSize: 1 } });
});
afterAll(() => backend.close());

describe('a stopped recording', () => {
  it('reports the results still to come until they are all in, then ends with them', async () => {
    const format = { channels: 1, sample_rate: 16000, bit_depth: 16, is_float: false };
    // Simple mode from the API: each block written is one inference.
    const recording = await backend.service
      .connect()
      .startRecording({ source: 'api', format, settings: { mode: 'simple', interim_results: false, max_futures: 8 } });
    const id = recording.session.id;
    const reports: RecordingFinishing[] = [];
    const pushes: Push[] = [];
    const onFinishing = (finishing: RecordingFinishing) => reports.push(finishing);
    backend.service.on('finishing', onFinishing);
    const unsubscribe = subscribePushes(backend.service, (push) => void pushes.push(push));
    try {
      for (let i = 0; i < 5; i++) await recording.write(new Uint8Array(3200)); // 0.1 s each
      expect(reports).toEqual([]); // nothing before Stop
      const session = await recording.stop();
      expect(session.status).toBe('done');
      expect(backend.service.events(id, { offset: 0, limit: 100 }).filter((e) => e.type === 'segment')).toHaveLength(5);
    } finally {
      backend.service.off('finishing', onFinishing);
      unsubscribe();
    }
    const counts = reports.map((report) => report.results_to_come);
    expect(reports.every((report) => report.session_id === id)).toBe(true);
    // At Stop all five are queued or running; then fewer, as they come, each change once.
    expect(counts[0]).toBeGreaterThanOrEqual(4);
    expect(counts[0]).toBeLessThanOrEqual(5);
    expect(counts.length).toBeGreaterThan(1);
    counts.slice(1).forEach((count, i) => expect(count).toBeLessThan(counts[i]!));
    // The contract's push carries the same reports.
    expect(pushes.filter((push) => push.kind === 'finishing')).toEqual(reports.map((finishing) => ({ kind: 'finishing', finishing })));
  });
});
