// Bundles what runs under plain Node (the command line and the worker processes) into
// out/node/, so that no process pays for a TypeScript loader at start-up: ~35 MB and ~0.3 s
// less per worker. Takes a fraction of a second; `npm run cli` and the tests run it first.
import { build } from 'esbuild';

await build({
  entryPoints: {
    cli: 'src/main/cli/main.ts',
    'model.worker': 'src/main/workers/model.worker.ts',
    'vad.worker': 'src/main/workers/vad.worker.ts',
  },
  outdir: 'out/node',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  // One self-contained file per entry: the workers are found beside the code that starts them.
});
