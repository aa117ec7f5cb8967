/**
 * The admin panel's audit log, after Django's `django_admin_log`: who did what to which object,
 * when, with the details of the change; and the permission to read it (`view_logentry`).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_log', (t) => {
    t.bigIncrements('id');
    // The actor's row may be deleted later; the log keeps the name it had.
    t.integer('actor_id').nullable().references('auth_user.id').onDelete('SET NULL').index();
    t.string('actor_username', 150).notNullable();
    t.string('action', 64).notNullable();
    t.string('target_type', 64).notNullable();
    t.string('target_id', 64).nullable();
    t.string('target_repr', 200).notNullable().defaultTo('');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index();
  });
  await knex('auth_permission').insert({ codename: 'view_logentry', name: 'Can view log entry', model: 'logentry' });
}

export async function down(knex: Knex): Promise<void> {
  await knex('auth_permission').where({ codename: 'view_logentry' }).delete();
  await knex.schema.dropTable('admin_log');
}
