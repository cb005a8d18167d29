// The contract's handlers (src/main/bridge/handlers.ts) over a real SessionService: a real SQLite
// file, a real audio folder and a real engine. Whatever a caller sends, `invoke` answers with a
// Result, and a refused call changes nothing.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { openBackend, type Backend } from '../../src/main/backend';
import { Connection } from '../../src/main/sessions/recording';
import type { SessionService } from '../../src/main/sessions/session-service';
import { createHandlers, invoke, safeFilename, subscribePushes, type Bridge, type BridgeClient, type Handlers } from '../../src/main/bridge/handlers';
import { SUPPORTED_ENCODINGS } from '../../src/shared/api';
import { METHOD_NAMES, audioPathOf, type MethodName, type MethodResults, type Push, type Result } from '../../src/shared/contract';
import { AppSettingsSchema } from '../../src/shared/settings';
import { RUNNER_MODES, SESSION_SOURCES, SESSION_STATUSES, type Session } from '../../src/shared/sessions';
import { chunked, dataFile, INSTANT_MODEL, readPcmWav } from '../support/helpers';

const ERROR_CODES = ['invalid_argument', 'not_found', 'failed_precondition', 'internal'];

const SessionShape = z
  .object({
    id: z.uuid(),
    title: z.string().min(1),
    source: z.enum(SESSION_SOURCES),
    original_name: z.string().nullable(),
    format: z.object({ channels: z.number().int(), sample_rate: z.number().int(), bit_depth: z.number().int(), is_float: z.boolean() }).strict().nullable(),
    source_format: z
      .object({
        container: z.string(),
        codec: z.string().optional(),
        channels: z.number().int(),
        sample_rate: z.number().int(),
        bit_depth: z.number().int().nullable(),
        bytes: z.number().int(),
      })
      .strict()
      .nullable(),
    settings: z.object({ mode: z.enum(RUNNER_MODES), interim_results: z.boolean() }).loose(),
    status: z.enum(SESSION_STATUSES),
    created_at: z.iso.datetime(),
    finished_at: z.iso.datetime().nullable(),
    duration: z.number().min(0).nullable(),
    audio_path: z.string().nullable(),
    error: z.string().nullable(),
    rerun_of: z.uuid().nullable(),
  })
  .strict();
const EventShape = z.object({ channel: z.number().int().min(0), type: z.enum(['segment', 'data', 'error', 'active', 'inactive']) }).loose();

/** What each method's value must look like when it succeeds (MethodResults, checked at run time). */
const RESULT_SHAPES: Record<MethodName, z.ZodType> = {
  listSessions: z.object({ sessions: z.array(SessionShape), total: z.number().int().min(0) }).strict(),
  getSession: SessionShape,
  getEvents: z.array(EventShape),
  renameSession: SessionShape,
  deleteSession: z.object({ id: z.uuid(), deleted: z.literal(true) }).strict(),
  exportSession: z
    .object({ filename: z.string().regex(/^[^/\\]+\.(json|txt)$/), mime: z.enum(['application/json', 'text/plain']), content: z.string() })
    .strict(),
  importFile: SessionShape,
  cancelImport: z.object({ id: z.uuid(), cancelled: z.boolean() }).strict(),
  rerunSession: SessionShape,
  startRecording: SessionShape,
  stopRecording: SessionShape,
  getSettings: AppSettingsSchema,
  setSettings: AppSettingsSchema,
  getWaveform: z
    .object({ points_per_second: z.number().positive(), duration: z.number().min(0), channels: z.array(z.array(z.number().min(0).max(1))) })
    .strict(),
  getAudioUrl: z.object({ url: z.string().startsWith('/api/v1/sessions/'), mime: z.string() }).strict(),
  chooseAudioFiles: z.object({ paths: z.array(z.string()) }).strict(),
  saveExport: z.object({ path: z.null() }).strict(),
};

/** The system dialogs of a desktop app whose user cancels them. */
const cancellingDialogs = { chooseAudioFiles: async () => [], saveFile: async () => null };

let dataDir: string;
let backend: Backend;
let bridge: Bridge;
let local: BridgeClient;
let handlers: Handlers;
let reader: Database.Database;

const audioDir = () => join(dataDir, 'audio');

/** Everything a call could change: the session rows, each session's event count, the audio files. */
function snapshot() {
  return {
    sessions: reader.prepare('SELECT * FROM sessions ORDER BY id').all(),
    events: reader.prepare('SELECT session_id, count(*) AS n FROM events GROUP BY session_id ORDER BY session_id').all(),
    audio: readdirSync(audioDir()).sort(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for an import or re-run to end, whatever way it ends. */
async function settled(id: string): Promise<Session> {
  for (;;) {
    const session = backend.service.get(id);
    if (session.status !== 'processing') return session;
    await sleep(20);
  }
}

async function call<M extends MethodName>(method: M, params: unknown) {
  return (await invoke(handlers, method, params)) as Result<MethodResults[M]>;
}

function valueOf<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

async function importAndWait(path: string, title?: string): Promise<Session> {
  const queued = valueOf(await call('importFile', { path, title }));
  return settled(queued.id);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'utterly-bridge-'));
  backend = openBackend({ dataDir, engine: { model: INSTANT_MODEL, poolSize: 2 } });
  bridge = createHandlers(backend.service, {
    getSettings: backend.getSettings,
    setSettings: backend.setSettings,
    audioUrl: audioPathOf,
    desktop: cancellingDialogs,
  });
  local = bridge.connect();
  handlers = local.handlers;
  reader = new Database(join(dataDir, 'utterly.db'), { readonly: true });
});

afterAll(async () => {
  reader?.close();
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('invoke with anything', () => {
  it('answers every call with a Result, and a refused call changes nothing', async () => {
    const notAudio = join(dataDir, 'not-audio.wav');
    writeFileSync(notAudio, 'this is not a WAV file at all');
    const known: string[] = [];
    for (const title of ['alpha', 'beta', 'gamma']) known.push((await importAndWait(dataFile('trailing-speech.wav'), title)).id);
    // A session whose stored audio has gone: re-running it is refused.
    const orphan = await importAndWait(dataFile('trailing-speech.wav'), 'orphan');
    rmSync(orphan.audio_path!);
    known.push(orphan.id);

    // For each field, values the schema accepts, and a mix of those with junk of every kind.
    const garbage = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
    });
    const hugeText = fc.tuple(fc.integer({ min: 201, max: 300_000 }), fc.constantFrom('x', 'é', '🎙', ' ', '\u0000', '/')).map(([n, c]) => c.repeat(n));
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), hugeText, fc.constantFrom('', '   ', '\n\t'));
    const mixed = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: valid }, text, garbage);
    const numberish = fc.oneof(fc.integer({ min: -1000, max: 20_000 }), fc.double(), fc.constantFrom(NaN, Infinity, -1, -0, 1e300, 2 ** 53), text, garbage);
    const mixedNumber = (valid: fc.Arbitrary<number>) => fc.oneof({ weight: 2, arbitrary: valid }, numberish);

    // Sessions that exist (including the ones the run creates), and random ids.
    const validId = fc.oneof({ weight: 3, arbitrary: fc.nat().map((i) => known[i % known.length]!) }, fc.uuid());
    const validTitle = fc.string({ minLength: 1, maxLength: 40 }).filter((title) => title.trim() !== '');
    const validSettings = fc.record(
      {
        mode: fc.constantFrom('segmented', 'simple'),
        interim_results: fc.boolean(),
        max_futures: fc.integer({ min: 1, max: 8 }),
        chunk_ms: fc.integer({ min: 100, max: 2000 }),
      },
      { requiredKeys: [] },
    );
    const mixedSettings = fc.oneof(
      validSettings,
      fc.record(
        {
          mode: mixed(fc.constantFrom('segmented', 'simple')),
          interim_results: fc.oneof(fc.boolean(), garbage),
          max_futures: numberish,
          chunk_ms: numberish,
          vad: fc.oneof(fc.record({ positive_speech_threshold: numberish, redemption_frames: numberish }, { requiredKeys: [] }), garbage),
        },
        { requiredKeys: [] },
      ),
      garbage,
    );
    const validFormat = fc
      .record({
        channels: fc.integer({ min: 1, max: 4 }),
        sample_rate: fc.constantFrom(8_000, 16_000, 44_100, 48_000, 384_000),
        encoding: fc.constantFrom(...SUPPORTED_ENCODINGS),
      })
      .map(({ encoding, ...rest }) => ({ ...rest, ...encoding }));
    const mixedFormat = fc.oneof(
      validFormat,
      fc.record({
        channels: fc.integer({ min: -2, max: 40 }),
        sample_rate: fc.integer({ min: -1, max: 500_000 }),
        bit_depth: fc.constantFrom(0, 8, 12, 16, 24, 32, 64),
        is_float: fc.boolean(),
      }),
      fc.record({ channels: garbage, sample_rate: numberish, bit_depth: numberish, is_float: garbage }, { requiredKeys: [] }),
      garbage,
    );
    // Paths the schema takes: one real recording, and files and folders that are not audio.
    const validPath = fc.oneof(
      fc.constant(dataFile('trailing-speech.wav')),
      fc.constantFrom(notAudio, join(dataDir, 'missing.wav'), '/', dataDir, audioDir(), dataFile('README.md'), 'relative/path.wav', 'C:\\nope.wav'),
    );

    const validAppSettings = fc
      .record({ mode: fc.constantFrom('segmented', 'simple'), interim_results: fc.boolean(), max_futures: fc.option(fc.integer({ min: 1, max: 256 })) })
      .map((changes) => ({ ...backend.getSettings(), ...changes }));
    const mixedAppSettings = fc.oneof(
      validAppSettings,
      fc.record(
        {
          model: fc.oneof(garbage, fc.record({ delay: numberish, failure_rate: numberish }, { requiredKeys: [] })),
          vad: garbage,
          pool_size: numberish,
          max_futures: numberish,
        },
        { requiredKeys: [] },
      ),
      garbage,
    );

    type Field = { valid: fc.Arbitrary<unknown>; mixed: fc.Arbitrary<unknown>; required?: true };
    const id: Field = { valid: validId, mixed: mixed(validId), required: true };
    const offset: Field = { valid: fc.integer({ min: 0, max: 500 }), mixed: mixedNumber(fc.integer({ min: 0, max: 500 })) };
    const limit: Field = { valid: fc.integer({ min: 1, max: 10_000 }), mixed: mixedNumber(fc.integer({ min: 1, max: 10_000 })) };
    const title: Field = { valid: validTitle, mixed: mixed(validTitle) };
    const settings: Field = { valid: validSettings, mixed: mixedSettings };
    const fields: Record<MethodName, Record<string, Field>> = {
      listSessions: { offset, limit, query: { valid: fc.string({ maxLength: 10 }), mixed: mixed(fc.string({ maxLength: 10 })) } },
      getSession: { id },
      getEvents: { id, offset, limit },
      renameSession: { id, title: { ...title, required: true } },
      deleteSession: { id },
      exportSession: { id, format: { valid: fc.constantFrom('json', 'labels'), mixed: mixed(fc.constantFrom('json', 'labels')), required: true } },
      importFile: { path: { valid: validPath, mixed: mixed(validPath), required: true }, settings, title },
      cancelImport: { id },
      rerunSession: { id, settings },
      startRecording: { format: { valid: validFormat, mixed: mixedFormat, required: true }, settings, title },
      stopRecording: { id },
      getSettings: {},
      // Valid settings keep the model and the pool, so that the engine is not restarted each time.
      setSettings: { settings: { valid: validAppSettings, mixed: mixedAppSettings, required: true } },
      getWaveform: { id, max_points: { valid: fc.integer({ min: 100, max: 5000 }), mixed: mixedNumber(fc.integer({ min: 100, max: 5000 })) } },
      getAudioUrl: { id },
      chooseAudioFiles: {},
      saveExport: { id, format: { valid: fc.constantFrom('json', 'labels'), mixed: mixed(fc.constantFrom('json', 'labels')), required: true } },
    };
    const recordOf = (method: MethodName, pick: 'valid' | 'mixed') => {
      const entries = Object.entries(fields[method]);
      const requiredKeys = pick === 'valid' ? entries.filter(([, field]) => field.required).map(([key]) => key) : [];
      return fc.record(Object.fromEntries(entries.map(([key, field]) => [key, field[pick]])), { requiredKeys });
    };
    const paramsOf = (method: MethodName) =>
      fc.oneof(
        { weight: 4, arbitrary: recordOf(method, 'valid') },
        {
          weight: 5,
          arbitrary: fc
            .tuple(recordOf(method, 'mixed'), fc.option(fc.dictionary(fc.string(), garbage, { maxKeys: 3 })))
            .map(([known, extra]) => ({ ...known, ...extra })),
        },
        { weight: 1, arbitrary: garbage },
        { weight: 1, arbitrary: fc.constant(undefined) },
      );
    const unknownMethod = fc.oneof(
      fc.string(),
      hugeText,
      fc.constantFrom('toString', '__proto__', 'constructor', 'hasOwnProperty', 'listsessions', 'sendAudio', 'onPush'),
      garbage,
    );
    const anyCall = fc.oneof(
      ...METHOD_NAMES.map((method) => fc.record({ method: fc.constant<unknown>(method), params: paramsOf(method) })),
      fc.record({ method: unknownMethod, params: garbage }),
    );

    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const seen = { ok: new Set<string>(), refused: new Set<string>() };
    try {
      await fc.assert(
        fc.asyncProperty(anyCall, async ({ method, params }) => {
          const before = snapshot();
          const result = await invoke(handlers, method, params);
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) {
            expect(Object.keys(result)).toEqual(['ok', 'error']);
            expect(ERROR_CODES).toContain(result.error.code);
            expect(result.error.message.length).toBeGreaterThan(0);
            expect(result.error.message.length).toBeLessThan(2000);
            expect(snapshot()).toEqual(before);
            seen.refused.add(`${(METHOD_NAMES as readonly unknown[]).includes(method) ? method : 'unknown'}:${result.error.code}`);
            return;
          }
          const name = method as MethodName;
          seen.ok.add(name);
          expect(RESULT_SHAPES[name].safeParse(result.value).error).toBeUndefined();
          // Let what the call started finish, so that the next snapshot is taken at rest.
          const session = result.value as Session;
          if (name === 'startRecording') {
            known.push(session.id);
            expect(valueOf(await call('stopRecording', { id: session.id })).status).toBe('done');
          }
          if (name === 'importFile' || name === 'rerunSession') {
            known.push(session.id);
            await settled(session.id);
          }
          if (name === 'cancelImport') await settled((result.value as { id: string }).id);
        }),
        { numRuns: 1000 },
      );
    } finally {
      errors.mockRestore();
    }
    // The run reached both sides of every method (stopRecording succeeds after each startRecording).
    expect([...seen.ok].sort()).toEqual(METHOD_NAMES.filter((method) => method !== 'stopRecording').sort());
    expect([...seen.refused].filter((kind) => kind.endsWith(':internal'))).toEqual([]);
    // Methods that take no argument cannot be given a wrong one, but for junk instead of {}.
    for (const method of METHOD_NAMES) expect(seen.refused).toContain(`${method}:invalid_argument`);
    for (const expected of ['unknown:invalid_argument', 'getSession:not_found', 'importFile:failed_precondition', 'stopRecording:failed_precondition']) {
      expect(seen.refused).toContain(expected);
    }
  });
});

describe('methods', () => {
  it('lists, searches, renames, exports and deletes sessions', async () => {
    const a = await importAndWait(dataFile('trailing-speech.wav'), 'Kitchen chat');
    const b = await importAndWait(dataFile('trailing-speech.wav'), 'Board meeting');
    expect(a.status).toBe('done');

    const listed = valueOf(await call('listSessions', { limit: 10_000 }));
    expect(listed.sessions.map((s) => s.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(listed.total).toBe(listed.sessions.length);
    const paged = valueOf(await call('listSessions', { limit: 1, offset: 1 }));
    expect(paged.sessions).toHaveLength(1);
    expect(paged.total).toBe(listed.total);

    const renamed = valueOf(await call('renameSession', { id: a.id, title: '  Kitchen / chat: take 2  ' }));
    expect(renamed.title).toBe('Kitchen / chat: take 2');
    const found = valueOf(await call('listSessions', { query: 'chat: TAKE' }));
    expect(found.sessions.map((s) => s.id)).toEqual([a.id]);
    expect(valueOf(await call('listSessions', { query: 'no such title anywhere' })).total).toBe(0);

    const json = valueOf(await call('exportSession', { id: a.id, format: 'json' }));
    expect(json).toMatchObject({ filename: 'Kitchen _ chat_ take 2.json', mime: 'application/json' });
    const document = JSON.parse(json.content);
    expect(document.session).toMatchObject({ id: a.id, title: 'Kitchen / chat: take 2' });
    expect(document.events).toEqual(valueOf(await call('getEvents', { id: a.id, limit: 10_000 })));
    expect(json.content).toContain('\n  "session"'); // pretty-printed
    const labels = valueOf(await call('exportSession', { id: a.id, format: 'labels' }));
    expect(labels).toMatchObject({ filename: 'Kitchen _ chat_ take 2.txt', mime: 'text/plain' });
    expect(labels.content).toMatch(/^\d+\.\d{3}\t\d+\.\d{3}\tchannel 1: count \d+\n/);

    expect(valueOf(await call('deleteSession', { id: a.id }))).toEqual({ id: a.id, deleted: true });
    expect(readdirSync(audioDir())).not.toContain(a.audio_path!.split('/').pop());
    expect(await call('getSession', { id: a.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await call('deleteSession', { id: a.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(valueOf(await call('getSession', { id: b.id })).title).toBe('Board meeting');
  });

  it('names the offending field of a refused call', async () => {
    const refused = async (method: string, params: unknown) => {
      const result = await invoke(handlers, method, params);
      if (result.ok) throw new Error(`${method} was accepted`);
      expect(result.error.code).toBe('invalid_argument');
      return result.error.message;
    };
    expect(await refused('getSession', { id: 'nope' })).toBe('id must be a session id');
    expect(await refused('listSessions', { limit: -1 })).toMatch(/limit/);
    expect(await refused('listSessions', { query: 'x'.repeat(1_000_000) })).toMatch(/query must be at most 200 characters/);
    expect(await refused('renameSession', { id: crypto.randomUUID(), title: '   ' })).toMatch(/title/);
    expect(await refused('startRecording', { format: { channels: 1, sample_rate: 16_000, bit_depth: 12, is_float: false } })).toMatch(/bit_depth/);
    expect(await refused('exportSession', { id: crypto.randomUUID(), format: 'pdf' })).toMatch(/format/);
    expect(await refused('getSession', { id: crypto.randomUUID(), extra: 1 })).toMatch(/extra/);
    const huge = await refused('getSession', { id: crypto.randomUUID(), ['k'.repeat(100_000)]: 1 });
    expect(huge.length).toBeLessThan(1000);
    expect(await refused('launchMissiles', {})).toBe('unknown method "launchMissiles"');
    expect(await refused('x'.repeat(100_000), {})).toMatch(/^unknown method "x+…"$/);
    expect(await refused('toString', {})).toMatch(/unknown method/);
    expect(await refused(42 as unknown as string, {})).toBe('unknown method of type number');
    // No params at all is the same as empty params.
    expect((await invoke(handlers, 'listSessions', undefined)).ok).toBe(true);
  });

  it('refuses what the state does not allow', async () => {
    const session = await importAndWait(dataFile('trailing-speech.wav'));
    const precondition = { ok: false, error: { code: 'failed_precondition' } };
    expect(await call('stopRecording', { id: session.id })).toMatchObject(precondition);
    expect(await call('stopRecording', { id: crypto.randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await call('cancelImport', { id: session.id })).toEqual({ ok: true, value: { id: session.id, cancelled: false } });
    expect(await call('importFile', { path: join(dataDir, 'nowhere.wav') })).toMatchObject({
      ok: false,
      error: { code: 'failed_precondition', message: expect.stringMatching(/no such file/) },
    });
    expect(await call('importFile', { path: dataFile('README.md') })).toMatchObject({
      ok: false,
      error: { code: 'failed_precondition', message: expect.stringMatching(/not a recognised audio format/) },
    });

    const live = valueOf(await call('startRecording', { format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } }));
    expect(await call('deleteSession', { id: live.id })).toMatchObject({ ...precondition, error: { message: expect.stringMatching(/still recording/) } });
    expect(valueOf(await call('stopRecording', { id: live.id })).status).toBe('done');
    expect(await call('stopRecording', { id: live.id })).toMatchObject(precondition);
    expect((await call('deleteSession', { id: live.id })).ok).toBe(true);
    // A stream of the streaming API is stopped by its own client only.
    const stream = await backend.service.connect().startRecording({
      source: 'api',
      format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false },
      settings: { mode: 'segmented', interim_results: false },
    });
    expect(await call('stopRecording', { id: stream.session.id })).toMatchObject({
      ...precondition,
      error: { message: expect.stringMatching(/streaming API client/) },
    });
    await stream.stop();

    const rerun = valueOf(await call('rerunSession', { id: session.id, settings: { mode: 'simple' } }));
    expect(rerun).toMatchObject({ rerun_of: session.id, status: 'processing', settings: { mode: 'simple' } });
    expect((await settled(rerun.id)).status).toBe('done');
    rmSync(session.audio_path!);
    expect(await call('rerunSession', { id: session.id })).toMatchObject({ ...precondition, error: { message: expect.stringMatching(/audio .* is missing/) } });
  });

  it('hides unexpected errors behind a generic message and logs them', async () => {
    const broken = { ...handlers, getSession: async () => Promise.reject(new Error('disk on fire at /secret/path')) } satisfies Handlers;
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const result = await invoke(broken, 'getSession', { id: crypto.randomUUID() });
      expect(result).toEqual({ ok: false, error: { code: 'internal', message: expect.any(String) } });
      expect(JSON.stringify(result)).not.toContain('secret');
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('getSession'), expect.objectContaining({ message: 'disk on fire at /secret/path' }));
    } finally {
      errors.mockRestore();
    }
  });

  it('makes file names of any title', () => {
    expect(safeFilename('Meeting: 2024/05/01')).toBe('Meeting_ 2024_05_01');
    expect(safeFilename('a\u0000b\tc\nd  e')).toBe('a_b_c_d e');
    expect(safeFilename('..hidden..')).toBe('hidden');
    expect(safeFilename(' . ')).toBe('session');
    expect(safeFilename('NUL')).toBe('_NUL');
    expect(safeFilename('com1.backup')).toBe('_com1.backup');
    expect(safeFilename('console')).toBe('console');
    expect(Array.from(safeFilename('🎙'.repeat(300)))).toHaveLength(100);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (title) => {
        const name = safeFilename(title);
        expect(name.length).toBeGreaterThan(0);
        expect(name).not.toMatch(/[<>:"/\\|?*\u0000-\u001f]|^[. ]|[. ]$/);
        expect(Array.from(name).length).toBeLessThanOrEqual(101);
      }),
    );
  });
});

describe('live recording', () => {
  it('stores and pushes the final segments of audio sent in pieces', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    const pushes: Push[] = [];
    const unsubscribe = subscribePushes(backend.service, (push) => pushes.push(push));
    try {
      const session = valueOf(await call('startRecording', { format, title: 'Two speakers', settings: { mode: 'segmented', interim_results: true } }));
      expect(session).toMatchObject({ status: 'recording', source: 'mic', format, title: 'Two speakers' });
      // Odd sizes: chunks end mid-sample and mid-frame, as a capture may.
      for (const chunk of chunked(bytes, [4093, 16_001, 777])) local.sendAudio(session.id, chunk);
      const stopped = valueOf(await call('stopRecording', { id: session.id }));
      expect(stopped).toMatchObject({ id: session.id, status: 'done', duration: 10 });

      const events = valueOf(await call('getEvents', { id: session.id, limit: 10_000 }));
      const finals = events.filter((e) => e.type === 'segment' && e.is_final === true);
      expect(finals.filter((e) => e.channel === 0).length).toBeGreaterThanOrEqual(1);
      expect(finals.filter((e) => e.channel === 1).length).toBeGreaterThanOrEqual(1);
      expect(events.some((e) => e.type === 'segment' && e.is_final === false)).toBe(true);

      const pushed = pushes.filter((p): p is Extract<Push, { kind: 'event' }> => p.kind === 'event' && p.session_id === session.id).map((p) => p.event);
      expect(pushed).toEqual(events);
      const states = pushes
        .filter((p): p is Extract<Push, { kind: 'session' }> => p.kind === 'session' && p.session.id === session.id)
        .map((p) => p.session.status);
      expect(states[0]).toBe('recording');
      expect(states.at(-1)).toBe('done');
      expect(readPcmWav(stopped.audio_path!).bytes).toEqual(bytes);
    } finally {
      unsubscribe();
    }
  });

  it('drops and counts audio for a session that is not recording', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const before = bridge.droppedAudioChunks;
      const done = (await importAndWait(dataFile('trailing-speech.wav'))).id;
      for (const id of [crypto.randomUUID(), done, '', 'x'.repeat(100)]) expect(() => local.sendAudio(id, new Uint8Array(64))).not.toThrow();
      expect(bridge.droppedAudioChunks).toBe(before + 4);
    } finally {
      warn.mockRestore();
    }
  });

  it('ends a recording once when the engine refuses its audio', async () => {
    const id = crypto.randomUUID();
    let ending = false;
    const recording = {
      session: { id },
      owner: undefined as unknown,
      get isEnding() {
        return ending;
      },
      write: vi.fn(async () => Promise.reject(new Error('the engine is gone'))),
      interrupt: vi.fn(async () => {
        ending = true;
        return { id };
      }),
    };
    const service = {
      connect: () => new Connection(service as unknown as SessionService),
      startRecording: async (owner: unknown) => Object.assign(recording, { owner }),
      liveRecording: () => recording,
    };
    const failing = createHandlers(service as unknown as SessionService, {
      getSettings: backend.getSettings,
      setSettings: backend.setSettings,
      audioUrl: audioPathOf,
    });
    const client = failing.connect();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      valueOf(await invoke(client.handlers, 'startRecording', { format: { channels: 1, sample_rate: 16_000, bit_depth: 16, is_float: false } }));
      for (let i = 0; i < 3; i++) client.sendAudio(id, new Uint8Array(64));
      await sleep(10);
      expect(recording.interrupt).toHaveBeenCalledTimes(1);
      expect(recording.interrupt).toHaveBeenCalledWith('the audio could not be processed');
      expect(errors).toHaveBeenCalledTimes(1);
      client.sendAudio(id, new Uint8Array(64));
      expect(recording.write).toHaveBeenCalledTimes(3);
      expect(failing.droppedAudioChunks).toBe(1);
    } finally {
      errors.mockRestore();
      warn.mockRestore();
    }
  });

  it('keeps what was heard when the source goes away', async () => {
    const { format, bytes } = readPcmWav(dataFile('stereo-two-speakers.wav'));
    // The window's own client, which goes away.
    const window = bridge.connect();
    const session = valueOf(await invoke(window.handlers, 'startRecording', { format })) as Session;
    window.sendAudio(session.id, bytes.subarray(0, bytes.length / 2));
    await window.release('the window closed');
    expect(valueOf(await call('getSession', { id: session.id }))).toMatchObject({ status: 'interrupted', error: 'the window closed', duration: 5 });
    expect(valueOf(await call('getEvents', { id: session.id })).some((e) => e.type === 'segment' && e.is_final)).toBe(true);
    expect(await call('stopRecording', { id: session.id })).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    await window.release('again'); // no longer live: nothing happens
    expect(valueOf(await call('getSession', { id: session.id })).error).toBe('the window closed');
  });
});
