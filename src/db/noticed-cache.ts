/**
 * A bounded, expiring map that answers only while database notices can evict its entries: emptied
 * and bypassed when the notice connection drops, and refusing a value whose load crossed a notice.
 * The building block of the caches that `NOTIFY` keeps current.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { Notice, NoticeSubscriber } from './notice-protocol.js';

/** Sizes, lifetime and eviction rule of a {@link NoticedCache}. */
export interface NoticedCacheOptions<K> {
  /** How long an entry may be used (ms); `0` turns the cache off (every `get` misses). */
  readonly ttlMs: number;
  /** The most entries held. */
  readonly max?: number;
  /**
   * Which entries a notice makes stale: the keys to drop, or `'all'`, or none (an empty list).
   * Without it every notice empties the cache.
   */
  readonly stale?: (notice: Notice) => readonly K[] | 'all';
}

/**
 * A cache for values read from the database and kept current by its notices.
 *
 * Read {@link NoticedCache.generation} before loading and pass it to {@link NoticedCache.set}: a
 * value is kept only if no notice (or reset) came in between, since it may predate the change.
 *
 * @example
 * const pages = new NoticedCache<string, string>({ ttlMs: 60_000 });
 * notices.subscribe(pages);
 * const cached = pages.get(url);
 * if (cached === undefined) { const since = pages.generation; pages.set(url, await load(), since); }
 */
export class NoticedCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> implements NoticeSubscriber {
  readonly #entries: LRUCache<K, V> | null;
  readonly #stale: NoticedCacheOptions<K>['stale'];
  #listening = false;
  #generation = 0;

  /** @param options - lifetime, size and eviction rule */
  constructor(options: NoticedCacheOptions<K>) {
    this.#entries = options.ttlMs > 0 ? new LRUCache<K, V>({ max: options.max ?? 10_000, ttl: options.ttlMs }) : null;
    this.#stale = options.stale;
  }

  /** Whether the cache answers now: on, and its process listening for notices. */
  get active(): boolean {
    return this.#entries !== null && this.#listening;
  }

  /** Moves on every notice and reset; see {@link NoticedCache.set}. */
  get generation(): number {
    return this.#generation;
  }

  /** The entry for a key, or `undefined` when absent, expired, or the cache is not active. */
  get(key: K): V | undefined {
    return this.active ? this.#entries!.get(key) : undefined;
  }

  /**
   * Keeps a loaded value, unless the cache is not active or a notice came since `generation`.
   *
   * @param generation - {@link NoticedCache.generation} as read before the load began
   */
  set(key: K, value: V, generation: number): void {
    if (this.active && generation === this.#generation) this.#entries!.set(key, value);
  }

  /**
   * The entry for a key, or the value `load` reads, kept unless a notice came in while it loaded
   * ({@link NoticedCache.get}, then {@link NoticedCache.set} with the generation read before).
   *
   * @returns the value, and whether it was kept from before
   * @example
   * const { value, hit } = await pages.through(url, () => readPage(url));
   */
  async through(key: K, load: () => Promise<V>): Promise<{ value: V; hit: boolean }> {
    const kept = this.get(key);
    if (kept !== undefined) return { value: kept, hit: true };
    const since = this.#generation;
    const value = await load();
    this.set(key, value, since);
    return { value, hit: false };
  }

  /** Drops what the notice makes stale. */
  notice(notice: Notice): void {
    this.#generation++;
    const stale = this.#stale ? this.#stale(notice) : 'all';
    if (stale === 'all') this.#entries?.clear();
    else for (const key of stale) this.#entries?.delete(key);
  }

  /** Empties the cache; it answers again only while `listening`. */
  reset(listening: boolean): void {
    this.#listening = listening;
    this.#generation++;
    this.#entries?.clear();
  }
}
