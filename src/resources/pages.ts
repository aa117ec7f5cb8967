/**
 * Pages of a declared resource's list, kept: a page is kept as JSON, per scope (an owner's page is
 * its own), origin and URL, until a notice says a row of the resource's table or of one of its
 * many-to-many tables changed (`CACHE_TTL`; the triggers are `notices.ts`'s). A resource with
 * computed fields keeps no page: its values (signed URLs) are made for each answer.
 *
 * @module
 */
import type { Knex } from 'knex';
import type { Context } from 'koa';
import { NoticedCache } from '../db/noticed-cache.js';
import type { Deps } from '../deps.js';
import { apiOrigin } from '../http/origin.js';
import { paginate } from '../http/pagination.js';
import type { Verdict } from './access.js';
import type { ListQuery } from './list-query.js';
import type { AnswerContext, Resource } from './resource.js';
import { answerRows, rowsQuery } from './store.js';

/**
 * A resource's list, a page at a time, through a cache that the process's notices keep current.
 *
 * @example
 * const pages = new ResourcePages(deps, projects); // once, where the router is made
 * ctx.type = 'json';
 * ctx.body = await pages.page(ctx, access.view(actor), query, () => ({ deps, origin: apiOrigin(ctx) }));
 */
export class ResourcePages {
  readonly #knex: Knex;
  readonly #resource: Resource;
  readonly #pages: NoticedCache<string, string> | null;

  /**
   * Subscribes to `deps.notices` unless the resource has computed fields; `deps.config.cacheTtl`
   * is the pages' lifetime (0: none kept).
   */
  constructor(deps: Pick<Deps, 'knex' | 'config' | 'notices'>, resource: Resource) {
    this.#knex = deps.knex;
    this.#resource = resource;
    const { table } = resource;
    this.#pages =
      Object.keys(resource.computed).length === 0
        ? new NoticedCache<string, string>({
            ttlMs: deps.config.cacheTtl * 1000,
            max: 500,
            stale: (notice) =>
              notice.kind === 'everything' || (notice.kind === 'resource' && notice.table === table) ? 'all' : [],
          })
        : null;
    if (this.#pages) deps.notices.subscribe(this.#pages);
  }

  /**
   * The page a request asks for, as JSON: kept, or read and kept.
   *
   * @param view - the actor's scope of the rows (part of the key)
   * @param query - the parsed filters, search and ordering (parse and check them first: a request
   *   refused must reach neither the cache nor the database)
   * @param context - for the computed fields' values, made only when they are
   * @throws the 404 `Invalid page.` past the last page, as {@link "http/pagination".paginate}
   */
  async page(ctx: Context, view: Verdict, query: ListQuery, context: () => AnswerContext): Promise<string> {
    const resource = this.#resource;
    const load = async () => {
      const rows = resource.listQuery.apply(rowsQuery(this.#knex, resource, view), query, resource.table);
      const page = await paginate(ctx, rows, (row: Record<string, unknown>) => row);
      return JSON.stringify({ ...page, results: await answerRows(resource, page.results, context) });
    };
    // Without a cache that answers, no key: the origin is read only for one (the links carry it).
    if (!this.#pages?.active) return load();
    return (await this.#pages.through(`${JSON.stringify(view)} ${apiOrigin(ctx)}${ctx.originalUrl}`, load)).value;
  }
}
