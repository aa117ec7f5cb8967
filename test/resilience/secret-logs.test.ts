/**
 * Secrets stay out of the log when the database is gone: a login, a refresh and a password change
 * against a stopped PostgreSQL server answer 503, and what the project's logger wrote at every
 * `LOG_LEVEL` holds neither password, nor hash, nor token.
 */
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { PrincipalCache } from '../../src/auth/principal-cache.js';
import type { Config } from '../../src/config.js';
import { createUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import { PASSWORD, testDeps } from '../support/app.js';
import { capturedLogger } from '../support/logs.js';
import { requirePostgresBinaries, startMigratedPostgres, type MigratedPostgres } from './support.js';

const LEVELS: ReadonlyArray<Config['logLevel']> = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

describe('resilience: secrets in the log while the database is down', function () {
  this.timeout(120_000);
  let server: MigratedPostgres | undefined;

  before(async function () {
    server = await startMigratedPostgres(requirePostgresBinaries(this));
    await createUser(server.database.knex, SYSTEM_ACTOR, { username: 'alice', password: PASSWORD });
  });

  after(async () => {
    await server?.destroy();
  });

  it('logs the outage at every level without a password, hash or token', async () => {
    // Sessions are checked from the cache, so that the password change reaches its own queries.
    const principals = new PrincipalCache({ ttlMs: 600_000 });
    principals.reset(true);
    const lines: string[] = [];
    const appAt = (level: Config['logLevel'], into: string[]) =>
      supertest(
        createApp({
          ...testDeps({ LOG_LEVEL: level }, server!.database.knex),
          principals,
          logger: capturedLogger(level, into),
        }).app.callback(),
      );
    const { password: hash } = await server!.database.knex('auth_user').where({ username: 'alice' }).first('password');
    const sessions = [];
    for (const _ of LEVELS) {
      const login = await appAt('silent', [])
        .post('/api/token/')
        .send({ username: 'alice', password: PASSWORD })
        .expect(200);
      await appAt('silent', []).get('/api/users/me/').set('Authorization', `Bearer ${login.body.access}`).expect(200);
      sessions.push(login.body as { access: string; refresh: string });
    }

    await server!.pg.stop();
    for (const [i, level] of LEVELS.entries()) {
      lines.length = 0;
      const app = appAt(level, lines);
      const { access, refresh } = sessions[i]!;
      expect((await app.post('/api/token/').send({ username: 'alice', password: PASSWORD })).status).to.equal(503);
      expect((await app.post('/api/token/refresh/').send({ refresh })).status).to.equal(503);
      const change = await app
        .post('/api/users/me/password/')
        .set('Authorization', `Bearer ${access}`)
        .send({ old_password: PASSWORD, new_password: 'brand-New-secret-42' });
      expect(change.status).to.equal(503);

      const log = lines.join('\n');
      for (const secret of [PASSWORD, 'brand-New-secret-42', hash, access, refresh])
        expect(log, `LOG_LEVEL=${level}`).not.to.include(secret);
      expect(log, `LOG_LEVEL=${level}`).not.to.match(/eyJ[\w-]{10,}|\$argon2/);
      const warnings = lines.filter((l) => (JSON.parse(l) as { msg: string }).msg === 'database unavailable');
      expect(warnings, `LOG_LEVEL=${level}`).to.have.length(['trace', 'debug', 'info', 'warn'].includes(level) ? 3 : 0);
    }
    await server!.pg.start();
  });
});
