/**
 * An index on usernames as uniqueness compares them — NFKC-normalised, then lower-cased — so that
 * the check on every create and rename, and the report of look-alikes at `migrate`, find a name
 * without reading every user. Not unique: a database may already hold look-alikes (`Admin` and
 * `admin`), which `migrate` reports for an administrator to rename; a unique index would refuse to
 * build on it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX auth_user_username_folded ON auth_user (lower(normalize(username, NFKC)))');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX auth_user_username_folded');
}
