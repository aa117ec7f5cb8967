/**
 * N replicas behave as one, measured: four server processes with two workers each on one
 * PostgreSQL database (started at once, so they also race to migrate). A logout through one is
 * refused by every worker of every replica as soon as the database's notice arrives (the delay is
 * measured and printed; the cache lifetime is ten minutes, so nothing else could refuse it in
 * time), the login throttle counts across all of them, and the database connections stay within
 * the formula of docs/md/runbooks/scaling.md: replicas × workers × (DATABASE_POOL_MAX + listener).
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import { PASSWORD } from '../support/app.js';
import { productionServerEnv } from '../support/config.js';
import { freePort, startServer, type ServerProcess } from '../support/processes.js';
import { request, waitForStatus, type Answer } from '../ops/support.js';
import { requirePostgresBinaries, startPrivatePostgres, type PrivatePostgres } from './support.js';

const REPLICAS = 4;
const WORKERS = 2;
const POOL_MAX = 4;
const LISTENERS_PER_WORKER = 1;

describe('resilience: 4 replicas × 2 workers on one database', function () {
  this.timeout(240_000);
  let pg: PrivatePostgres | undefined;
  let knex: Knex | undefined;
  const replicas: ServerProcess[] = [];

  before(async function () {
    const bin = requirePostgresBinaries(this);
    pg = await startPrivatePostgres(bin, await freePort());
    const env = productionServerEnv({
      DATABASE_URL: pg.url,
      WEB_CONCURRENCY: String(WORKERS),
      DATABASE_POOL_MAX: String(POOL_MAX),
      THROTTLE_LOGIN_PER_IP: '3/m',
      CACHE_TTL: '10m',
    });
    replicas.push(
      ...(await Promise.all(Array.from({ length: REPLICAS }, () => startServer(env, { waitForHealth: false })))),
    );
    await Promise.all(
      replicas.map((r) => waitForStatus(`${r.url}/api/health/ready/`, { timeoutMs: 120_000, child: r.child })),
    );
    knex = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
    await createUser(knex, SYSTEM_ACTOR, { username: 'alice', password: PASSWORD });
  });

  after(async () => {
    await knex?.destroy();
    await Promise.all(
      replicas.map(async (server) => {
        if (server.child.exitCode === null) {
          server.child.kill('SIGTERM');
          await server.exited;
        }
      }),
    );
    await pg?.destroy();
  });

  const post = (base: string, path: string, body: unknown, forwardedFor: string): Promise<Answer> =>
    request(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': forwardedFor },
      body: JSON.stringify(body),
    });
  // A new connection each time: the primary hands connections to its workers in turn.
  const me = (base: string, access: string) =>
    request(`${base}/api/users/me/`, { agent: false, headers: { Authorization: `Bearer ${access}` } });

  it('refuses a session logged out through one replica on every worker of all, within the notice delay', async () => {
    const login = await post(replicas[0]!.url, '/api/token/', { username: 'alice', password: PASSWORD }, '203.0.113.1');
    expect(login.status, login.body).to.equal(200);
    const { access, refresh } = JSON.parse(login.body) as { access: string; refresh: string };
    // Warm every worker's cache: from now on each answers the token without asking the database.
    for (const replica of replicas) {
      for (let i = 0; i < 2 * WORKERS; i++) expect((await me(replica.url, access)).status).to.equal(200);
    }

    const logout = await post(replicas[0]!.url, '/api/token/blacklist/', { refresh }, '203.0.113.1');
    expect(logout.status, logout.body).to.equal(200);
    const loggedOutAt = performance.now();

    const delays = await Promise.all(
      replicas.map(async (replica, n) => {
        let firstRefusal: number | null = null;
        let refusedInARow = 0;
        const deadline = loggedOutAt + 5_000;
        // Refused, then refused by both workers: 2 × WORKERS answers in a row.
        while (refusedInARow < 2 * WORKERS) {
          const answer = await me(replica.url, access);
          if (answer.status === 401) {
            firstRefusal ??= performance.now() - loggedOutAt;
            refusedInARow++;
          } else {
            expect(firstRefusal, `replica ${n} accepted the token again after refusing it`).to.equal(null);
            refusedInARow = 0;
          }
          expect(performance.now(), `replica ${n} still accepts the logged-out token`).to.be.below(deadline);
        }
        return firstRefusal!;
      }),
    );
    process.stdout.write(
      `      logout → refused: ${delays.map((d, n) => `replica ${n} ${d.toFixed(1)} ms`).join(', ')} (max ${Math.max(...delays).toFixed(1)} ms)\n`,
    );
  });

  it('counts the login throttle across all replicas', async () => {
    const from = '203.0.113.9';
    for (const replica of replicas.slice(0, 3)) {
      const answer = await post(replica.url, '/api/token/', { username: 'alice', password: PASSWORD }, from);
      expect(answer.status, answer.body).to.equal(200);
    }
    const fourth = await post(replicas[3]!.url, '/api/token/', { username: 'alice', password: PASSWORD }, from);
    expect(fourth.status, 'the fourth login of the address, on the fourth replica').to.equal(429);
    // Another address is not held back.
    expect(
      (await post(replicas[3]!.url, '/api/token/', { username: 'alice', password: PASSWORD }, '203.0.113.10')).status,
    ).to.equal(200);
  });

  it('holds the database connections within replicas × workers × (DATABASE_POOL_MAX + listener)', async () => {
    const login = await post(
      replicas[1]!.url,
      '/api/token/',
      { username: 'alice', password: PASSWORD },
      '203.0.113.20',
    );
    const { access } = JSON.parse(login.body) as { access: string };
    const bound = REPLICAS * WORKERS * (POOL_MAX + LISTENERS_PER_WORKER);
    const count = async () => {
      const row = (await knex!
        .from('pg_stat_activity')
        .where({ datname: 'postgres', backend_type: 'client backend' })
        .whereRaw('pid <> pg_backend_pid()')
        .count({ n: '*' })
        .first()) as { n: string };
      return Number(row.n);
    };
    let peak = 0;
    // Load every replica hard enough to fill its pools: uncached lists and refresh-free reads at once.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        replicas.flatMap((replica) =>
          Array.from({ length: 24 }, (_, i) =>
            request(`${replica.url}/api/users/?search=a${round}${i}`, {
              agent: false,
              headers: { Authorization: `Bearer ${access}` },
            }),
          ),
        ),
      );
      peak = Math.max(peak, await count());
    }
    process.stdout.write(
      `      database connections: ${peak} at the peak, bound ${REPLICAS} × ${WORKERS} × (${POOL_MAX} + ${LISTENERS_PER_WORKER}) = ${bound}\n`,
    );
    expect(peak).to.be.at.most(bound);
    // Every worker listens: at least one connection each.
    expect(peak).to.be.at.least(REPLICAS * WORKERS);
  });
});
