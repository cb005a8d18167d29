// The command line as a user runs it: `npm run --silent cli -- process FILE [options]`.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../support/helpers';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'utterly-cli-'));
const instantModel = join(scratch, 'instant.json');
writeFileSync(instantModel, JSON.stringify({ model: { delay: 0, constant_factor: 0, jitter: 0, warmup_penalty: 0, failure_rate: 0 } }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'cli', '--', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('cli process', () => {
  it('prints one ApiResponse JSON object per line and nothing else on stdout', async () => {
    const { code, stdout, stderr } = await cli('process', dataFile('stereo-two-speakers.ogg'), '--model-config', instantModel, '--interim');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const events = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(
      events
        .filter((e) => e.type === 'segment' && e.is_final)
        .map((e) => e.channel)
        .sort(),
    ).toEqual([0, 1]);
    expect(events.some((e) => e.type === 'segment' && e.is_final === false)).toBe(true);
    for (const event of events) expect(Object.keys(event)[0]).toBe('channel');
  });

  it('runs the simple runner with chunks of the size asked for', async () => {
    const { code, stdout } = await cli(
      'process',
      dataFile('vad-node-test.wav'),
      '--mode',
      'simple',
      '--chunk-ms',
      '500',
      '--model-config',
      instantModel,
      '--pool',
      '2',
      '--max-futures',
      '2',
    );
    expect(code).toBe(0);
    const events = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    // 5.12 s of audio in 500 ms chunks: 11 chunks, the counts adding up to the audio at 16 kHz.
    expect(events).toHaveLength(11);
    expect(events.reduce((n, e) => n + e.count, 0)).toBe(Math.round((225992 * 16000) / 44100));
  });

  it('writes nothing into the home folder and keeps onnxruntime from reporting to Microsoft', async () => {
    // onnxruntime 1.30 keeps quiet by itself only where it sees a CI service's variable, so the run
    // gets an environment without them, and a home of its own to show what it would have left.
    const home = join(scratch, 'home');
    mkdirSync(home);
    const ciVariables =
      /^(CI|TF_BUILD|GITHUB_ACTIONS|GITLAB_CI|CIRCLECI|TRAVIS|JENKINS_URL|CODEBUILD_BUILD_ID|BUILDKITE|TEAMCITY_VERSION|APPVEYOR|BITBUCKET_BUILD_NUMBER)$/;
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !ciVariables.test(name) && name !== 'XDG_CACHE_HOME'));
    await run('npm', ['run', '--silent', 'cli', '--', 'process', dataFile('vad-node-test.wav'), '--model-config', instantModel], {
      env: { ...env, HOME: home },
    });
    expect(readdirSync(home, { recursive: true })).toEqual([]);
  });

  it('uses the shipped model config by default (the seed config, with its failures)', async () => {
    const { code, stdout } = await cli('process', dataFile('vad-node-test.wav'));
    expect(code).toBe(0);
    const last = JSON.parse(stdout.trimEnd().split('\n').at(-1)!);
    expect(['segment', 'error']).toContain(last.type);
  });

  it.each([
    [['process'], /process needs a FILE/],
    [['process', 'a.wav', 'b.wav'], /one FILE/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['process', 'x.wav', '--mode', 'fast'], /--mode must be "segmented" or "simple", got "fast"/],
    [['process', 'x.wav', '--pool', '0'], /--pool must be a whole number from 1 to 64, got "0"/],
    [['process', 'x.wav', '--max-futures', 'many'], /--max-futures must be a whole number/],
    [['process', 'x.wav', '--chunk-ms', '-5'], /--chunk-ms/],
    [['process', 'x.wav', '--chunk-ms', '0'], /--chunk-ms must be a whole number from 1 to 600000, got "0"/],
    [['process', 'x.wav', '--bogus'], /Unknown option '--bogus'/],
    [['process', 'x.wav', '--vad', '{"redemption_frames": 1000}'], /--vad: redemption_frames must be between 0 and 100/],
    [['process', 'x.wav', '--vad', 'loud'], /--vad must be a JSON object/],
    [['process', 'x.wav', '--model-config', '/nonexistent.json'], /--model-config: cannot read/],
  ])('refuses %j with one line on stderr, nothing on stdout and exit 2', async (args, message) => {
    const { code, stdout, stderr } = await cli(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('refuses a model config with absurd values, naming them', async () => {
    const bad = join(scratch, 'bad.json');
    writeFileSync(bad, JSON.stringify({ model: { delay: -1, failure_rate: 2 } }));
    const { code, stdout, stderr } = await cli('process', dataFile('vad-node-test.wav'), '--model-config', bad);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/model\.delay: delay must not be negative; model\.failure_rate: .*between 0 and 1/);
  });

  it.each([
    ['missing.wav', null, /cannot decode .*missing\.wav: no such file/],
    ['empty.wav', Buffer.alloc(0), /the file is empty/],
    ['notes.txt', Buffer.from('these are not sounds\n'.repeat(50)), /not a recognised audio format/],
    [
      'truncated.mp3',
      Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(3000, 0x55)]),
      /cannot decode .*truncated\.mp3: the mp3 decoder found no audio/,
    ],
  ])('gives a one-line error and exit 1 for an undecodable file (%s)', async (name, content, message) => {
    const path = join(scratch, name);
    if (content) writeFileSync(path, content);
    const { code, stdout, stderr } = await cli('process', path, '--model-config', instantModel);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('documents every option in --help', async () => {
    const { code, stdout } = await cli('process', '--help');
    expect(code).toBe(0);
    for (const option of ['--mode', '--interim', '--model-config', '--pool', '--max-futures', '--chunk-ms', '--vad', '--verbose', '--help']) {
      expect(stdout).toContain(option);
    }
  });
});
