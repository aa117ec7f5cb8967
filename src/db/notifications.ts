/**
 * PostgreSQL `LISTEN/NOTIFY`, on a server (a connection of its own that reconnects) or in the
 * embedded database, behind one small interface.
 *
 * @module
 */
import pg from 'pg';
import type { Logger } from '../logger.js';
import { noticeListenerConnected } from '../metrics.js';
import { decodeNotice, type NoticeSubscriber } from './notice-protocol.js';

/** What a listener tells: the payloads of one channel, as sent. */
export interface NoticeHandler {
  /** A notice on the channel, with its payload. */
  notice(payload: string): void;
  /**
   * Notices may have been missed: the connection dropped (`listening` is false), or it is back and
   * notices flow again (`listening` is true). Whatever the subscriber derived from them must be
   * thrown away in both cases.
   */
  reset(listening: boolean): void;
}

/** A subscription to one channel. */
export interface Listener {
  /** Whether notices are being received right now. */
  readonly listening: boolean;
  /**
   * Resolves once every notice committed before the call has reached the handler: a round trip on
   * the listening connection, which the server answers only after delivering what is queued for it.
   */
  sync(): Promise<void>;
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/** Delay before the n-th reconnection attempt: 0.5 s doubling up to 10 s. */
const backoffMs = (attempt: number) => Math.min(500 * 2 ** attempt, 10_000);

/**
 * Listens on a PostgreSQL server with a dedicated client (a pooled connection would be handed to
 * queries). A dropped connection resets the handler and reconnects with backoff.
 *
 * @param connectionString - the server to listen on
 * @param logger - told when listening stops and resumes (never the connection string)
 */
export async function listenPostgres(
  connectionString: string,
  channel: string,
  handler: NoticeHandler,
  logger?: Logger,
): Promise<Listener> {
  let client: pg.Client | null = null;
  let closed = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | null = null;

  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, backoffMs(attempt++));
    retry.unref();
  };

  const connect = async (): Promise<void> => {
    // Named, so that an operator can tell it apart in pg_stat_activity.
    const candidate = new pg.Client({ connectionString, keepAlive: true, application_name: 'backoffice-notices' });
    const lost = (error?: Error) => {
      if (client !== candidate) return;
      client = null;
      handler.reset(false);
      logger?.warn({ channel, err: error }, 'stopped listening for database notices; reconnecting');
      candidate.end().catch(() => undefined);
      schedule();
    };
    // Errors before the subscription is complete are handled by the catch below.
    candidate.on('error', (error) => lost(error));
    candidate.on('end', () => lost());
    candidate.on('notification', (message) => {
      if (client === candidate && message.channel === channel) handler.notice(message.payload ?? '');
    });
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${candidate.escapeIdentifier(channel)}`);
    } catch {
      candidate.end().catch(() => undefined);
      schedule();
      return;
    }
    if (closed) {
      await candidate.end().catch(() => undefined);
      return;
    }
    if (attempt > 0) logger?.info({ channel }, 'listening for database notices again');
    attempt = 0;
    client = candidate;
    handler.reset(true);
  };

  await connect();
  return {
    get listening() {
      return client !== null;
    },
    async sync() {
      await client?.query('SELECT 1');
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = null;
      if (current) handler.reset(false);
      await current?.end().catch(() => undefined);
    },
  };
}

/** What listening needs of the embedded database: PGlite's `listen` and `closed` (`PgliteThread`). */
export interface EmbeddedNotices {
  /** Subscribes to a channel; resolves to the function that ends the subscription. */
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  /** Whether the database is closed (which ends every subscription with it). */
  readonly closed: boolean;
}

/**
 * Listens in the embedded database. PGlite hands each notice to the handler before the query that
 * committed it returns (from its thread too: the notice and the result travel in order over one
 * port), so a subscriber is never behind its own process's writes.
 */
export async function listenPglite(
  pglite: EmbeddedNotices,
  channel: string,
  handler: NoticeHandler,
): Promise<Listener> {
  const unsubscribe = await pglite.listen(channel, (payload) => handler.notice(payload));
  let listening = true;
  handler.reset(true);
  return {
    get listening() {
      return listening;
    },
    async sync() {},
    async close() {
      if (!listening) return;
      listening = false;
      handler.reset(false);
      // Closing the database ends the subscription too; unlistening then would fail.
      if (!pglite.closed) await unsubscribe();
    },
  };
}

/**
 * One subscription shared by many caches: the process listens once on
 * {@link "db/notice-protocol".NOTICE_CHANNEL}, decodes each payload once and hands the notice, and
 * every reset, to each subscriber (the authentication cache, the list page caches). A payload it
 * cannot decode is ignored.
 *
 * @example
 * const notices = new NoticeHub();
 * notices.subscribe(cache); // told at once whether notices flow
 * await db.listen(NOTICE_CHANNEL, notices);
 */
export class NoticeHub implements NoticeHandler {
  readonly #subscribers = new Set<NoticeSubscriber>();
  #listening = false;

  /** Adds a subscriber, first telling it (through `reset`) whether notices flow now. */
  subscribe(subscriber: NoticeSubscriber): void {
    this.#subscribers.add(subscriber);
    subscriber.reset(this.#listening);
  }

  /** Decodes a payload and hands the notice to every subscriber. */
  notice(payload: string): void {
    const notice = decodeNotice(payload);
    if (notice === null) return;
    for (const subscriber of this.#subscribers) subscriber.notice(notice);
  }

  /** Tells every subscriber that notices stopped or resumed. */
  reset(listening: boolean): void {
    this.#listening = listening;
    noticeListenerConnected.set(listening ? 1 : 0);
    for (const subscriber of this.#subscribers) subscriber.reset(listening);
  }
}
