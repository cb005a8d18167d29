// The rotating log file: small files, the newest lines kept whole and in order, none lost when
// the process is killed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openLogFile } from '../../src/main/logging/log-file';

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (.*)$/;

/** The messages of every file, oldest file first (main.<keep>.log ... main.log). */
function messages(dir: string): string[] {
  const files = readdirSync(dir).sort((a, b) => order(b) - order(a));
  return files.flatMap((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => LINE.exec(line)![1]!);
  });
}
const order = (file: string) => Number(/\.(\d+)\.log$/.exec(file)?.[1] ?? 0);

describe('openLogFile', () => {
  it('rotates past maxBytes, keeps `keep` old files, and the lines they hold are whole and in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'utterly-log-'));
    const log = openLogFile(dir, { maxBytes: 200, keep: 2 });
    for (let i = 0; i < 50; i++) log.write(`line ${i} é`);
    log.close();
    log.write('after close');

    expect(readdirSync(dir).sort()).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    for (const file of readdirSync(dir)) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(200);
    const kept = messages(dir);
    // The newest lines, with none missing between them.
    expect(kept.length).toBeGreaterThan(6);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `line ${50 - kept.length + i} é`));
  });

  it('appends to the file it finds, and keep 0 keeps no old file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'utterly-log-'));
    const first = openLogFile(dir, { name: 'serve' });
    first.write('first run\n');
    first.close();
    const second = openLogFile(dir, { name: 'serve', maxBytes: 100, keep: 0 });
    expect(second.path).toBe(join(dir, 'serve.log'));
    second.write('second run');
    expect(messages(dir)).toEqual(['first run', 'second run']);
    second.write('x'.repeat(60));
    second.close();
    expect(readdirSync(dir)).toEqual(['serve.log']);
    expect(messages(dir)).toEqual(['x'.repeat(60)]);
  });

  it('loses no line when the process is killed right after writing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'utterly-log-'));
    const script = fileURLToPath(new URL('../support/log-file.child.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, dir, '2000'], { stdio: 'inherit' });
    expect(child.signal).toBe('SIGKILL');
    expect(messages(dir)).toEqual(Array.from({ length: 2000 }, (_, i) => `line ${i}`));
  });
});
