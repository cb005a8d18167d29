// Where code may import what: Electron only in the desktop folder (and the preload, which runs in
// the window), so that the engine, storage, server and UI run and are tested without it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|svelte|js|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The modules a file imports, as TypeScript's own pre-processor reads them (type imports too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const code = file.endsWith('.svelte') ? [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n') : text;
  return ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
}

const ELECTRON_ALLOWED = [join('src', 'main', 'desktop') + sep, join('src', 'preload') + sep];

describe('layout', () => {
  it('imports electron only in src/main/desktop and src/preload', () => {
    const offenders = sourceFiles(join(root, 'src'))
      .map((file) => relative(root, file))
      .filter((file) => !ELECTRON_ALLOWED.some((folder) => file.startsWith(folder)))
      .filter((file) => importsOf(join(root, file)).some((name) => name === 'electron' || name.startsWith('electron/')));
    expect(offenders).toEqual([]);
  });

  it('finds imports the way the check relies on', () => {
    const dir = join(root, 'src', 'main', 'desktop');
    expect(sourceFiles(dir).filter((file) => importsOf(file).includes('electron')).length).toBeGreaterThan(3);
    expect(ts.preProcessFile("import type { App } from 'electron';\nconst x = await import('electron');", true, true).importedFiles.map((f) => f.fileName)).toEqual(['electron', 'electron']);
  });
});
