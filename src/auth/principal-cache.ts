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
import { LRUCache } from 'lru-cache';
import type { NoticeHandler } from '../db/notifications.js';
import { loadPrincipal, type AuthUser, type Principal } from './principal.js';

/** The channel the triggers notify on. */
export const AUTH_CHANNEL = 'backoffice_auth';

/** Sizes and lifetime of a {@link PrincipalCache}. */
export interface PrincipalCacheOptions {
  /** How long an entry may be reused (ms); `0` turns the cache off. */
  readonly ttlMs: number;
  /** The most users and the most sessions held (each). */
  readonly max?: number;
}

/**
 * Loads principals through a cache that database notices keep current; also the
 * {@link NoticeHandler} of the `backoffice_auth` channel.
 *
 * @example
 * const principals = new PrincipalCache({ ttlMs: 60_000 });
 * await db.listen(AUTH_CHANNEL, principals);
 * const found = await principals.load(knex, claims.user_id, claims.sid);
 */
export class PrincipalCache implements NoticeHandler {
  readonly #users: LRUCache<number, AuthUser> | null;
  /** Session id → when its last live token expires (ms since the epoch). */
  readonly #sessions: LRUCache<string, number> | null;
  #listening = false;
  /** Counts notices and resets: a load that saw it move while in flight is not kept. */
  #generation = 0;

  /** @param options - lifetime and size; a `ttlMs` of 0 makes every load ask the database */
  constructor(options: PrincipalCacheOptions) {
    const max = options.max ?? 10_000;
    this.#users = options.ttlMs > 0 ? new LRUCache({ max, ttl: options.ttlMs }) : null;
    this.#sessions = options.ttlMs > 0 ? new LRUCache({ max, ttl: options.ttlMs }) : null;
  }

  /** Whether loads are answered from memory now (on, and listening). */
  get active(): boolean {
    return this.#users !== null && this.#listening;
  }

  /**
   * The user behind a token and the state of its session, from memory when both are there and the
   * session's tokens have not expired since, else from the database in one query.
   *
   * @param sessionId - the `sid` claim, or `null` to skip the session check (blacklist off)
   * @returns as {@link loadPrincipal}
   */
  async load(knex: Knex, userId: number, sessionId: string | null): Promise<Principal | null> {
    if (this.active) {
      const user = this.#users!.get(userId);
      const liveUntil = sessionId === null ? Infinity : this.#sessions!.get(sessionId);
      if (user && liveUntil !== undefined && liveUntil > Date.now()) {
        return { user, sessionLive: true, sessionLiveUntil: sessionId === null ? null : new Date(liveUntil) };
      }
    }
    const generation = this.#generation;
    const found = await loadPrincipal(knex, userId, sessionId);
    if (found && this.active && generation === this.#generation) {
      this.#users!.set(userId, found.user);
      if (sessionId !== null && found.sessionLiveUntil) this.#sessions!.set(sessionId, found.sessionLiveUntil.getTime());
    }
    return found;
  }

  /** Evicts what a `backoffice_auth` payload names: `u:<id>`, `u:*`, `s:<session>` or `*`. */
  notice(payload: string): void {
    this.#generation++;
    if (payload.startsWith('s:')) {
      this.#sessions?.delete(payload.slice(2));
    } else if (payload === 'u:*') {
      this.#users?.clear();
    } else if (payload.startsWith('u:')) {
      this.#users?.delete(Number(payload.slice(2)));
    } else {
      this.clear();
    }
  }

  /** Empties the cache; it answers again only while `listening`. */
  reset(listening: boolean): void {
    this.#listening = listening;
    this.clear();
  }

  /** Drops every entry. */
  clear(): void {
    this.#generation++;
    this.#users?.clear();
    this.#sessions?.clear();
  }
}
