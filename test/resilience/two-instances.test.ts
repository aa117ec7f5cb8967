/**
 * Two server processes on one database behave as one: a session blacklisted through one, or a
 * user deactivated by another process, is refused by both as soon as the database's notice
 * arrives — milliseconds, against a cache lifetime of ten minutes here — though each answers warm
 * tokens from its own cache; and the login throttle counts across both.
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import { PASSWORD } from '../support/app.js';
import { productionServerEnv } from '../support/config.js';
import { freePort, startServer, type ServerProcess } from '../support/processes.js';
import { request, type Answer } from '../ops/support.js';
import { requirePostgresBinaries, startPrivatePostgres, type PrivatePostgres } from './support.js';

describe('resilience: two app instances on one database', function () {
  this.timeout(120_000);
  let pg: PrivatePostgres | undefined;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let knex: Knex | undefined;

  before(async function () {
    const bin = requirePostgresBinaries(this);
    pg = await startPrivatePostgres(bin, await freePort());
    const env = productionServerEnv({
      DATABASE_URL: pg.url,
      THROTTLE_LOGIN_PER_IP: '3/m',
      // Far longer than the tests wait: only a notice can make a cached answer change in time.
      CACHE_TTL: '10m',
    });
    // One after the other: the first migrates.
    a = await startServer(env);
    b = await startServer(env);
    knex = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
    await createUser(knex, SYSTEM_ACTOR, { username: 'alice', password: PASSWORD });
  });

  after(async () => {
    await knex?.destroy();
    for (const server of [a, b]) {
      if (server && server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
    await pg?.destroy();
  });

  const post = (base: string, path: string, body: unknown): Promise<Answer> =>
    request(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const me = (base: string, access: string) =>
    request(`${base}/api/users/me/`, { headers: { Authorization: `Bearer ${access}` } });

  /**
   * Asks `/me/` until it answers `status`, for at most `withinMs`; the last answer. A notice is
   * sent when the writer commits and reaches the other processes a moment later, so a request
   * racing it by microseconds may still be answered from the cache it is about to evict.
   */
  async function meSettles(base: string, access: string, status: number, withinMs = 2_000): Promise<Answer> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const answer = await me(base, access);
      if (answer.status === status || Date.now() > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('refuses on one instance, as soon as the notice arrives, a session logged out through the other', async () => {
    // Login 1 of the 3 the address may make per minute.
    const login = await post(a!.url, '/api/token/', { username: 'alice', password: PASSWORD });
    expect(login.status, login.body).to.equal(200);
    const { access, refresh } = JSON.parse(login.body) as { access: string; refresh: string };
    // The second answer comes from B's cache.
    for (let i = 0; i < 2; i++) expect((await me(b!.url, access)).status, 'B accepts the token A issued').to.equal(200);

    const logout = await post(a!.url, '/api/token/blacklist/', { refresh });
    expect(logout.status, logout.body).to.equal(200);

    const refused = await meSettles(b!.url, access, 401);
    expect(refused.status, refused.body).to.equal(401);
    expect(JSON.parse(refused.body)).to.include({ code: 'token_not_valid' });
    expect((await post(b!.url, '/api/token/refresh/', { refresh })).status, 'refresh on B').to.equal(401);
  });

  it('refuses on both instances, as soon as the notice arrives, a user deactivated by another process', async () => {
    // Login 2 of 3.
    const login = await post(b!.url, '/api/token/', { username: 'alice', password: PASSWORD });
    expect(login.status, login.body).to.equal(200);
    const { access } = JSON.parse(login.body) as { access: string };
    for (const base of [a!.url, b!.url, a!.url, b!.url]) expect((await me(base, access)).status).to.equal(200);

    await knex!('auth_user').where({ username: 'alice' }).update({ is_active: false });
    for (const base of [a!.url, b!.url]) {
      const refused = await meSettles(base, access, 401);
      expect(refused.status, `${base}: ${refused.body}`).to.equal(401);
      expect(JSON.parse(refused.body)).to.include({ code: 'user_inactive' });
    }
    await knex!('auth_user').where({ username: 'alice' }).update({ is_active: true });
    for (const base of [a!.url, b!.url])
      expect((await meSettles(base, access, 200)).status, `${base}: active again`).to.equal(200);
  });

  it('counts login attempts per address across both instances (THROTTLE_LOGIN_PER_IP=3/m)', async () => {
    // Login 3 of 3, on the other instance.
    const third = await post(b!.url, '/api/token/', { username: 'alice', password: PASSWORD });
    expect(third.status, third.body).to.equal(200);
    for (const base of [a!.url, b!.url]) {
      const fourth = await post(base, '/api/token/', { username: 'alice', password: PASSWORD });
      expect(fourth.status, `${base}: ${fourth.body}`).to.equal(429);
      expect(fourth.headers['retry-after']).to.match(/^\d+$/);
      expect(JSON.parse(fourth.body).detail).to.match(/^Request was throttled\. Expected available in \d+ seconds?\.$/);
    }
  });
});
