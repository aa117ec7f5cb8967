/**
 * The objection models are bound to no database: each query runs on the knex instance or
 * transaction it is given, so two databases open in one process never see each other's rows.
 */
import { expect } from 'chai';
import { migrateLatest, openDatabase, type Database } from '../../src/db/database.js';
import { User } from '../../src/db/models.js';
import { createUser, findUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import { makeGroup, PASSWORD } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

describe('objection models', function () {
  this.timeout(120_000);
  let other: Database;

  before(async () => {
    other = await openDatabase({ kind: 'pglite', dataDir: null });
    await migrateLatest(other.knex);
  });
  after(async () => {
    await other.close();
  });

  it('run each query on the database they are given, with two open in one process', async () => {
    await makeGroup('editors');
    const here = await createUser(testKnex(), SYSTEM_ACTOR, {
      username: 'here',
      password: PASSWORD,
      groups: ['editors'],
    });
    const there = await createUser(other.knex, SYSTEM_ACTOR, { username: 'there', password: PASSWORD });
    expect((await User.query(testKnex()).select('username')).map((u) => u.username)).to.deep.equal(['here']);
    expect((await User.query(other.knex).select('username')).map((u) => u.username)).to.deep.equal(['there']);
    expect((await findUser(testKnex(), here.id))?.groups).to.deep.equal(['editors']);
    expect((await findUser(other.knex, there.id))?.groups).to.deep.equal([]);
  });

  it('refuse to migrate a server database whose encoding is not UTF8, saying what to do', async function () {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) {
      process.stdout.write(
        '      skipped: a database of another encoding needs a PostgreSQL server (set TEST_DATABASE_URL)\n',
      );
      this.skip();
    }
    const name = `backoffice_ascii_${process.pid}`;
    await testKnex().raw(`CREATE DATABASE ${name} ENCODING 'SQL_ASCII' TEMPLATE template0`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    const ascii = await openDatabase({
      kind: 'postgres',
      connectionString: target.toString(),
      poolMax: 1,
      statementTimeout: 0,
    });
    try {
      await migrateLatest(ascii.knex).then(
        () => expect.fail('migrated'),
        (error: Error) => expect(error.message).to.match(/encoding is SQL_ASCII, Backoffice needs UTF8/),
      );
      expect(await ascii.knex.schema.hasTable('auth_user')).to.equal(false);
    } finally {
      await ascii.close();
      await testKnex().raw(`DROP DATABASE ${name}`);
    }
  });

  it('roll back with the transaction they were given', async () => {
    await testKnex()
      .transaction(async (trx) => {
        await createUser(trx, SYSTEM_ACTOR, { username: 'ghost', password: PASSWORD });
        throw new Error('abort');
      })
      .catch(() => undefined);
    expect(await User.query(testKnex()).where({ username: 'ghost' }).first()).to.equal(undefined);
  });
});
