/**
 * Reversibility checks on the shared test database, which every later test file still needs whole.
 */
import type { Knex } from 'knex';
import { migrationConfig } from '../../src/db/database.js';

/**
 * Takes the migrations back one at a time, the latest first, until `name` itself is undone: a later
 * migration may change the tables `name` creates (a column added to them), and undoing `name` alone
 * would drop that change for good. {@link redoMigrations} brings them all back.
 *
 * @returns the names undone, the latest first
 */
export async function undoMigrationsThrough(knex: Knex, name: string): Promise<string[]> {
  const undone: string[] = [];
  for (;;) {
    const [, names] = (await knex.migrate.down(migrationConfig)) as [number, string[]];
    if (names.length === 0) throw new Error(`migration ${name} is not applied`);
    undone.push(...names);
    if (names.some((n) => n.replace(/\.[cm]?[jt]s$/, '') === name)) return undone;
  }
}

/** Migrates the shared test database to the latest migration again. */
export async function redoMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest(migrationConfig);
}
