/**
 * A per-process cache of what {@link loadPrincipal} finds — users (with groups and permissions) and
 * live sessions — kept correct by the database: triggers `NOTIFY backoffice_auth` on every write that
 * can change an entry (migration `20261128000400_auth_notify`), and each process evicts what changed.
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
import type { NoticeHandler } from '../db/notifications.js';
import { loadPrincipal, type AuthUser, type Principal } from './principal.js';

/** The channel the triggers notify on. */
export const AUTH_CHANNEL = 'backoffice_auth';

/**
 * Loads principals through caches that database notices keep current; subscribe it to the
 * `backoffice_auth` channel.
 *
 * @example
 * const principals = new PrincipalCache({ ttlMs: 60_000 });
 * notices.subscribe(principals);
 * const found = await principals.load(knex, claims.user_id, claims.sid);
 */
export class PrincipalCache implements NoticeHandler {
  /** User id → the user. Payloads `u:<id>`, `u:*` and `*`. */
  readonly #users: NoticedCache<number, AuthUser>;
  /** Session id → when its last live token expires (ms since the epoch). Payloads `s:<id>` and `*`. */
  readonly #sessions: NoticedCache<string, number>;

  /** @param options.ttlMs - how long an entry may be used; `0` makes every load ask the database */
  constructor(options: { ttlMs: number; max?: number }) {
    this.#users = new NoticedCache({
      ...options,
      stale: (payload) =>
        payload === '*' || payload === 'u:*' ? 'all' : payload.startsWith('u:') ? [Number(payload.slice(2))] : [],
    });
    this.#sessions = new NoticedCache({
      ...options,
      stale: (payload) => (payload === '*' ? 'all' : payload.startsWith('s:') ? [payload.slice(2)] : []),
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

  /** Evicts what a `backoffice_auth` payload names. */
  notice(payload: string): void {
    this.#users.notice(payload);
    this.#sessions.notice(payload);
  }

  /** Empties the cache; it answers again only while `listening`. */
  reset(listening: boolean): void {
    this.#users.reset(listening);
    this.#sessions.reset(listening);
  }
}
