/**
 * `migrate up|down|status`: apply, roll back (the last batch) or list migrations.
 *
 * @module
 */
import type { Knex } from 'knex';
import { migrateLatest, migrationSource } from '../db/database.js';
import type { Output } from './output.js';

/** The migrate sub-actions. */
export type MigrateAction = 'up' | 'down' | 'status';

/**
 * Runs a migrate action and says what it did.
 *
 * @example
 * await migrate(knex, 'status', stdoutOutput);
 */
export async function migrate(knex: Knex, action: MigrateAction, out: Output): Promise<void> {
  if (action === 'up') {
    const applied = await migrateLatest(knex, {
      onWait: () => out.line('Another process is migrating this database; waiting for it.'),
    });
    out.line(applied.length ? `Applied: ${applied.join(', ')}` : 'No migrations to apply; the database is current.');
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
