/**
 * When each session began, on every outstanding token of it, so that a session has an absolute
 * lifetime (`SESSION_MAX_LIFETIME`) however often it rotates. A rotation copies the spent token's
 * value to its successor; a login (and a token first seen here, issued by the Django backend) gets
 * the moment of its insert. The session's first token cannot serve: the nightly flush deletes it
 * once it expires, while the session rotates on.
 */
import type { Knex } from 'knex';

const OUTSTANDING = 'token_blacklist_outstandingtoken';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable(OUTSTANDING, (t) => {
    t.timestamp('session_started_at', { useTz: true }).nullable();
  });
  // A session that exists already began no later than its oldest token still recorded. The change
  // makes no session live or dead, so the change notices (its row trigger) stay quiet meanwhile.
  await knex.raw('ALTER TABLE ?? DISABLE TRIGGER backoffice_auth_notify', [OUTSTANDING]);
  await knex.raw(
    `UPDATE ?? o SET session_started_at = coalesce(s.started, now())
       FROM (SELECT session_id, min(created_at) AS started FROM ?? GROUP BY session_id) s
      WHERE s.session_id = o.session_id`,
    [OUTSTANDING, OUTSTANDING],
  );
  await knex.raw('ALTER TABLE ?? ENABLE TRIGGER backoffice_auth_notify', [OUTSTANDING]);
  await knex.schema.alterTable(OUTSTANDING, (t) => {
    t.timestamp('session_started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).alter();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(OUTSTANDING, (t) => {
    t.dropColumn('session_started_at');
  });
}
