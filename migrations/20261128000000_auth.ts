/**
 * Users, groups, permissions and simplejwt's token tables, under Django's own table and column
 * names so that data exported from the Django database loads as it is.
 */
import type { Knex } from 'knex';

/** The permissions of this migration, frozen here as Django's post-migrate step would create them. */
const PERMISSIONS: Array<[model: string, verboseName: string]> = [
  ['user', 'user'],
  ['group', 'group'],
  ['permission', 'permission'],
  ['outstandingtoken', 'outstanding token'],
  ['blacklistedtoken', 'blacklisted token'],
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('auth_user', (t) => {
    t.increments('id');
    t.string('password', 255).notNullable();
    t.timestamp('last_login', { useTz: true }).nullable();
    t.boolean('is_superuser').notNullable().defaultTo(false);
    t.string('username', 150).notNullable().unique();
    t.string('first_name', 150).notNullable().defaultTo('');
    t.string('last_name', 150).notNullable().defaultTo('');
    t.string('email', 254).notNullable().defaultTo('');
    t.boolean('is_staff').notNullable().defaultTo(false);
    t.boolean('is_active').notNullable().defaultTo(true);
    t.timestamp('date_joined', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('auth_group', (t) => {
    t.increments('id');
    t.string('name', 150).notNullable().unique();
  });

  await knex.schema.createTable('auth_permission', (t) => {
    t.increments('id');
    t.string('name', 255).notNullable();
    t.string('codename', 100).notNullable().unique();
    t.string('model', 100).notNullable();
  });

  await knex.schema.createTable('auth_user_groups', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('auth_user.id').onDelete('CASCADE');
    t.integer('group_id').notNullable().references('auth_group.id').onDelete('CASCADE').index();
    t.unique(['user_id', 'group_id']);
  });

  await knex.schema.createTable('auth_group_permissions', (t) => {
    t.increments('id');
    t.integer('group_id').notNullable().references('auth_group.id').onDelete('CASCADE');
    t.integer('permission_id').notNullable().references('auth_permission.id').onDelete('CASCADE').index();
    t.unique(['group_id', 'permission_id']);
  });

  await knex.schema.createTable('auth_user_user_permissions', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('auth_user.id').onDelete('CASCADE');
    t.integer('permission_id').notNullable().references('auth_permission.id').onDelete('CASCADE').index();
    t.unique(['user_id', 'permission_id']);
  });

  await knex.schema.createTable('token_blacklist_outstandingtoken', (t) => {
    t.increments('id');
    t.integer('user_id').nullable().references('auth_user.id').onDelete('SET NULL').index();
    t.string('jti', 255).notNullable().unique();
    t.text('token').notNullable();
    t.timestamp('created_at', { useTz: true }).nullable();
    t.timestamp('expires_at', { useTz: true }).notNullable().index();
    // Beyond simplejwt: the session (login) a refresh token belongs to, kept across rotations, so
    // that an access token can be refused as soon as its session is blacklisted.
    t.uuid('session_id').notNullable().index();
  });

  await knex.schema.createTable('token_blacklist_blacklistedtoken', (t) => {
    t.increments('id');
    t.integer('token_id').notNullable().unique().references('token_blacklist_outstandingtoken.id').onDelete('CASCADE');
    t.timestamp('blacklisted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  const rows = PERMISSIONS.flatMap(([model, verbose]) =>
    (['add', 'change', 'delete', 'view'] as const).map((action) => ({
      codename: `${action}_${model}`,
      name: `Can ${action} ${verbose}`,
      model,
    })),
  );
  rows.push({ codename: 'blacklist_token', name: 'Can blacklist tokens', model: 'outstandingtoken' });
  await knex('auth_permission').insert(rows);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'token_blacklist_blacklistedtoken',
    'token_blacklist_outstandingtoken',
    'auth_user_user_permissions',
    'auth_group_permissions',
    'auth_user_groups',
    'auth_permission',
    'auth_group',
    'auth_user',
  ]) {
    await knex.schema.dropTable(table);
  }
}
