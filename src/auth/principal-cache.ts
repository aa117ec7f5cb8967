/**
 * A per-process cache of what {@link loadPrincipal} finds — users (with groups and permissions) and
 * live sessions — kept correct by the database: triggers notify (the {@link "db/notice-protocol"}) on
 * every write that can change an entry (migration `20261128000400_auth_notify`), and each process
 * evicts what changed.
 *
 * The cache answers only while its process is listening: when the notice connection drops it is
 * emptied and bypassed until the connection is back, so a missed notice can never leave a revoked
 * session or a removed permission in use. A load that raced with a notice is not kept.
 *
 * @module
 */
import type { Knex } from 'knex';
import { NoticedCache } from '../db/noticed-cache.js';
import { principalCacheHits, principalCacheMisses } from '../metrics.js';
import type { Notice, NoticeSubscriber } from '../db/notice-protocol.js';
import { loadPrincipal, type AuthUser, type Principal } from './principal.js';

/**
 * Loads principals through caches that database notices keep current; subscribe it to the
 * process's {@link "db/notifications".NoticeHub}.
 *
 * @example
 * const principals = new PrincipalCache({ ttlMs: 60_000 });
 * notices.subscribe(principals);
 * const found = await principals.load(knex, claims.user_id, claims.sid);
 */
export class PrincipalCache implements NoticeSubscriber {
  /** User id → the user. Notices of a user, of every user, of everything. */
  readonly #users: NoticedCache<number, AuthUser>;
  /** Session id → when its last live token expires (ms since the epoch). Notices of a session, of everything. */
  readonly #sessions: NoticedCache<string, number>;

  /** @param options.ttlMs - how long an entry may be used; `0` makes every load ask the database */
  constructor(options: { ttlMs: number; max?: number }) {
    this.#users = new NoticedCache({
      ...options,
      stale: (notice) =>
        notice.kind === 'everything' || notice.kind === 'users' ? 'all' : notice.kind === 'user' ? [notice.id] : [],
    });
    this.#sessions = new NoticedCache({
      ...options,
      stale: (notice) => (notice.kind === 'everything' ? 'all' : notice.kind === 'session' ? [notice.id] : []),
    });
  }

  /** Whether loads are answered from memory now (on, and listening). */
  get active(): boolean {
    return this.#users.active;
  }

  /**
   * The user behind a token and the state of its session, from memory when both are there and the
   * session's tokens have not expired since, else from the database in one query.
   *
   * @param sessionId - the `sid` claim, or `null` to skip the session check (blacklist off)
   * @returns as {@link loadPrincipal}
   */
  async load(knex: Knex, userId: number, sessionId: string | null): Promise<Principal | null> {
    const user = this.#users.get(userId);
    const liveUntil = sessionId === null ? Infinity : this.#sessions.get(sessionId);
    if (user && liveUntil !== undefined && liveUntil > Date.now()) {
      principalCacheHits.inc();
      return { user, sessionLive: true, sessionLiveUntil: sessionId === null ? null : new Date(liveUntil) };
    }
    principalCacheMisses.inc();
    const since = { users: this.#users.generation, sessions: this.#sessions.generation };
    const found = await loadPrincipal(knex, userId, sessionId);
    if (found) {
      this.#users.set(userId, found.user, since.users);
      if (sessionId !== null && found.sessionLiveUntil)
        this.#sessions.set(sessionId, found.sessionLiveUntil.getTime(), since.sessions);
    }
    return found;
  }

  /** Evicts what a notice names. */
  notice(notice: Notice): void {
    this.#users.notice(notice);
    this.#sessions.notice(notice);
  }

  /** Empties the cache; it answers again only while `listening`. */
  reset(listening: boolean): void {
    this.#users.reset(listening);
    this.#sessions.reset(listening);
  }
}
