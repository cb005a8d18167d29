// Option parsing shared by the commands: one-line errors that name the option.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeIssues } from '../../shared/api';
import { ModelConfigFileSchema, type ModelParams } from '../../shared/model-config';
import { CHUNK_MS_LIMITS, DEFAULT_CHUNK_MS, MAX_FUTURES_LIMITS, POOL_SIZE_LIMITS, type SessionSettings } from '../../shared/sessions';
import { VadSettingsSchema, type VadSettings } from '../../shared/vad-settings';
import { defaultPoolSize } from '../engine/pool-size';
import type { EngineOptions } from '../engine/streaming-context';
import { defaultDataDir } from '../storage/data-dir';
import shippedModelConfig from '../../../resources/model-config.json';
import { errorMessage } from '../../shared/errors';

/** A bad command line: exit status 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains itself over several lines; the first one says what was wrong.
    throw new UsageError(errorMessage(error).split('\n')[0]!);
  }
}

export function integerOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function positional(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1)
    throw new UsageError(positionals.length === 0 ? `${command} needs a ${what}` : `${command} takes one ${what}, got ${positionals.length}`);
  return positionals[0]!;
}

async function loadModelConfig(path: string | undefined): Promise<ModelParams> {
  if (path === undefined) return ModelConfigFileSchema.parse(shippedModelConfig).model;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--model-config: cannot read ${path}: ${errorMessage(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--model-config: ${path} is not valid JSON: ${errorMessage(error)}`);
  }
  const parsed = ModelConfigFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`--model-config: ${describeIssues(parsed.error)}`);
  return parsed.data.model;
}

/** Options of the engine's processes, for every command that runs the engine. */
export const ENGINE_OPTIONS = {
  'model-config': { type: 'string' },
  pool: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

export async function engineOptions(values: { 'model-config'?: string; pool?: string; verbose?: boolean }): Promise<EngineOptions> {
  return {
    poolSize: integerOption('pool', values.pool, defaultPoolSize(), POOL_SIZE_LIMITS.min, POOL_SIZE_LIMITS.max),
    model: await loadModelConfig(values['model-config']),
    log: values.verbose ? (line) => process.stderr.write(line + '\n') : undefined,
  };
}

/** How audio is processed, for `process` and `rerun`. */
export const RUN_OPTIONS = {
  mode: { type: 'string' },
  interim: { type: 'boolean' },
  'max-futures': { type: 'string' },
  'chunk-ms': { type: 'string' },
  vad: { type: 'string' },
} as const;

export function runSettings(
  values: { mode?: string; interim?: boolean; 'max-futures'?: string; 'chunk-ms'?: string; vad?: string },
  pool: number,
): Required<Omit<SessionSettings, 'vad'>> & { vad?: VadSettings } {
  const mode = values.mode ?? 'segmented';
  if (mode !== 'segmented' && mode !== 'simple') throw new UsageError(`--mode must be "segmented" or "simple", got "${mode}"`);
  let vad: VadSettings | undefined;
  if (values.vad !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(values.vad);
    } catch {
      throw new UsageError(`--vad must be a JSON object, got "${values.vad}"`);
    }
    const checked = VadSettingsSchema.safeParse(json);
    if (!checked.success) throw new UsageError(`--vad: ${describeIssues(checked.error)}`);
    vad = checked.data;
  }
  return {
    mode,
    interim_results: values.interim ?? false,
    max_futures: integerOption('max-futures', values['max-futures'], pool, MAX_FUTURES_LIMITS.min, MAX_FUTURES_LIMITS.max),
    chunk_ms: integerOption('chunk-ms', values['chunk-ms'], DEFAULT_CHUNK_MS, CHUNK_MS_LIMITS.min, CHUNK_MS_LIMITS.max),
    vad,
  };
}

export const DATA_DIR_OPTION = { 'data-dir': { type: 'string' } } as const;
export const dataDir = (values: { 'data-dir'?: string }) => values['data-dir'] ?? defaultDataDir();
