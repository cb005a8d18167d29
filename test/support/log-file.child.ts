// Run by test/log-file.test.ts: logs argv[3] lines to the folder argv[2], then kills itself with
// SIGKILL, which gives no chance to flush anything.
import { openLogFile } from '../../src/main/logging/log-file';

const log = openLogFile(process.argv[2]!, { maxBytes: 4096, keep: 100 });
const count = Number(process.argv[3]);
for (let i = 0; i < count; i++) log.write(`line ${i}`);
process.kill(process.pid, 'SIGKILL');
