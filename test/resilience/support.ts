/**
 * A private PostgreSQL server for the resilience tests, started and stopped by the test itself
 * with Debian's `pg_ctl` in a temporary folder on a free loopback port, so that a test can take
 * the database away mid-traffic without touching anyone else's.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateDatabase } from '../../src/registry.js';
import { testConfig } from '../support/config.js';
import { freePort } from '../support/processes.js';

const execFileAsync = promisify(execFile);

/** The folder of Debian's PostgreSQL server binaries (`initdb`, `pg_ctl`), newest first, or null. */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, 'bin/pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0]!, 'bin') : null;
}

/**
 * Skips the suite when the PostgreSQL server binaries are missing, with a one-line reason; under
 * `CI=true` that fails instead.
 */
export function requirePostgresBinaries(ctx: Mocha.Context): string {
  const bin = postgresBinDir();
  // As root the server runs as `postgres` through runuser (see `as` below): that is needed too.
  const runuser =
    process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v runuser'], { stdio: 'ignore' }).status === 0;
  if (bin && runuser) return bin;
  const reason = bin
    ? 'needs runuser to start PostgreSQL as postgres (apt-get install -y util-linux)'
    : 'needs the PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)';
  if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  process.stdout.write(`      skipped: ${reason}\n`);
  ctx.skip();
}

/** A PostgreSQL server of our own. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** Stops the server (`fast`: connections are terminated) and waits until it is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and removes its folder. */
  destroy(): Promise<void>;
}

/**
 * Creates and starts a PostgreSQL cluster in a new temporary folder. PostgreSQL refuses to run as
 * root, so as root the cluster belongs to the `postgres` OS user and the commands run through
 * `runuser`.
 */
export async function startPrivatePostgres(bin: string, port: number): Promise<PrivatePostgres> {
  const root = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resilience-pg-'));
  const data = path.join(dir, 'data');
  if (root) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  // Asynchronous, so that the test's own clients keep running while the server stops and starts.
  const as = async (command: string, args: string[], timeoutMs = 60_000) => {
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    try {
      await execFileAsync(file, argv, { encoding: 'utf8', timeout: timeoutMs, cwd: dir });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
        cause: error,
      });
    }
  };
  await as(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = () =>
    as(path.join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = () => as(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      try {
        if (running) await stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A private PostgreSQL server with the project's schema, and the database handle on it. */
export interface MigratedPostgres {
  readonly pg: PrivatePostgres;
  readonly database: Database;
  /** Closes the handle, stops the server and removes its folder. */
  destroy(): Promise<void>;
}

/** Starts a private server on a free port and migrates it, as a deployment's first start would. */
export async function startMigratedPostgres(bin: string): Promise<MigratedPostgres> {
  const pg = await startPrivatePostgres(bin, await freePort());
  const database = await openDatabase(testConfig({ DATABASE_URL: pg.url }).database);
  await migrateDatabase(database.knex);
  return {
    pg,
    database,
    async destroy() {
      try {
        await database.close();
      } finally {
        await pg.destroy();
      }
    },
  };
}
