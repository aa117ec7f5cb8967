/**
 * `sweep-orphans`: removes objects of the store that no file row refers to, once older than a grace
 * period. Shows a progress bar on a terminal.
 *
 * @module
 */
import cliProgress from 'cli-progress';
import { OBJECT_PREFIX, sweepOrphans, type FileDeps } from '../files/service.js';
import type { Output } from './output.js';

/** Options of the `sweep-orphans` command. */
export interface SweepCommandOptions {
  /** Seconds an orphan must have existed before it is removed. */
  readonly graceSeconds: number;
  /** List what would be removed, remove nothing. */
  readonly dryRun: boolean;
  /** The terminal to draw a progress bar on, or `null` for none (output to a file, a pipe, cron). */
  readonly progress: NodeJS.WritableStream | null;
}

/**
 * Runs the sweep and prints what it found and did.
 *
 * @param deps - the database and the configured store
 * @param out - where result lines go
 * @throws {@link StorageUnavailableError} when the store is down (the CLI prints one line and exits non-zero)
 * @example
 * await sweepOrphansCommand(deps, { graceSeconds: 86400, dryRun: true, progress: process.stdout.isTTY ? process.stdout : null }, stdoutOutput);
 */
export async function sweepOrphansCommand(
  deps: Pick<FileDeps, 'knex' | 'storage'>,
  options: SweepCommandOptions,
  out: Output,
): Promise<void> {
  const bar = options.progress
    ? new cliProgress.SingleBar(
        {
          format: 'Sweeping {bar} {value}/{total} objects',
          hideCursor: true,
          clearOnComplete: true,
          stream: options.progress,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let report;
  try {
    report = await sweepOrphans(deps, {
      graceSeconds: options.graceSeconds,
      dryRun: options.dryRun,
      onListed: (total) => bar?.start(total, 0),
      onProgress: (examined) => bar?.update(examined),
    });
  } finally {
    bar?.stop();
  }
  const verb = options.dryRun ? 'Would remove' : 'Removed';
  for (const orphan of report.orphans)
    out.line(`${verb} ${orphan.key} (${orphan.size} bytes, ${orphan.lastModified.toISOString()})`);
  out.line(
    `${verb} ${report.orphans.length} orphaned object(s), ${report.bytes} bytes; examined ${report.examined} object(s) under ${OBJECT_PREFIX}, ` +
      `kept ${report.young} orphan(s) younger than the grace period.`,
  );
}
