import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { SEQUENCE_MODEL_FILE, sequenceModel } from './scripts/silero-sequence.mjs';

const root = import.meta.dirname;
const fromRoot = (...parts: string[]): string => resolve(root, ...parts);

/**
 * The main-process bundle, in out/main/ as ES modules ("type": "module"): index.js (the Electron
 * main process) and the two workers, runnable by Electron's utilityProcess.fork() and by Node's
 * child_process.fork(). Shared code goes to chunks beside them, so `import.meta.url` is
 * out/main/ in every module, which is where src/main/process/child.ts looks for the workers, and
 * the VAD worker for the sequence form of Silero (scripts/silero-sequence.mjs).
 */
const mainEntries = {
  index: fromRoot('src/main/desktop/index.ts'),
  'model.worker': fromRoot('src/main/workers/model.worker.ts'),
  'vad.worker': fromRoot('src/main/workers/vad.worker.ts'),
};

export default defineConfig({
  main: {
    plugins: [
      {
        name: 'silero-sequence',
        async generateBundle() {
          this.emitFile({ type: 'asset', fileName: SEQUENCE_MODEL_FILE, source: await sequenceModel() });
        },
      },
    ],
    build: {
      outDir: fromRoot('out/main'),
      // package.json "dependencies" (onnxruntime-node, audio-decode, zod, ...) stay external.
      externalizeDeps: true,
      rolldownOptions: {
        input: mainEntries,
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
    // The version the UI shows, in both builds (the desktop window and the web page).
    define: { __APP_VERSION__: JSON.stringify(JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')).version) },
    plugins: [svelte({ configFile: fromRoot('svelte.config.js') })],
    build: {
      outDir: fromRoot('out/renderer'),
      rolldownOptions: {
        input: { index: fromRoot('src/renderer/index.html') },
      },
    },
  },
});
