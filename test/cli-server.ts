// `cli -- serve` as a user starts it (the bundled command line with `npm run cli`'s Node flags),
// on a free loopback port, for the tests and benchmarks that need a real server process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The Node flags `npm run cli` starts the command line with. */
export function cliNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  const match = /node ((?:--\S+ )*)out\/node\/cli\.js/.exec(scripts['cli']!);
  return match?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

export interface CliServer {
  url: string;
  process: ChildProcess;
  /** Stops it as Ctrl-C would, and waits for it to exit. */
  stop(): Promise<void>;
}

export async function startCliServer(dataDir: string, modelConfig: string): Promise<CliServer> {
  const server = spawn(process.execPath, [...cliNodeFlags(), 'out/node/cli.js', 'serve', '--port', '0', '--data-dir', dataDir, '--model-config', modelConfig], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (\S+)/.exec(String(chunk));
      if (match) resolve(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return {
    url,
    process: server,
    stop: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    },
  };
}
