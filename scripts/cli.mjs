// `npm run cli`: the command line, its bundle made first if a source changed (in this process:
// one Node start, not two).
import { ensureNodeBundle } from './build-node.mjs';

await ensureNodeBundle();
await import('../out/node/cli.js');
