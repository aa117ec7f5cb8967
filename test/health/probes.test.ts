/**
 * The orchestrator's probes, in process: liveness checks nothing, readiness checks the database,
 * the storage, the schema's migrations and whether the process drains; neither is throttled.
 */
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/database.js';
import { api, testDeps } from '../support/app.js';
import { testConfig } from '../support/config.js';
import { testKnex } from '../support/hooks.js';

describe('probes: /api/health/live/ and /api/health/ready/', () => {
  it('liveness answers ok without asking any dependency', async () => {
    const res = await api().get('/api/health/live/').expect(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('readiness answers 200 on a migrated database, naming each check', async () => {
    const res = await api().get('/api/health/ready/').expect(200);
    expect(res.body).to.deep.equal({
      status: 'ok',
      checks: { database: 'ok', storage: 'ok', migrations: 'ok', draining: 'ok' },
    });
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('readiness answers 503 once the server drains, while liveness and health stay 200', async () => {
    const { app, readiness } = createApp(testDeps());
    const client = supertest(app.callback());
    await client.get('/api/health/ready/').expect(200);
    readiness.drain();
    const res = await client.get('/api/health/ready/').expect(503);
    expect(res.body).to.deep.equal({
      status: 'down',
      checks: { database: 'ok', storage: 'ok', migrations: 'ok', draining: 'down' },
    });
    await client.get('/api/health/live/').expect(200);
    await client.get('/api/health/').expect(200);
  });

  it('readiness answers 503 "migrations" on a database whose schema is not at the latest migration', async () => {
    // A database of its own: the shared one must stay migrated.
    const empty = await openDatabase(testConfig({ DATABASE_URL: undefined }).database);
    try {
      // PGlite starts on its first query: not within a check's 2 s on a busy machine.
      await empty.knex.raw('select 1');
      const client = supertest(createApp(testDeps({ DATABASE_URL: undefined }, empty.knex)).app.callback());
      const unmigrated = await client.get('/api/health/ready/').expect(503);
      expect(unmigrated.body.checks).to.include({ database: 'ok', migrations: 'down' });
      // The health check does not look at migrations.
      await client.get('/api/health/').expect(200);

      // One migration short of the latest is not ready either.
      await empty.knex.migrate.latest();
      const last = (await empty.knex('knex_migrations').max({ id: 'id' }).first()) as { id: number };
      const [row] = (await empty.knex('knex_migrations').where({ id: last.id }).select('name')) as Array<{
        name: string;
      }>;
      await empty.knex('knex_migrations').where({ id: last.id }).delete();
      expect((await client.get('/api/health/ready/').expect(503)).body.checks.migrations).to.equal('down');
      await empty.knex('knex_migrations').insert({ name: row!.name, batch: 1, migration_time: new Date() });
      expect((await client.get('/api/health/ready/').expect(200)).body.checks.migrations).to.equal('ok');
    } finally {
      await empty.close();
    }
  });

  it('readiness stays ok when a newer release recorded migrations this build does not know', async () => {
    const client = api();
    await testKnex()('knex_migrations').insert({
      name: '29991231000000_from_a_newer_release',
      batch: 99,
      migration_time: new Date(),
    });
    try {
      await client.get('/api/health/ready/').expect(200);
    } finally {
      await testKnex()('knex_migrations').where({ name: '29991231000000_from_a_newer_release' }).delete();
    }
  });

  it('reports the database down when it does not answer', async () => {
    const closed = await openDatabase(testConfig({ DATABASE_URL: undefined }).database);
    await closed.close();
    const res = await supertest(createApp(testDeps({ DATABASE_URL: undefined }, closed.knex)).app.callback())
      .get('/api/health/ready/')
      .expect(503);
    expect(res.body.checks).to.include({ database: 'down', migrations: 'down' });
  });

  it('neither probe is throttled, nor does it use up the anonymous rate', async () => {
    const client = api({ THROTTLE_ANON: '2/m' });
    for (let i = 0; i < 5; i++) {
      await client.get('/api/health/live/').expect(200);
      // Not 429 (what it answers otherwise is the other tests' business).
      await client.get('/api/health/ready/').expect((res) => expect(res.status).to.not.equal(429));
    }
    await client.get('/api/permissions/').expect((res) => expect(res.status).to.not.equal(429));
  });
});
