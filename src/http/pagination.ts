/**
 * DRF's `PageNumberPagination`: `?page=&page_size=` in, `{count, next, previous, results}` out, with
 * absolute `next`/`previous` URLs built from the request's path on the API's origin: the host that
 * passed `ALLOWED_HOSTS`, and the forwarded scheme behind a trusted proxy.
 *
 * @module
 */
import type { Knex } from 'knex';
import type { Context } from 'koa';
import { z } from 'zod';
import { ApiError } from './http-errors.js';
import { apiOrigin } from './origin.js';
import { queryParam, type QueryParameters } from './params.js';
import { text } from '../i18n/translate.js';

/** The page size when the client asks for none. */
export const DEFAULT_PAGE_SIZE = 20;
/** The largest page a client may ask for. */
export const MAX_PAGE_SIZE = 100;

/**
 * The query parameters {@link paginate} reads: a paginated route declares them with
 * `queryParameters(PAGINATION)` (spread into its own, when it has filters).
 */
export const PAGINATION = {
  page: {
    description:
      'The 1-based page number, or `last`. One past the last page, or not a number, is the 404 `Invalid page.`.',
    schema: z.union([z.int().min(1), z.literal('last')]).default(1),
  },
  page_size: {
    description: `Results per page. Over ${MAX_PAGE_SIZE} is capped at ${MAX_PAGE_SIZE}; a value that is not a positive number gives the default.`,
    schema: z.int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  },
} as const satisfies QueryParameters;

/** A page of results in DRF's shape. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/**
 * The schema of a {@link Page} of `item`s, for the OpenAPI document.
 *
 * @example
 * responds({ status: 200, description: 'A page of users', schema: pageOf(UserJson) });
 */
export function pageOf<S extends z.ZodType>(item: S) {
  return z.strictObject({
    count: z.number().int().nonnegative(),
    next: z.url().nullable().meta({ description: 'The next page, absolute; null on the last.' }),
    previous: z.url().nullable().meta({ description: 'The previous page, absolute; null on the first.' }),
    results: z.array(item),
  });
}

/** The page the request asks for. */
export interface PageRequest {
  /** 1-based page number, or `'last'`. */
  readonly page: number | 'last';
  readonly pageSize: number;
}

/**
 * Reads `page` and `page_size` as DRF does: an invalid `page_size` falls back to the default, one
 * over the maximum is capped; an invalid `page` is the 404 `Invalid page.`.
 */
export function pageRequest(ctx: Context): PageRequest {
  const size = Number.parseInt(queryParam(ctx, 'page_size') ?? '', 10);
  const pageSize = Number.isFinite(size) && size > 0 ? Math.min(size, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  const raw = queryParam(ctx, 'page') ?? '1';
  if (raw === 'last') return { page: 'last', pageSize };
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalidPage();
  return { page: Number(raw), pageSize };
}

function invalidPage(): ApiError {
  return new ApiError(404, { detail: text('invalidPage') });
}

/**
 * Runs a list query one page at a time: a count of the filtered rows, then the page itself.
 *
 * @param query - the filtered, ordered query; it is cloned, not consumed
 * @param present - maps each row to its JSON
 * @throws {@link ApiError} 404 `Invalid page.` past the last page
 * @example
 * ctx.body = await paginate(ctx, knex('auth_group').orderBy('id'), presentGroup);
 */
export async function paginate<Row, T>(
  ctx: Context,
  query: Knex.QueryBuilder,
  present: (row: Row) => T,
): Promise<Page<T>> {
  const { page: asked, pageSize } = pageRequest(ctx);
  const counted = await query.clone().clearSelect().clearOrder().count<{ count: string | number }[]>({ count: '*' });
  const count = Number(counted[0]?.count ?? 0);
  const lastPage = Math.max(1, Math.ceil(count / pageSize));
  const page = asked === 'last' ? lastPage : asked;
  if (page > lastPage) throw invalidPage();

  const rows = (await query
    .clone()
    .limit(pageSize)
    .offset((page - 1) * pageSize)) as Row[];
  return {
    count,
    next: page < lastPage ? pageUrl(ctx, page + 1) : null,
    previous: page > 1 ? pageUrl(ctx, page - 1) : null,
    results: rows.map(present),
  };
}

/** The request's own URL on the API's validated origin, with another page number. */
function pageUrl(ctx: Context, page: number): string {
  // Path and query only: a target such as `//other.example/…` must not name the link's host.
  const url = new URL(apiOrigin(ctx));
  const query = ctx.originalUrl.indexOf('?');
  url.pathname = query < 0 ? ctx.originalUrl : ctx.originalUrl.slice(0, query);
  url.search = query < 0 ? '' : ctx.originalUrl.slice(query);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}
