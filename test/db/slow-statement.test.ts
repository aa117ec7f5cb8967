/**
 * A slow statement never stops the server from answering: the embedded database runs in a thread
 * of its own, so the event loop answers while a statement runs there; on a PostgreSQL server,
 * `DATABASE_STATEMENT_TIMEOUT` cancels a request's statement that runs too long, and the request
 * gets DRF's 503. The CLI's statements run to the end.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/database.js';
import { domainErrorOfDatabase } from '../../src/db/classify-error.js';
import { UnavailableError } from '../../src/errors.js';
import { openDeps } from '../../src/startup.js';
import { bearer, makeUser, testDeps } from '../support/app.js';
import { testConfig } from '../support/config.js';
import { ownEmbeddedDatabase } from '../support/embedded.js';
import { testKnex } from '../support/hooks.js';

const UNAVAILABLE = { detail: 'Service temporarily unavailable.' };

describe('a slow statement never stops the server from answering', function () {
  this.timeout(60_000);

  describe('on the embedded database', () => {
    const database = ownEmbeddedDatabase();

    it('answers GET /api/health/live/ at once while a statement runs for seconds', async () => {
      const client = supertest(createApp(testDeps({ DATABASE_URL: undefined }, database().knex)).app.callback());
      const started = Date.now();
      let slowDone = false;
      const slow = database()
        .knex.raw('select pg_sleep(3)')
        .then(() => (slowDone = true));
      // The statement is under way (an event loop held by it would run this timer only after it).
      await new Promise((resolve) => setTimeout(resolve, 200));

      const asked = Date.now();
      await client.get('/api/health/live/').expect(200);
      const answeredInMs = Date.now() - asked;
      expect(slowDone, 'the slow statement was still running').to.equal(false);
      expect(answeredInMs, 'liveness answered within 500 ms').to.be.below(500);

      await slow;
      expect(Date.now() - started, 'the statement did run for its 3 s').to.be.at.least(2_900);
    });
  });

  describe('on a PostgreSQL server', () => {
    before(function () {
      if (process.env.TEST_DATABASE_URL) return;
      process.stdout.write('      skipped: statement_timeout needs a PostgreSQL server (set TEST_DATABASE_URL)\n');
      this.skip();
    });

    it('answers 503 with DRF’s body when a statement outlasts DATABASE_STATEMENT_TIMEOUT, logged as a warning', async () => {
      const user = await makeUser({ username: 'patient' });
      const authorization = await bearer(user);
      const db = await openDatabase(testConfig({ DATABASE_STATEMENT_TIMEOUT: '1' }).database);
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
      const client = supertest(createApp({ ...testDeps(), knex: db.knex, logger }).app.callback());
      // Another session holds the users table: the request's first statement waits on it past 1 s.
      const holder = await testKnex().transaction();
      try {
        await holder.raw('LOCK TABLE auth_user IN ACCESS EXCLUSIVE MODE');
        const started = Date.now();
        const res = await client
          .get('/api/users/me/')
          .set('Authorization', authorization)
          .set('X-Request-Id', 'slow-1');
        expect(res.status).to.equal(503);
        expect(res.body).to.deep.equal(UNAVAILABLE);
        expect(Date.now() - started, 'cancelled after about a second').to.be.within(900, 10_000);
      } finally {
        await holder.rollback();
        await db.close();
      }
      const logged = lines.map(
        (line) => JSON.parse(line) as { level: number; reqId?: string; msg: string; err?: { code?: string } },
      );
      expect(logged.map((l) => [l.level, l.reqId, l.msg, l.err?.code])).to.deep.equal([
        [40, 'slow-1', 'database unavailable', '57014'],
      ]);
    });

    it('runs the CLI’s statements to the end, and bounds only a serving process’s', async () => {
      const config = testConfig({ DATABASE_STATEMENT_TIMEOUT: '1' });
      const command = await openDeps(config);
      try {
        expect((await command.knex.raw('SHOW statement_timeout')).rows).to.deep.equal([{ statement_timeout: '0' }]);
        await command.knex.raw('select pg_sleep(1.5)');
      } finally {
        await command.close();
      }
      const server = await openDeps(config, { serving: true });
      try {
        expect((await server.knex.raw('SHOW statement_timeout')).rows).to.deep.equal([{ statement_timeout: '1s' }]);
        const error = await server.knex.raw('select pg_sleep(1.5)').then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).to.have.property('code', '57014');
      } finally {
        await server.close();
      }
    });
  });

  it('a statement the database cancelled (SQLSTATE 57014) is "unavailable", not a bug', () => {
    const cancelled = domainErrorOfDatabase(
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    );
    expect(cancelled).to.be.instanceOf(UnavailableError);
    expect((cancelled as UnavailableError).service).to.equal('database');
    expect(domainErrorOfDatabase(Object.assign(new Error('division by zero'), { code: '22012' }))).to.equal(undefined);
  });
});
