/**
 * Mocha root hooks: one database for the whole run (migrated from scratch), emptied before each
 * test so that tests never see each other's rows. Permissions, created by the migrations, stay.
 */
import fs from 'node:fs';
import type { Knex } from 'knex';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateDatabase } from '../../src/registry.js';
import { TEST_MEDIA_ROOT, testConfig } from './config.js';

let database: Database | null = null;

/** The shared test database. */
export function testDatabase(): Database {
  if (!database) throw new Error('the test database is not open (test/support/hooks.ts)');
  return database;
}

/** The query builder of the shared test database. */
export function testKnex(): Knex {
  return testDatabase().knex;
}

const TABLES = [
  'files',
  'token_blacklist_blacklistedtoken',
  'token_blacklist_outstandingtoken',
  'auth_user_user_permissions',
  'auth_group_permissions',
  'auth_user_groups',
  'auth_group',
  'auth_user',
  'throttle',
  'admin_log',
];

/** Empties every table the tests write, keeping the permissions the migrations created. */
export async function resetDatabase(knex: Knex = testKnex()): Promise<void> {
  const present: string[] = await knex('pg_tables')
    .where({ schemaname: 'public' })
    .whereIn('tablename', TABLES)
    .pluck('tablename');
  if (present.length) await knex.raw(`TRUNCATE ${present.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY CASCADE`);
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    database = await openDatabase(testConfig().database);
    // A server database may hold an older run's schema: start from nothing, through the migrations.
    await database.knex.migrate.rollback(undefined, true);
    await migrateDatabase(database.knex);
  },
  async beforeEach() {
    await resetDatabase();
  },
  async afterAll() {
    await database?.close();
    database = null;
    fs.rmSync(TEST_MEDIA_ROOT, { recursive: true, force: true });
  },
};
