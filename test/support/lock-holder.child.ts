// Run by data-folder-lock.test.ts: `lock-holder.child.ts DATA_DIR MODE [START_AT]`.
//   hold: takes the lock, prints "locked", waits to be killed;
//   exit: takes the lock, prints "locked", calls process.exit without releasing it;
//   race: waits until START_AT (ms since the epoch), tries to take the lock, prints "won" and
//         holds it for 15 s (then exits without releasing it), or prints "lost: <message>".
import { DataFolderInUseError, lockDataFolder } from '../../src/main/storage/data-folder-lock';

const [dataDir, mode, startAt] = process.argv.slice(2);

if (mode === 'race') {
  while (Date.now() < Number(startAt)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  try {
    lockDataFolder(dataDir!, 'a racer');
    process.stdout.write('won\n');
    setTimeout(() => process.exit(0), 15_000);
  } catch (error) {
    if (!(error instanceof DataFolderInUseError)) throw error;
    process.stdout.write(`lost: ${error.message}\n`);
  }
} else {
  lockDataFolder(dataDir!, `a ${mode} test`);
  process.stdout.write('locked\n');
  if (mode === 'exit') process.exit(0);
  setInterval(() => undefined, 60_000);
}
