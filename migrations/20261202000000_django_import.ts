/**
 * What importing the Django database needs beyond Django's tables: the admin log entry each
 * imported entry came from (so that a second import updates it), and a per-user cut-off for the
 * tokens Django issued, which carry no session (`sid`) and so cannot be refused by session.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('admin_log', (t) => {
    // Django's django_admin_log.id of an imported entry; NULL for this project's own entries.
    t.bigInteger('django_id').nullable().unique();
  });
  await knex.schema.createTable('auth_legacy_token_cutoff', (t) => {
    t.integer('user_id').primary().references('auth_user.id').onDelete('CASCADE');
    // Tokens without a session issued (iat) before this instant are refused: set when all of the
    // user's tokens are blacklisted (log out everywhere, password change).
    t.timestamp('not_before', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('auth_legacy_token_cutoff');
  await knex.schema.alterTable('admin_log', (t) => {
    t.dropColumn('django_id');
  });
}
