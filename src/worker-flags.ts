/**
 * The V8 flags the server gives its worker processes (the memory settings a worker runs best
 * with; measured in docs/md/benchmarks.md, "Hot paths": a smaller young generation, the old
 * generation collected sooner).
 *
 * @module
 */
import type { Config } from './config.js';

/**
 * The V8 flags of the worker processes the server starts: `--max-semi-space-size` from
 * `WORKER_MAX_SEMI_SPACE_MB` and `--heap-growing-percent` from `WORKER_HEAP_GROWING_PERCENT`, each
 * left out at `0` so that V8's default holds.
 *
 * @example
 * workerV8Flags(loadConfig({ SECRET_KEY, WORKER_HEAP_GROWING_PERCENT: '0' })); // ['--max-semi-space-size=4']
 */
export function workerV8Flags(config: Pick<Config, 'workerMaxSemiSpaceMb' | 'workerHeapGrowingPercent'>): string[] {
  const flags: string[] = [];
  if (config.workerMaxSemiSpaceMb > 0) flags.push(`--max-semi-space-size=${config.workerMaxSemiSpaceMb}`);
  if (config.workerHeapGrowingPercent > 0) flags.push(`--heap-growing-percent=${config.workerHeapGrowingPercent}`);
  return flags;
}
