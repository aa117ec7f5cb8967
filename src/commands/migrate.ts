/**
 * `migrate up|down|status`: apply, roll back (the last batch) or list migrations.
 *
 * @module
 */
import type { Knex } from 'knex';
import { migrationSource } from '../db/database.js';
import { migrateDatabase } from '../registry.js';
import type { Logger } from '../logger.js';
import { normalizeUsername, usernameReport } from '../users/service.js';
import type { Output } from './output.js';

/** The migrate sub-actions. */
export type MigrateAction = 'up' | 'down' | 'status';

/**
 * Runs a migrate action and says what it did. After `up`, it reports the stored usernames that the
 * rules of new names would refuse ({@link reportUsernames}); they are reported, never changed, and
 * the migration succeeds.
 *
 * @param logger - where the username report is also logged, as a warning
 * @example
 * await migrate(knex, 'status', stdoutOutput);
 */
export async function migrate(knex: Knex, action: MigrateAction, out: Output, logger?: Logger): Promise<void> {
  if (action === 'up') {
    const { migrations, permissions } = await migrateDatabase(knex, {
      onWait: () => out.line('Another process is migrating this database; waiting for it.'),
    });
    out.line(
      migrations.length ? `Applied: ${migrations.join(', ')}` : 'No migrations to apply; the database is current.',
    );
    if (permissions.length) out.line(`Permissions created: ${permissions.join(', ')}`);
    await reportUsernames(knex, out, logger);
  } else if (action === 'down') {
    const [, reverted] = (await knex.migrate.rollback()) as [number, string[]];
    out.line(reverted.length ? `Rolled back: ${reverted.join(', ')}` : 'Nothing to roll back.');
  } else {
    // Pending ones come as the migration source lists them (file names), applied ones as recorded.
    const [done, pending] = (await knex.migrate.list()) as [Array<{ name: string }>, string[]];
    for (const m of done) out.line(`[x] ${m.name}`);
    for (const file of pending) out.line(`[ ] ${migrationSource.getMigrationName(file)}`);
    out.line(`${done.length} applied, ${pending.length} pending.`);
  }
}

/**
 * Prints (and logs as a warning) the usernames that are one name once NFKC-normalised and
 * lower-cased — `Admin`, `admin`, fullwidth `ａｄｍｉｎ` — and the names not in NFKC form, which
 * cannot log in (logins look the NFKC form up). New users and renames can no longer take such a
 * name; the ones already there are for an administrator to rename. Prints nothing when there are none.
 *
 * @example
 * await reportUsernames(knex, stdoutOutput);
 * // Warning: 1 group of usernames are one name once NFKC-normalised and lower-cased: …
 */
export async function reportUsernames(knex: Knex, out: Output, logger?: Logger): Promise<void> {
  const { lookAlikes, unnormalized } = await usernameReport(knex);
  if (lookAlikes.length) {
    out.line(
      `Warning: ${lookAlikes.length} group(s) of usernames are one name once NFKC-normalised and lower-cased (look-alikes):`,
    );
    for (const group of lookAlikes) out.line(`  ${group.join(', ')}`);
    out.line(
      '  Rename all but one account of each group (PATCH /api/users/{id}/ or the admin), then run migrate again to check.',
    );
    logger?.warn({ groups: lookAlikes }, 'look-alike usernames: rename all but one of each group');
  }
  if (unnormalized.length) {
    out.line(`Warning: ${unnormalized.length} username(s) are not in NFKC form and cannot log in until renamed:`);
    for (const name of unnormalized) out.line(`  ${name} (as ${normalizeUsername(name)})`);
    out.line('  Rename each to its NFKC form, or to another name if that one is taken.');
    logger?.warn({ usernames: unnormalized }, 'usernames not in NFKC form cannot log in: rename them');
  }
}
