/**
 * The shared store of request counters for throttling across app instances, in the layout
 * `rate-limiter-flexible`'s PostgreSQL store reads and writes.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('throttle', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire').nullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('throttle');
}
