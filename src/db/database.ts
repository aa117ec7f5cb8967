/**
 * Opens the database chosen by configuration — a PostgreSQL server through `pg`, or embedded
 * PostgreSQL (PGlite, in a worker thread: `src/db/pglite-thread.ts`) through `knex-pglite` —
 * behind one knex instance. The objection models are bound to none: each query is given the knex
 * instance or transaction it runs on (`src/db/models.ts`).
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import type pg from 'pg';
import lockfile from 'proper-lockfile';
import type { DatabaseConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { ConflictError } from '../errors.js';
import { migrationsDir, isCompiled } from '../paths.js';
import { listenPglite, listenPostgres, type Listener, type NoticeHandler } from './notifications.js';
import type { PgliteThread } from './pglite-thread.js';

/** An open database: the knex instance and how to close it (releasing the embedded lock). */
export interface Database {
  /** The query builder every service and model uses. */
  readonly knex: Knex;
  /** `pglite` (embedded) or `postgres` (a server). */
  readonly kind: DatabaseConfig['kind'];
  /**
   * Subscribes to `NOTIFY` on a channel, on a connection of its own (server) or the embedded
   * database itself (PGlite, where notices arrive before the writing query returns).
   *
   * @returns the subscription; resolves once the first attempt to listen is over, even if it failed
   *   (it retries in the background; `handler.reset(false)` tells the handler meanwhile)
   */
  listen(channel: string, handler: NoticeHandler): Promise<Listener>;
  /** Closes the pool (or the embedded database) and releases the data directory lock. */
  close(): Promise<void>;
}

/** Thrown when another process holds the embedded data directory. */
export class DatabaseLockedError extends ConflictError {
  override name = 'DatabaseLockedError';
  /**
   * Builds the message: which directory is in use, and the two ways out.
   *
   * @param dataDir - the locked data directory
   */
  constructor(dataDir: string) {
    super(
      `The embedded database in ${path.relative(process.cwd(), dataDir) || dataDir} is in use by another process ` +
        '(a running server or CLI command). Stop that process first, or set DATABASE_URL to use a PostgreSQL server.',
    );
  }
}

/**
 * The project's migrations as knex sees them: the TypeScript sources under tsx, their compiled form
 * in `dist/`, recorded under their names **without** extension, so that a database migrated by the
 * image (`.js`) and one migrated by `npm run cli` (`.ts`) agree on what has run.
 */
export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    const extension = isCompiled ? '.js' : '.ts';
    const files = await fs.promises.readdir(migrationsDir);
    return files.filter((file) => file.endsWith(extension) && !file.endsWith('.d.ts')).sort();
  },
  getMigrationName(file) {
    return file.replace(/\.(?:ts|js)$/, '');
  },
  async getMigration(file) {
    return (await import(pathToFileURL(path.join(migrationsDir, file)).href)) as Knex.Migration;
  },
};

/** knex's migration settings, shared by the server, the CLI and the tests. */
export const migrationConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

/**
 * Opens the configured database.
 *
 * On a server, every connection of the pool is given the configuration's `statement_timeout`
 * (`0`: none), set once when the connection is made; a statement cancelled by it fails with
 * SQLSTATE 57014, which the edges answer as "unavailable" (`src/db/classify-error.ts`).
 *
 * PGlite runs in a worker thread, so that a slow statement holds that thread and not the event
 * loop. With a data directory, the directory is locked first, from this thread: PGlite is
 * single-process, and a second process writing the same files would corrupt them.
 *
 * @param config - the `database` part of the configuration; a process that serves no requests
 *   (the CLI, migrations at start-up) passes `statementTimeout: 0`
 * @param logger - receives knex's own warnings (pool errors); without one they are dropped
 * @returns the open database; call `close()` when done
 * @throws {@link DatabaseLockedError} when another process holds the embedded data directory
 */
export async function openDatabase(config: DatabaseConfig, logger?: Logger): Promise<Database> {
  const log = {
    warn: (message: unknown) => logger?.warn({ knex: String(message) }, 'knex warning'),
    error: (message: unknown) => logger?.error({ knex: String(message) }, 'knex error'),
    deprecate: (message: unknown) => logger?.warn({ knex: String(message) }, 'knex deprecation'),
    debug: () => undefined,
  };
  let knex: Knex;
  let release: (() => Promise<void>) | null = null;
  let embedded: PgliteThread | null = null;
  let listen: Database['listen'];

  if (config.kind === 'postgres') {
    knex = knexFactory({
      client: 'pg',
      connection: config.connectionString,
      pool: { min: 0, max: config.poolMax, ...boundedStatements(config.statementTimeout) },
      acquireConnectionTimeout: 10_000,
      // knex otherwise writes the statement with its values into a failed query's message.
      compileSqlOnError: false,
      migrations: migrationConfig,
      log,
    });
    listen = (channel, handler) => listenPostgres(config.connectionString, channel, handler, logger);
  } else {
    if (config.dataDir) release = await lockDataDir(config.dataDir);
    // Loaded only here: a server-mode process does not carry the embedded database's code.
    const [{ PgliteThread }, { default: ClientPgLite }] = await Promise.all([
      import('./pglite-thread.js'),
      import('knex-pglite'),
    ]);
    const pglite = (embedded = PgliteThread.start(config.dataDir, logger));
    knex = knexFactory({
      client: ClientPgLite as unknown as typeof knexFactory.Client,
      dialect: 'postgres',
      connection: { pglite },
      compileSqlOnError: false,
      migrations: migrationConfig,
      log,
    } as Knex.Config);
    listen = (channel, handler) => listenPglite(pglite, channel, handler);
  }
  return {
    knex,
    kind: config.kind,
    listen,
    async close() {
      try {
        await knex.destroy();
      } finally {
        try {
          // knex closes the database only if it ever used it; the thread must end either way.
          await embedded?.close();
        } finally {
          await release?.();
        }
      }
    },
  };
}

/**
 * The pool hook that sets `statement_timeout` on each new server connection: a `SET`, which a
 * connection pooler in session mode carries, where a startup parameter would be refused.
 *
 * @param seconds - `DATABASE_STATEMENT_TIMEOUT`; `0` leaves the server's own setting
 */
function boundedStatements(seconds: number): Pick<Knex.PoolConfig, 'afterCreate'> {
  if (seconds <= 0) return {};
  const milliseconds = Math.round(seconds * 1000);
  return {
    afterCreate(connection: pg.Client, done: (error: Error | null, connection: pg.Client) => void) {
      connection.query(`SET statement_timeout = ${milliseconds}`).then(
        () => done(null, connection),
        (error: Error) => done(error, connection),
      );
    },
  };
}

async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    return await lockfile.lock(dataDir, {
      lockfilePath: `${dataDir}.lock`,
      stale: 15_000,
      update: 5_000,
      realpath: false,
      // A lost lock (the machine slept past `stale`) must not crash the server mid-request.
      onCompromised: () => undefined,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new DatabaseLockedError(dataDir);
    throw error;
  }
}

/**
 * The key of the PostgreSQL advisory lock that serialises migrations between processes
 * (`'backoffi'` in ASCII, as a bigint).
 */
export const MIGRATION_LOCK_KEY = '7089056601539503721';

/** Options of {@link migrateLatest}. */
export interface MigrateOptions {
  /** Called once when another process holds the migration lock and this one starts waiting. */
  readonly onWait?: () => void;
}

/**
 * Migrates the database to the latest version.
 *
 * On a PostgreSQL server the migrations run under a session advisory lock held on a connection of
 * its own (outside the pool): of several processes started at once on one database (replicas, a
 * migration Job, `cli migrate`), one migrates while the others wait, then find nothing left to do.
 * knex's own lock table would instead make them fail ("Migration table is already locked"). A
 * process that dies while holding the lock loses it with its connection. PGlite is single-process:
 * no lock.
 *
 * @param knex - the database (opened by {@link openDatabase})
 * @returns the names of the migrations that ran (empty when already current, or when another
 *   process applied them meanwhile)
 * @example
 * const applied = await migrateLatest(db.knex, { onWait: () => logger.info('waiting for the migration lock') });
 */
export async function migrateLatest(knex: Knex, options: MigrateOptions = {}): Promise<string[]> {
  const latest = async () => ((await knex.migrate.latest()) as [number, string[]])[1];
  if ((knex.client as { config: Knex.Config }).config.client !== 'pg') return latest();
  const client = knex.client as RawConnections;
  const connection = await client.acquireRawConnection();
  try {
    await requireUtf8(connection);
    const tried = await connection.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [MIGRATION_LOCK_KEY]);
    if (!(tried.rows[0] as { locked: boolean }).locked) {
      options.onWait?.();
      await connection.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
    try {
      return await latest();
    } finally {
      await connection.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.destroyRawConnection(connection);
  }
}

/**
 * Refuses a database whose encoding is not UTF8 (a cluster initialised without a UTF-8 locale gets
 * SQL_ASCII): usernames are compared after Unicode normalisation, which PostgreSQL performs only
 * in UTF8, so such a database would fail every sign-up rather than at the first migration.
 */
async function requireUtf8(connection: pg.Client): Promise<void> {
  const { rows } = await connection.query<{ server_encoding: string }>('SHOW server_encoding');
  const encoding = rows[0]?.server_encoding;
  if (encoding !== 'UTF8') {
    throw new Error(
      `the database's encoding is ${encoding}, Backoffice needs UTF8: create the database with ENCODING 'UTF8' ` +
        `(initdb --encoding=UTF8, or CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)`,
    );
  }
}

/** knex's pg client: it opens connections outside its pool too. */
interface RawConnections {
  acquireRawConnection(): Promise<pg.Client>;
  destroyRawConnection(connection: pg.Client): Promise<void>;
}
