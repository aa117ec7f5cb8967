/**
 * What both entry points (server and CLI) do first: read the environment (with `.env`), validate
 * it, open the database and build the dependencies; with the one-line exit and the description of
 * the database their start-up lines share.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import path from 'node:path';
import { PrincipalCache } from './auth/principal-cache.js';
import { ConfigError, loadConfig, readEnvironment, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { NoticeHub } from './db/notifications.js';
import { NOTICE_CHANNEL } from './db/notice-protocol.js';
import type { Deps } from './deps.js';
import { createLogger, type Logger } from './logger.js';
import { createMailer } from './mail/mailer.js';
import { createStorage } from './storage/factory.js';

/**
 * Loads `.env` from the working directory (variables already set win) and validates the result.
 * A bad value ends the process with one line naming the variable.
 */
export function configFromEnvironment(): Config {
  try {
    return loadConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) exitWithError(`Configuration error: ${error.message}`);
    throw error;
  }
}

/** The dependencies of a running process, with what it must close on the way out. */
export interface OpenDeps extends Deps {
  /** The open database. */
  readonly db: Database;
  /** Waits (bounded) for mail still being sent, disconnects Redis and closes the database (releasing the embedded lock). */
  close(): Promise<void>;
}

/**
 * Opens the database (and Redis when configured) and builds the dependencies of the app and the
 * commands (the object store connects on first use).
 *
 * @param options.serving - a server process: also listen for the notices that keep its caches
 *   current (who a token is, pages of users), and bound its statements by
 *   `DATABASE_STATEMENT_TIMEOUT`; commands (and the migrations a server runs before it serves)
 *   leave it off, and their statements run to the end
 * @returns the dependencies, the open database, and `close()` releasing all of it
 */
export async function openDeps(config: Config, options: { serving?: boolean } = {}): Promise<OpenDeps> {
  const logger = createLogger(config);
  const database =
    config.database.kind === 'postgres' && !options.serving
      ? { ...config.database, statementTimeout: 0 }
      : config.database;
  const db = await openDatabase(database, logger);
  const redis = config.redisUrl ? await openRedis(config.redisUrl, logger) : undefined;
  const notices = new NoticeHub();
  const principals = new PrincipalCache({ ttlMs: config.cacheTtl * 1000 });
  notices.subscribe(principals);
  const listener = options.serving && config.cacheTtl > 0 ? await db.listen(NOTICE_CHANNEL, notices) : null;
  const mailer = createMailer(config.mail, logger);
  return {
    config,
    logger,
    knex: db.knex,
    db,
    redis,
    storage: createStorage(config),
    principals,
    notices,
    mailer,
    async close() {
      // Reset links still leaving get their chance (bounded) before the process goes.
      await mailer.close();
      redis?.disconnect();
      await listener?.close();
      await db.close();
    },
  };
}

/** A Redis client that fails fast while Redis is down (throttling then falls back to memory). */
async function openRedis(url: string, logger: Logger): Promise<Redis> {
  // Loaded only when configured.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis unavailable'));
  return redis;
}

/** Prints one line to stderr and exits non-zero. */
export function exitWithError(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** A human description of where the data lives, for start-up lines (no credentials). */
export function describeDatabase(config: Config): string {
  if (config.database.kind === 'pglite') {
    return config.database.dataDir
      ? `embedded PostgreSQL in ${path.relative(process.cwd(), config.database.dataDir) || '.'}`
      : 'embedded PostgreSQL in memory';
  }
  const url = new URL(config.database.connectionString);
  return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}
