// The Node flags `npm run cli` starts the command line with, so that benchmarks measure the
// command line exactly as a user runs it.
import { readFileSync } from 'node:fs';

export function cliNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  const match = /node ((?:--\S+ )*)out\/node\/cli\.js/.exec(scripts['cli']!);
  return match?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}
