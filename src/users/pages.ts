/**
 * Pages of the users list, kept: a page reads the same for everyone allowed to see it, so it is
 * kept as JSON, per origin and URL, until a notice says a user, a membership or a group changed
 * (`CACHE_TTL`; docs/md/architecture.md, "Caches kept current by the database").
 *
 * @module
 */
import type { Context } from 'koa';
import { NoticedCache } from '../db/noticed-cache.js';
import type { Deps } from '../deps.js';
import { apiOrigin } from '../http/origin.js';
import { paginate } from '../http/pagination.js';
import { usersPageCacheHits, usersPageCacheMisses } from '../metrics.js';
import type { ListQuery } from '../resources/list-query.js';
import { presentUser, type UserRow } from './presenter.js';
import { usersQuery } from './service.js';

/**
 * The users list, a page at a time, through a cache that the process's notices keep current.
 *
 * @example
 * const pages = new UsersPages(deps); // once, where the router is made
 * ctx.type = 'json';
 * ctx.body = await pages.page(ctx, userListQuery.parse(ctx.query).query);
 */
export class UsersPages {
  readonly #knex: Deps['knex'];
  readonly #pages: NoticedCache<string, string>;

  /** Subscribes to `deps.notices`; `deps.config.cacheTtl` is the pages' lifetime (0: none kept). */
  constructor(deps: Pick<Deps, 'knex' | 'config' | 'notices'>) {
    this.#knex = deps.knex;
    this.#pages = new NoticedCache<string, string>({
      ttlMs: deps.config.cacheTtl * 1000,
      max: 200,
      // A session's or a declared resource's notice changes no user.
      stale: (notice) => (notice.kind === 'session' || notice.kind === 'resource' ? [] : 'all'),
    });
    deps.notices.subscribe(this.#pages);
  }

  /**
   * The page a request asks for, as JSON: kept, or read and kept.
   *
   * @param query - the parsed search, filters and ordering (parse first: a request past the bounds
   *   must reach neither the cache nor the database)
   * @throws the 404 `Invalid page.` past the last page, as {@link "http/pagination".paginate}
   */
  async page(ctx: Context, query: ListQuery): Promise<string> {
    // The links to the next and previous pages carry the origin.
    const key = `${apiOrigin(ctx)}${ctx.originalUrl}`;
    const { value, hit } = await this.#pages.through(key, async () =>
      JSON.stringify(await paginate(ctx, usersQuery(this.#knex, query), (row: UserRow) => presentUser(row))),
    );
    (hit ? usersPageCacheHits : usersPageCacheMisses).inc();
    return value;
  }
}
