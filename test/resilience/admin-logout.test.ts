/**
 * The admin's logout during a database outage: the session cannot be revoked, so the page says
 * so (503) and keeps the cookies instead of showing "logged out"; once the database is back the
 * session is still live, and logging out then revokes it.
 */
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { PrincipalCache } from '../../src/auth/principal-cache.js';
import { createUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import { cookieHeader, csrfOf, encodeForm, ORIGIN } from '../admin/support.js';
import { PASSWORD, testDeps } from '../support/app.js';
import { requirePostgresBinaries, startMigratedPostgres, type MigratedPostgres } from './support.js';

describe('resilience: admin logout while the database is down', function () {
  this.timeout(120_000);
  let server: MigratedPostgres | undefined;

  before(async function () {
    server = await startMigratedPostgres(requirePostgresBinaries(this));
    await createUser(server.database.knex, SYSTEM_ACTOR, {
      username: 'root',
      password: PASSWORD,
      is_staff: true,
      is_superuser: true,
    });
  });

  after(async () => {
    await server?.destroy();
  });

  it('shows the failure and keeps the session, then logs out once the database is back', async () => {
    // The session check is answered from the authentication cache, so the request reaches the
    // logout itself while the database is away.
    const principals = new PrincipalCache({ ttlMs: 600_000 });
    principals.reset(true);
    const client = supertest(createApp({ ...testDeps({}, server!.database.knex), principals }).app.callback());
    const login = await client
      .post('/admin/login/')
      .set(ORIGIN)
      .type('form')
      .send(encodeForm({ username: 'root', password: PASSWORD, next: '/admin/' }));
    expect(login.status, login.text).to.equal(302);
    const cookie = cookieHeader(login);
    const refresh = /refresh_token=([^;]+)/.exec(cookie)![1]!;
    const csrf = csrfOf((await client.get('/admin/').set('Cookie', cookie).expect(200)).text);
    const logout = () =>
      client
        .post('/admin/logout/')
        .set('Cookie', cookie)
        .set(ORIGIN)
        .type('form')
        .send(encodeForm({ csrfmiddlewaretoken: csrf }));

    await server!.pg.stop();
    const refused = await logout();
    expect(refused.status, refused.text).to.equal(503);
    expect(refused.type).to.equal('text/html');
    expect(refused.text).to.include('Service temporarily unavailable.');
    expect(refused.headers['set-cookie'], 'cookies kept for another try').to.equal(undefined);

    await server!.pg.start();
    await client.post('/api/token/verify/').send({ token: refresh }).expect(200);
    const done = await logout();
    expect(done.status, done.text).to.equal(302);
    expect(done.headers.location).to.equal('/admin/login/');
    const verified = await client.post('/api/token/verify/').send({ token: refresh }).expect(401);
    expect(verified.body).to.deep.equal({ detail: 'Token is blacklisted', code: 'token_not_valid' });
  });
});
