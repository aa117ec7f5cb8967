/**
 * PostgreSQL stops under traffic: the server process answers 503 JSON while it is down, keeps
 * running, serves 200 again within seconds of its return, and a user being created across the
 * outage exists whole (row and group) or not at all.
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createGroup } from '../../src/groups/service.js';
import { createUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import { PASSWORD } from '../support/app.js';
import { productionServerEnv } from '../support/config.js';
import { freePort, startServer, type ServerProcess } from '../support/processes.js';
import { request, type Answer } from '../ops/support.js';
import { requirePostgresBinaries, startPrivatePostgres, type PrivatePostgres } from './support.js';

const UNAVAILABLE = { detail: 'Service temporarily unavailable.' };

describe('resilience: PostgreSQL stops mid-traffic', function () {
  this.timeout(120_000);
  let pg: PrivatePostgres | undefined;
  let server: ServerProcess | undefined;
  let knex: Knex | undefined;
  let auth: Record<string, string>;
  const creates: Array<{ username: string; status: number | string }> = [];

  before(async function () {
    const bin = requirePostgresBinaries(this);
    pg = await startPrivatePostgres(bin, await freePort());
    server = await startServer(productionServerEnv({ DATABASE_URL: pg.url }));
    knex = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 2 } });
    await createGroup(knex, SYSTEM_ACTOR, { name: 'editors', permissions: ['view_user'] });
    await createUser(knex, SYSTEM_ACTOR, { username: 'admin', password: PASSWORD, is_superuser: true });
    const login = await post('/api/token/', {}, { username: 'admin', password: PASSWORD });
    expect(login.status, login.body).to.equal(200);
    auth = { Authorization: `Bearer ${JSON.parse(login.body).access}` };
    // The test's own idle connections would die with the server too: reconnect after the outage.
    await knex.destroy();
    knex = undefined;
  });

  after(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await knex?.destroy();
    await pg?.destroy();
  });

  function post(path: string, headers: Record<string, string>, body: unknown): Promise<Answer> {
    return request(`${server!.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
      timeoutMs: 20_000,
    });
  }

  it('answers 503 JSON while the database is down and keeps running', async () => {
    const answers: Array<{ at: 'before' | 'during'; status: number | string; body: string }> = [];
    let phase: 'before' | 'during' | 'done' = 'before';
    // Readers of /me/ and one writer creating users, until the outage has lasted 3 s; bounded by count too.
    const reader = async () => {
      for (let i = 0; i < 2_000 && phase !== 'done'; i++) {
        const at = phase;
        try {
          const res = await request(`${server!.url}/api/users/me/`, { headers: auth, timeoutMs: 15_000 });
          answers.push({ at, status: res.status, body: res.body });
        } catch (error) {
          answers.push({ at, status: (error as Error).message, body: '' });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const writer = async () => {
      for (let i = 0; i < 200 && phase !== 'done'; i++) {
        const username = `outage${i}`;
        try {
          const res = await post('/api/users/', auth, { username, password: PASSWORD, groups: ['editors'] });
          creates.push({ username, status: res.status });
        } catch (error) {
          creates.push({ username, status: (error as Error).message });
        }
      }
    };
    const traffic = Promise.all([reader(), reader(), reader(), writer()]);
    await new Promise((r) => setTimeout(r, 1_000));
    phase = 'during';
    await pg!.stop();
    await new Promise((r) => setTimeout(r, 3_000));
    phase = 'done';
    await traffic;

    expect(
      answers.filter((a) => a.at === 'before' && a.status !== 200),
      'before the outage',
    ).to.deep.equal([]);
    const during = answers.filter((a) => a.at === 'during');
    const unexpected = during.filter((a) => a.status !== 200 && a.status !== 503);
    expect(unexpected, 'answers other than 200/503 (or no answer) during the outage').to.deep.equal([]);
    const unavailable = during.filter((a) => a.status === 503);
    expect(unavailable.length, 'answers of 503 during the outage').to.be.greaterThan(5);
    for (const a of unavailable) expect(JSON.parse(a.body)).to.deep.equal(UNAVAILABLE);
    expect(
      creates.some((c) => c.status === 503),
      'a create refused with 503',
    ).to.equal(true);
    expect(
      creates.filter((c) => c.status !== 201 && c.status !== 503),
      'creates answered otherwise',
    ).to.deep.equal([]);

    const health = await request(`${server!.url}/api/health/`);
    expect(health.status).to.equal(503);
    expect(JSON.parse(health.body)).to.have.nested.property('checks.database').that.not.equals('ok');
    expect(server!.child.exitCode, server!.output().stderr).to.equal(null);
  });

  it('serves 200 again within seconds of the database returning', async () => {
    await pg!.start();
    const restarted = Date.now();
    let last: number | string = 'none';
    while (Date.now() - restarted < 10_000) {
      try {
        last = (await request(`${server!.url}/api/users/me/`, { headers: auth, timeoutMs: 5_000 })).status;
        if (last === 200) break;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last, 'GET /api/users/me/ after the restart').to.equal(200);
    const recoveredMs = Date.now() - restarted;
    expect(recoveredMs).to.be.lessThan(10_000);
    expect((await request(`${server!.url}/api/health/`)).status).to.equal(200);
    const created = await post('/api/users/', auth, {
      username: 'after-outage',
      password: PASSWORD,
      groups: ['editors'],
    });
    expect(created.status, created.body).to.equal(201);
  });

  it('left every user created across the outage whole or absent', async () => {
    expect(creates.length).to.be.greaterThan(0);
    knex = knexFactory({ client: 'pg', connection: pg!.url, pool: { min: 0, max: 2 } });
    const rows = await knex!('auth_user as u')
      .leftJoin('auth_user_groups as ug', 'ug.user_id', 'u.id')
      .whereIn(
        'u.username',
        creates.map((c) => c.username),
      )
      .select('u.username', 'ug.group_id');
    const stored = new Map(rows.map((r: { username: string; group_id: number | null }) => [r.username, r.group_id]));
    for (const { username, status } of creates) {
      if (status === 201) expect(stored.has(username), `${username} answered 201`).to.equal(true);
      if (stored.has(username)) expect(stored.get(username), `${username} has its group`).to.not.equal(null);
    }
  });
});
