/**
 * What the application is built from: configuration, the database, the object store, mail and the logger. Entry points
 * create these once and pass them to {@link "app".createApp}, the CLI commands and the tests.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { PrincipalCache } from './auth/principal-cache.js';
import type { Config } from './config.js';
import type { NoticeHub } from './db/notifications.js';
import type { Mailer } from './mail/mailer.js';
import type { Storage } from './storage/storage.js';

/** The application's dependencies. */
export interface Deps {
  readonly config: Config;
  readonly knex: Knex;
  readonly logger: Logger;
  /** The Redis client when `REDIS_URL` is set (shared throttling counters). */
  readonly redis?: Redis;
  /** The object store of uploaded files, chosen by configuration ({@link "storage/factory".createStorage}). */
  readonly storage: Storage;
  /** Who a token belongs to, cached while database notices keep the cache current (`CACHE_TTL`). */
  readonly principals: PrincipalCache;
  /**
   * The database's change notices ({@link "db/notice-protocol"}), for caches to subscribe to; in a
   * server process fed by the database, elsewhere never listening (so those caches stay off).
   */
  readonly notices: NoticeHub;
  /**
   * The outgoing mail of `EMAIL_BACKEND`, when the entry point built it; otherwise
   * {@link "mail/mailer".mailerOf} builds one from the configuration on first use.
   */
  readonly mailer?: Mailer;
}
