/**
 * Uploaded files: one row per object in the store, and the `file` permissions.
 *
 * `owner_id` is `ON DELETE SET NULL`: a file is a business record (an invoice, a contract) that
 * outlives the account that uploaded it, and removing a user must not leave objects in the store
 * without rows (which `CASCADE` would, since the database cannot delete objects). Holders of
 * `view_file` still see such files, with `owner: null`.
 */
import type { Knex } from 'knex';

const PERMISSIONS = (['add', 'change', 'delete', 'view'] as const).map((action) => ({
  codename: `${action}_file`,
  name: `Can ${action} file`,
  model: 'file',
}));

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('files', (t) => {
    t.uuid('id').primary();
    t.string('name', 255).notNullable();
    t.bigInteger('size').notNullable();
    t.string('content_type', 255).notNullable();
    t.integer('owner_id').nullable().references('auth_user.id').onDelete('SET NULL');
    t.string('object_key', 512).notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['owner_id', 'created_at']);
    t.index(['created_at']);
  });
  await knex('auth_permission').insert(PERMISSIONS);
}

export async function down(knex: Knex): Promise<void> {
  await knex('auth_permission')
    .whereIn(
      'codename',
      PERMISSIONS.map((p) => p.codename),
    )
    .delete();
  await knex.schema.dropTable('files');
}
