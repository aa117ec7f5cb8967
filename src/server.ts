/**
 * The server entry point: configuration → database (migrated) → app → listen, with
 * `WEB_CONCURRENCY` worker processes and a graceful stop on SIGTERM/SIGINT.
 *
 * @module
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import { createApp } from './app.js';
import { limitPasswordWork } from './auth/passwords.js';
import { servingProblem, type Config } from './config.js';
import { DatabaseLockedError } from './db/database.js';
import { migrateDatabase } from './registry.js';
import { observeDatabasePool, serveMetrics, startProcessMetrics, type PoolSource } from './metrics.js';
import { configFromEnvironment, describeDatabase, exitWithError, openDeps } from './startup.js';
import { workerV8Flags } from './worker-flags.js';
import { publishedPasswordProblem } from './setup/published-passwords.js';
import { setupProject } from './setup/service.js';

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** A connection on which nothing moves for this long is closed (as nginx's `client_body_timeout`). */
export const IDLE_TIMEOUT_MS = 60_000;

/** The slowest upload pace the server waits for, in bytes per second (a poor mobile link). */
export const SLOWEST_UPLOAD_BYTES_PER_S = 64 * 1024;

/**
 * How long a whole request may take: 30 s, plus the time the largest allowed upload takes at
 * {@link SLOWEST_UPLOAD_BYTES_PER_S}. With the default 50 MiB limit that is about 14 minutes, so a
 * 20 MiB upload at 300 kB/s (70 s) succeeds, while a trickling client still meets an end.
 *
 * @param uploadMaxBytes - `UPLOAD_MAX_BYTES`
 * @example
 * requestTimeoutMs(50 * 1024 * 1024); // 830_000
 */
export function requestTimeoutMs(uploadMaxBytes: number): number {
  return 30_000 + Math.ceil(uploadMaxBytes / SLOWEST_UPLOAD_BYTES_PER_S) * 1_000;
}

async function main(): Promise<void> {
  const config = configFromEnvironment();
  const problem = servingProblem(config);
  if (problem) exitWithError(`Configuration error: ${problem}`);
  // PGlite is single-process: the embedded mode always serves from one process.
  const workers = config.database.kind === 'pglite' ? 1 : config.webConcurrency;
  if (cluster.isPrimary) {
    await prepareDatabase(config);
    if (workers > 1) {
      // The primary serves the workers' metrics, aggregated; it answers no request itself.
      if (config.metrics.port)
        await serveMetrics({ port: config.metrics.port, host: config.metrics.host, cluster: true });
      return superviseWorkers(workers, config);
    }
  }
  await serve(config, workers);
}

/**
 * Migrates, and on the first start in debug mode loads roles and demo users; in production
 * (`DEBUG=false`) refuses to go on while a password the repository publishes opens an account.
 */
async function prepareDatabase(config: Config): Promise<void> {
  const deps = await openDeps(config);
  let refusal: string | null = null;
  try {
    const { migrations, permissions } = await migrateDatabase(deps.knex, {
      onWait: () => deps.logger.info('another process is migrating the database; waiting for it'),
    });
    if (migrations.length) deps.logger.info({ migrations }, 'database migrated');
    if (permissions.length) deps.logger.info({ permissions }, 'permissions created');
    const { count } = (await deps.knex('auth_user').count({ count: '*' }).first()) as { count: string | number };
    if (config.debug && Number(count) === 0) {
      const { demoUsers } = await setupProject(deps.knex);
      process.stdout.write(
        [
          '',
          'First start: roles and demo users loaded. Log in with:',
          ...demoUsers.map((u) => `  ${u.username.padEnd(8)} ${u.password}  (${u.groups.join(', ')})`),
          '',
        ].join('\n') + '\n',
      );
    }
    if (!config.debug) refusal = await publishedPasswordProblem(deps.knex);
  } finally {
    // Workers (and the in-process server) open their own connections.
    await deps.close();
  }
  if (refusal) exitWithError(refusal);
}

/**
 * Starts the workers and replaces one that dies, with the memory settings a worker runs best with:
 * one glibc malloc arena (`MALLOC_ARENA_MAX`), so that the memory of password hashes on libuv's
 * threads is kept once, not once per thread; and `workerV8Flags` (a smaller young generation, an
 * old generation collected sooner), so that a busy worker's garbage and dead upload buffers do not
 * stay resident. The flags come after the process's own flags and `NODE_OPTIONS`, so they decide;
 * `0` leaves V8's default. Measured in docs/md/benchmarks.md, "Hot paths" (one glibc malloc arena,
 * a smaller young generation, the old generation collected sooner).
 */
function superviseWorkers(count: number, config: Config): void {
  const WORKER_ENV = { MALLOC_ARENA_MAX: config.mallocArenaMax };
  const v8Flags = workerV8Flags(config);
  if (v8Flags.length) cluster.setupPrimary({ execArgv: [...process.execArgv, ...v8Flags] });
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork(WORKER_ENV);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    cluster.fork(WORKER_ENV);
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS + 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function serve(config: Config, workers: number): Promise<void> {
  // Each worker its share of the cores for password hashing (and the memory that goes with it).
  limitPasswordWork(os.availableParallelism() / workers);
  startProcessMetrics();
  const deps = await openDeps(config, { serving: true });
  observeDatabasePool((deps.knex.client as { pool?: PoolSource }).pool ?? null);
  const metrics =
    !cluster.isWorker && config.metrics.port
      ? await serveMetrics({ port: config.metrics.port, host: config.metrics.host, cluster: false })
      : null;
  const { app, readiness } = createApp(deps);
  let stopping = false;
  const handler = app.callback();
  // Node checks requestTimeout/headersTimeout only every connectionsCheckingInterval (30 s by
  // default): checked each second, a slow client is cut off close to the 10 s headers limit.
  // The whole request (body included) gets requestTimeoutMs(UPLOAD_MAX_BYTES): long enough for
  // the largest upload at a slow client's pace, while a client that stops sending is cut off after
  // IDLE_TIMEOUT_MS of silence.
  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    // During shutdown, tell keep-alive clients to reconnect elsewhere.
    if (stopping) res.setHeader('Connection', 'close');
    void handler(req, res);
  });
  server.requestTimeout = requestTimeoutMs(config.uploadMaxBytes);
  server.headersTimeout = 10_000;
  server.timeout = IDLE_TIMEOUT_MS;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  if (!cluster.isWorker || cluster.worker?.id === 1) {
    deps.logger.info(`Backoffice listening on http://${config.host}:${config.port} (${describeDatabase(config)})`);
  }

  const stop = () => {
    if (stopping) return;
    stopping = true;
    // The readiness probe answers 503 from now on, while in-flight requests finish.
    readiness.drain();
    deps.logger.info('shutting down: finishing in-flight requests');
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    setTimeout(() => {
      deps.logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    metrics?.close();
    server.close(() => {
      clearInterval(idle);
      deps.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof DatabaseLockedError) exitWithError(error.message);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    exitWithError(`Port ${(error as { port?: number }).port ?? ''} is already in use.`);
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
