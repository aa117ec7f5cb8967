/**
 * Replicas start together safely: four server processes started at once on one empty PostgreSQL
 * database — exactly one applies the migrations (under the advisory lock of `migrateLatest`), the
 * others wait for it and then serve; none crashes, none reports ready on an unmigrated schema.
 * Then SIGTERM: the readiness probe turns 503 at once while an in-flight request finishes.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import knexFactory, { type Knex } from 'knex';
import { Client as PgClient } from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/db/database.js';
import { migrationsDir } from '../../src/paths.js';
import { FLUSH_INTERVAL_MS } from '../../src/logger.js';
import { productionServerEnv } from '../support/config.js';
import { runCli, startServer, type ServerProcess } from '../support/processes.js';
import { request } from '../ops/support.js';
import { requirePostgresBinaries, startPrivatePostgres, type PrivatePostgres } from '../resilience/support.js';
import { freePort } from '../support/processes.js';

describe('probes: four replicas started at once on an empty database', function () {
  this.timeout(180_000);
  let pg: PrivatePostgres | undefined;
  let knex: Knex | undefined;
  let holder: PgClient | undefined;
  const servers: ServerProcess[] = [];

  before(async function () {
    const bin = requirePostgresBinaries(this);
    pg = await startPrivatePostgres(bin, await freePort());
    knex = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
  });

  after(async () => {
    await holder?.end().catch(() => undefined);
    await knex?.destroy();
    for (const server of servers) {
      if (server.child.exitCode === null) {
        // SIGTERM: the tsx command passes it on to the server it runs, where a SIGKILL of the
        // command would leave that server running (and mocha waiting on its output).
        server.child.kill('SIGTERM');
        const stuck = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
        await server.exited;
        clearTimeout(stuck);
      }
    }
    await pg?.destroy();
  });

  it('one migrates, the others wait and then serve; none is ready before the schema is', async () => {
    const env = productionServerEnv({ DATABASE_URL: pg!.url, LOG_LEVEL: 'info' });
    // The test holds the migration lock until all four wait for it, so that they contend for it
    // at the same moment however long each takes to start.
    holder = new PgClient({ connectionString: pg!.url });
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    servers.push(...(await Promise.all([0, 1, 2, 3].map(() => startServer(env, { waitForHealth: false })))));
    const waiting = async () => {
      const { rows } = await holder!.query(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      return (rows[0] as { n: number }).n;
    };
    const waitUntil = Date.now() + 90_000;
    while ((await waiting()) < servers.length) {
      for (const [i, server] of servers.entries()) {
        const out = server.output();
        expect(server.child.exitCode, `process ${i} exited\n${out.stdout}\n${out.stderr}`).to.equal(null);
      }
      expect(Date.now(), 'all four wait for the migration lock').to.be.below(waitUntil);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Meanwhile none serves: each is still before its migrations.
    for (const server of servers) {
      await request(`${server.url}/api/health/ready/`, { timeoutMs: 1_000 }).then(
        (answer) => expect.fail(`answered ${answer.status} before migrating`),
        () => undefined,
      );
    }
    await holder.end();
    holder = undefined;

    // Poll every process's readiness until all are ready; each ready answer must find the schema complete.
    const migrations = fs.readdirSync(migrationsDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    const deadline = Date.now() + 120_000;
    const ready = new Set<number>();
    while (ready.size < servers.length) {
      if (Date.now() > deadline) throw new Error(`not all ready: ${[...ready].join(',')}`);
      for (const [i, server] of servers.entries()) {
        const out = server.output();
        expect(server.child.exitCode, `process ${i} exited\n${out.stdout}\n${out.stderr}`).to.equal(null);
        if (ready.has(i)) continue;
        try {
          const answer = await request(`${server.url}/api/health/ready/`, { timeoutMs: 3_000 });
          if (answer.status === 200) {
            const applied = await knex!('knex_migrations').count({ n: '*' }).first();
            expect(Number(applied!.n), 'ready only on the full schema').to.equal(migrations.length);
            ready.add(i);
          }
        } catch {
          // not listening yet
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const rows = (await knex!('knex_migrations').select('name', 'batch')) as Array<{ name: string; batch: number }>;
    expect(rows.map((r) => r.name)).to.have.members(migrations.map((f) => f.replace(/\.ts$/, '')));
    expect(new Set(rows.map((r) => r.batch)), 'all in one batch: one process applied them').to.deep.equal(new Set([1]));
    // Log lines leave in batches, at most FLUSH_INTERVAL_MS after they are written.
    const migrated = () => servers.filter((s) => s.output().stdout.includes('database migrated'));
    const logDeadline = Date.now() + FLUSH_INTERVAL_MS * 3;
    while (migrated().length === 0 && Date.now() < logDeadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS * 2)); // a second one would be out by now
    expect(migrated(), 'exactly one process logs that it migrated').to.have.length(1);
    for (const server of servers) expect(server.output().stderr).to.not.match(/already locked|Error/);
  });

  it('cli migrate takes the same lock: it waits while another process holds it', async () => {
    const other = new PgClient({ connectionString: pg!.url });
    other.on('error', () => undefined);
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      const run = runCli(['migrate', 'up'], productionServerEnv({ DATABASE_URL: pg!.url }));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { rows } = await other.query(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        );
        if ((rows[0] as { n: number }).n === 1) break;
        expect(Date.now(), 'cli migrate waits for the lock').to.be.below(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      const result = await run;
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.include('Another process is migrating this database; waiting for it.');
      expect(result.stdout).to.include('No migrations to apply');
    } finally {
      await other.end();
    }
  });

  it('turns unready at once on SIGTERM while an in-flight request finishes, then exits 0', async () => {
    const server = servers[0]!;
    const { port } = new URL(server.url);
    // A connection whose request has begun (headers half sent): shutdown does not close it as idle.
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write('GET /api/health/ready/ HTTP/1.1\r\nHost: localhost\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.child.kill('SIGTERM');
    const deadline = Date.now() + 10_000;
    while (!server.output().stdout.includes('shutting down') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write('\r\n');
    socket.setTimeout(5_000, () => socket.destroy());
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(answer).to.match(/^HTTP\/1\.1 503 /);
    expect(answer).to.include('"draining":"down"');
    expect(answer.toLowerCase()).to.include('connection: close');
    expect(await server.exited).to.equal(0);
  });
});
