// Run by test/wav-recorder.test.ts and killed with SIGKILL: records the bytes of
// `patternByte` through a WavRecorder, in chunks of varying size every few milliseconds, and
// prints `<Date.now()> <bytes written so far>` after each append.
// Arguments: the file, and optionally the recorder's riffLimitBytes (a small one makes it RF64).
import { WavRecorder } from '../../src/main/storage/wav-recorder';
import { KILL_TEST_FORMAT, patternBytes } from './wav-pattern';

const riffLimitBytes = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const recorder = WavRecorder.create(process.argv[2]!, KILL_TEST_FORMAT, { riffLimitBytes });
let written = 0;
let round = 0;

function appendSome(): void {
  // 1 to 4000 bytes, rarely a whole number of frames.
  const length = 1 + ((round++ * 7919) % 4000);
  recorder.append(patternBytes(written, length));
  written += length;
  process.stdout.write(`${Date.now()} ${written}\n`);
  setTimeout(appendSome, 2);
}

appendSome();
