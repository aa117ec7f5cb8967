/**
 * `import-django --from <url>`: imports the Django backend's database (users, groups,
 * permissions, tokens, admin log) into the configured one, in one transaction. Shows a progress
 * bar on a terminal.
 *
 * @module
 */
import cliProgress from 'cli-progress';
import knexFactory, { type Knex } from 'knex';
import { importDjango, type ImportReport, type Upserted } from '../django/service.js';
import { FEATURES } from '../registry.js';
import { modelApps } from '../resources/features.js';
import type { Output } from './output.js';

/** Options of the `import-django` command. */
export interface ImportDjangoCommandOptions {
  /** The Django database, a `postgres://` URL; never printed (it may hold a password). */
  readonly from: string;
  readonly dryRun: boolean;
  readonly merge: boolean;
  /** The terminal to draw a progress bar on, or `null` for none. */
  readonly progress: NodeJS.WritableStream | null;
}

/**
 * Opens the Django database, imports it into `target`, prints the report.
 *
 * @param target - this project's database
 * @param out - where the report lines go
 * @throws {@link "django/service".ImportRefusedError} when the import is refused (nothing written)
 * @example
 * await importDjangoCommand(knex, { from: 'postgres://django@db/django', dryRun: true, merge: false, progress: null }, stdoutOutput);
 */
export async function importDjangoCommand(
  target: Knex,
  options: ImportDjangoCommandOptions,
  out: Output,
): Promise<ImportReport> {
  const source = knexFactory({ client: 'pg', connection: options.from, pool: { min: 0, max: 1 } });
  const bar = options.progress
    ? new cliProgress.SingleBar(
        {
          format: 'Importing {bar} {value}/{total} rows',
          hideCursor: true,
          clearOnComplete: true,
          stream: options.progress,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let report: ImportReport;
  try {
    report = await importDjango(target, source, {
      dryRun: options.dryRun,
      merge: options.merge,
      modelApps: modelApps(FEATURES),
      onProgress: (done, total) => (done === 0 ? bar?.start(total, 0) : bar?.update(done)),
    });
  } finally {
    bar?.stop();
    await source.destroy();
  }
  printReport(report, out);
  return report;
}

function upserted(what: string, counts: Upserted): string {
  return `${what}: ${counts.inserted} new, ${counts.updated} updated`;
}

/** Prints what the import did, or would do with `--dry-run`. */
export function printReport(report: ImportReport, out: Output): void {
  out.line(report.dryRun ? 'Dry run: nothing was written. The import would do this:' : 'Imported from Django:');
  out.line(`  ${upserted('users', report.users)}`);
  out.line(`  ${upserted('groups', report.groups)}`);
  for (const [what, synced] of [
    ['group memberships', report.memberships],
    ['group permissions', report.groupPermissions],
    ['user permissions', report.userPermissions],
  ] as const)
    out.line(`  ${what}: ${synced.added} added, ${synced.removed} removed`);
  out.line(`  ${upserted('outstanding tokens', report.outstandingTokens)}`);
  out.line(`  blacklisted tokens: ${report.blacklistedTokens} new`);
  out.line(`  ${upserted('admin log entries', report.logEntries)}`);
  if (report.otherUsers > 0) out.line(`  kept ${report.otherUsers} user(s) of this database that Django does not have`);
  const held = report.unmatchedPermissions.filter((p) => p.groups.length > 0 || p.users.length > 0);
  out.line(
    `${report.unmatchedPermissions.length} Django permission(s) have no counterpart here and were not imported; ` +
      `${held.length} of them were held:`,
  );
  for (const p of held) {
    const holders = [...p.groups.map((g) => `group "${g}"`), ...p.users.map((u) => `user "${u}"`)];
    out.line(`  ${p.app_label}.${p.codename}: ${holders.join(', ')}`);
  }
}
