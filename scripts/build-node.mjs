// Bundles what runs under plain Node (the command line and the worker processes) into
// out/node/, so that no process pays for a TypeScript loader at start-up: ~35 MB and ~0.3 s
// less per worker. `npm run cli` (scripts/cli.mjs) and the tests run it first; when no file the
// bundles were made from has changed since (esbuild's own list of them, kept beside the
// bundles), it does nothing, in a millisecond or two rather than a build's ~150. Beside the VAD
// worker goes the sequence form of Silero it loads (scripts/silero-sequence.mjs).
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SEQUENCE_MODEL_FILE, sequenceModel } from './silero-sequence.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = 'out/node';
const entryPoints = {
  cli: 'src/main/cli/main.ts',
  'model.worker': 'src/main/workers/model.worker.ts',
  'vad.worker': 'src/main/workers/vad.worker.ts',
};
const inputsFile = `${outdir}/inputs.json`;
const sileroFile = `${outdir}/${SEQUENCE_MODEL_FILE}`;
const outputs = [...Object.keys(entryPoints).map((name) => `${outdir}/${name}.js`), sileroFile];

function upToDate() {
  if (!existsSync(inputsFile) || !outputs.every((file) => existsSync(file))) return false;
  const builtAt = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  // A new import changes the file that imports it, so the list of inputs is enough.
  const inputs = [...JSON.parse(readFileSync(inputsFile, 'utf8')), 'package-lock.json', 'scripts/build-node.mjs', 'scripts/silero-sequence.mjs'];
  return inputs.every((file) => existsSync(file) && statSync(file).mtimeMs < builtAt);
}

/** Builds the bundles unless they are up to date. */
export async function ensureNodeBundle() {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    if (upToDate()) return;
    const { build } = await import('esbuild');
    // Every chunk's name changes with its contents: the last build's would pile up.
    for (const file of existsSync(outdir) ? readdirSync(outdir) : []) if (file.endsWith('.js')) rmSync(`${outdir}/${file}`);
    const { metafile } = await build({
      entryPoints,
      outdir,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Packages load from node_modules at run time, except zod: one bundled file loads in about
      // 30 ms where its hundred-odd modules take 50 or more, in the CLI and in the model process,
      // before either can start work.
      external: Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).dependencies)
        .filter((name) => name !== 'zod')
        .flatMap((name) => [name, `${name}/*`]),
      logLevel: 'warning',
      metafile: true,
      // Code the entries share, and each command of the CLI, in chunks loaded when first needed,
      // beside the entries: `import.meta.url` is out/node/ in every module, which is where
      // src/main/process/child.ts looks for the workers.
      splitting: true,
      chunkNames: '[name]-[hash]',
    });
    writeFileSync(sileroFile, await sequenceModel());
    // A bundled package (zod) changes only with package-lock.json, which is checked anyway.
    writeFileSync(inputsFile, JSON.stringify(Object.keys(metafile.inputs).filter((file) => !file.startsWith('node_modules/'))));
  } finally {
    process.chdir(cwd);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await ensureNodeBundle();
