// Titles and file names are stored clean: no control characters, no lone surrogates (which
// SQLite would keep as invalid UTF-8), whichever way they come in: a new session, a rename,
// an imported file's name, or a row written before cleaning existed.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend } from '../../src/main/backend';
import { cleanText, cleanTitle } from '../../src/main/storage/clean-text';
import type { Session } from '../../src/shared/sessions';
import { dataFile, INSTANT_MODEL } from '../support/helpers';

const settings = { mode: 'segmented', interim_results: false } as const;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

let scratch: string;
let backend: Backend;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'utterly-titles-'));
  backend = openBackend({ dataDir: join(scratch, 'data'), integrityCheck: false, engine: { model: INSTANT_MODEL, poolSize: 1 } });
});
afterAll(async () => {
  await backend.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('titles', () => {
  it('clean control characters, bidirectional controls and lone surrogates, and leave the rest', () => {
    expect(cleanTitle('Kitchen \u0000chat\ttake\r\n2\u0007')).toBe('Kitchen chat take 2');
    expect(cleanTitle('a\u0085b\u2028c')).toBe('a b c');
    expect(cleanTitle('price \u202e01$\u202c')).toBe('price 01$');
    expect(cleanTitle('half \ud83d pair, \udc00 other half')).toBe('half \ufffd pair, \ufffd other half');
    expect(cleanTitle('\u0001\u0002')).toBe('Untitled');
    for (const kept of ['Ärger im Büro', '😀 emoji, 👩‍👩‍👧 family', 'e\u0301 combining', '  spaces kept  ', 'עברית and العربية'])
      expect(cleanTitle(kept)).toBe(kept);
    expect(cleanText('')).toBe('');
  });

  it('are stored clean by a new session, a rename and an import, and search finds them', async () => {
    const { service, store } = backend;
    const created = store.createSession({ title: 'Weekly\u0000 sync\ud800\n', source: 'mic', settings, status: 'done', original_name: 'a\u0001b.wav' });
    expect(created.title).toBe('Weekly sync\ufffd');
    expect(created.original_name).toBe('ab.wav');
    expect(service.rename(created.id, 'Renamed\u001b[31m red\udfff').title).toBe('Renamed[31m red\ufffd');

    // A file whose name has a line break and a bell in it (Linux allows both).
    const awkward = join(scratch, 'two\nlines\u0007.wav');
    copyFileSync(dataFile('vad-node-test.wav'), awkward);
    const done = new Promise<Session>((resolve) =>
      service.on('changed', (s) => 'status' in s && s.title === 'two lines' && s.status !== 'processing' && resolve(s)),
    );
    const imported = await service.importFile(awkward, settings);
    expect(imported.title).toBe('two lines');
    expect(imported.original_name).toBe('two lines.wav');
    expect((await done).status).toBe('done');

    const raw = new BetterSqlite3(join(scratch, 'data', 'utterly.db'), { readonly: true });
    const rows = raw.prepare('SELECT title, original_name, hex(title) AS hex FROM sessions').all() as {
      title: string;
      original_name: string | null;
      hex: string;
    }[];
    raw.close();
    for (const row of rows) {
      expect(row.title).not.toMatch(CONTROL);
      expect(row.original_name ?? '').not.toMatch(CONTROL);
      // ED A0 80 .. ED BF BF: a surrogate encoded on its own, which is not UTF-8.
      expect(row.hex).not.toMatch(/^(..)*ED[AB].../);
    }
    expect(service.list({ limit: 10, offset: 0, query: 'two lines' }).total).toBe(1);
  });

  it('are cleaned as they are read from rows written before', async () => {
    const other = openBackend({ dataDir: join(scratch, 'old'), integrityCheck: false });
    const { id } = other.store.createSession({ title: 'placeholder', source: 'mic', settings, status: 'done' });
    await other.close();
    const raw = new BetterSqlite3(join(scratch, 'old', 'utterly.db'));
    raw.prepare('UPDATE sessions SET title = ?, original_name = ? WHERE id = ?').run('old\u0000 title\u0007', 'x\ny.mp3', id);
    raw.close();
    const reopened = openBackend({ dataDir: join(scratch, 'old'), integrityCheck: false });
    try {
      const session = reopened.service.get(id);
      expect(session.title).toBe('old title');
      expect(session.original_name).toBe('x y.mp3');
      expect(reopened.service.list({ limit: 10, offset: 0 }).sessions[0]!.title).toBe('old title');
      expect(session.title).not.toMatch(LONE);
    } finally {
      await reopened.close();
    }
  });
});
