// How many model processes to run when the settings and the command line do not say.
import { availableParallelism } from 'node:os';

/**
 * One core is left for the UI, the main process and the VAD; past four, each further process
 * costs another model's memory for little gain with a desktop's few streams. At least one.
 */
export function defaultPoolSize(cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, 4));
}
