// `cli -- serve` as a user starts it (the bundled command line with `npm run cli`'s Node flags),
// on a free loopback port, for the tests and benchmarks that need a real server process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The Node flags `npm run cli` starts the command line with. */
export function cliNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  // Loudly, not an empty list: a silent mismatch once let the server benchmark run without them.
  const match = /^node ((?:--\S+ )*)scripts\/cli\.mjs$/.exec(scripts['cli']!);
  if (!match) throw new Error(`package.json's "cli" script is not "node [flags] scripts/cli.mjs": ${scripts['cli']}`);
  return match[1]!.trim().split(/\s+/).filter(Boolean);
}

export interface CliServer {
  url: string;
  /** The access token it printed (it prints one when it listens elsewhere than on loopback). */
  token?: string;
  /** Everything it has printed on stdout so far. */
  stdout(): string;
  process: ChildProcess;
  /** Stops it as Ctrl-C would, and waits for it to exit. */
  stop(): Promise<void>;
}

/** `extraArgs` go after the others (e.g. `--host 0.0.0.0`). */
export async function startCliServer(dataDir: string, modelConfig: string, extraArgs: string[] = []): Promise<CliServer> {
  const server = spawn(
    process.execPath,
    [...cliNodeFlags(), 'out/node/cli.js', 'serve', '--port', '0', '--data-dir', dataDir, '--model-config', modelConfig, ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let printed = '';
  const { url, token } = await new Promise<{ url: string; token?: string }>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      printed += String(chunk);
      const url = /listening on (\S+)\n/.exec(printed)?.[1];
      // Off loopback, the token comes on the next line.
      const token = /Access token: (\S+)\n/.exec(printed)?.[1];
      if (url && (token || isLoopbackUrl(url))) resolve({ url, token });
    });
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return {
    url,
    token,
    stdout: () => printed,
    process: server,
    stop: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    },
  };
}

function isLoopbackUrl(url: string): boolean {
  const { hostname } = new URL(url);
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}
