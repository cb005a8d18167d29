import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = import.meta.dirname;
const fromRoot = (...parts: string[]): string => resolve(root, ...parts);

/**
 * Entries of the main-process bundle. The utility-process workers are written
 * separately; each is only included once its source file exists, so the build
 * works before and after they land.
 *
 * Output (out/main/, ES modules because package.json has "type": "module"):
 *   index.js         the Electron main process
 *   model.worker.js  runnable by Electron's utilityProcess.fork() and Node's child_process.fork()
 *   vad.worker.js    idem
 * Code shared between entries goes to chunks beside them (out/main/<name>-<hash>.js), so
 * `import.meta.url` resolves to out/main/ in every module, whichever file it ends up in.
 */
function mainEntries(): Record<string, string> {
  const entries: Record<string, string> = { index: fromRoot('src/main/index.ts') };
  const workers = {
    'model.worker': fromRoot('src/main/workers/model.worker.ts'),
    'vad.worker': fromRoot('src/main/workers/vad.worker.ts'),
  };
  for (const [name, file] of Object.entries(workers)) {
    if (existsSync(file)) entries[name] = file;
  }
  return entries;
}

const SHIM_BINDINGS = ['require', '__filename', '__dirname'] as const;

/**
 * electron-vite's ESM shim prepends `const require = createRequire(import.meta.url)` (and
 * `__filename`, `__dirname`) to every ES chunk whose text mentions `require(` or
 * `__dirname`, even when the module declares that binding itself, e.g. the usual
 * `const require = createRequire(import.meta.url)` of an ES module. The chunk then fails
 * with "Identifier 'require' has already been declared". This plugin runs after the
 * shim and drops the shim's declaration of any binding the chunk declares at top level.
 */
function dedupeEsmShim(): Plugin {
  return {
    name: 'utterly:dedupe-esm-shim',
    apply: 'build',
    renderChunk: {
      order: 'post',
      handler(code) {
        if (!code.includes('// -- CommonJS Shims --')) return null;
        let out = code;
        for (const name of SHIM_BINDINGS) {
          const declarations = out.match(new RegExp(`^(?:var|let|const)\\s+${name}\\s*=`, 'gm')) ?? [];
          if (declarations.length < 2) continue;
          // The shim's own line: `const <name> = __shims_...` or `const <name> = import.meta...`.
          out = out.replace(new RegExp(`^const ${name} = (?:__shims_|import\\.meta\\.)[^\\n]*\\n`, 'm'), '');
        }
        return out === code ? null : { code: out, map: null };
      },
    },
  };
}

export default defineConfig({
  main: {
    plugins: [dedupeEsmShim()],
    build: {
      outDir: fromRoot('out/main'),
      // package.json "dependencies" (onnxruntime-node, audio-decode, zod, ...) stay external.
      externalizeDeps: true,
      rolldownOptions: {
        input: mainEntries(),
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: fromRoot('out/preload'),
      // A sandboxed preload can only require Electron's sandbox-safe modules, so anything
      // it imports from node_modules must be bundled ('electron' itself stays external).
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: fromRoot('src/preload/index.ts') },
        // Sandboxed preload scripts cannot be ES modules: emit CommonJS as index.cjs.
        output: {
          format: 'cjs',
          entryFileNames: '[name].cjs',
          chunkFileNames: 'chunks/[name]-[hash].cjs',
        },
      },
    },
  },
  renderer: {
    root: fromRoot('src/renderer'),
    plugins: [svelte({ configFile: fromRoot('svelte.config.js') })],
    build: {
      outDir: fromRoot('out/renderer'),
      rolldownOptions: {
        input: { index: fromRoot('src/renderer/index.html') },
      },
    },
  },
});
