/**
 * Page-at-a-time lists for the admin's HTML tables: an out-of-range page shows the last one
 * instead of an error, as Django admin does.
 *
 * @module
 */
import type { Knex } from 'knex';

/** Rows shown per admin list page. */
export const ADMIN_PAGE_SIZE = 25;

/** One page of a list with what the pager needs. */
export interface HtmlPage<Row> {
  rows: Row[];
  count: number;
  page: number;
  pages: number;
}

/**
 * Fetches one page of a filtered, ordered query for an admin HTML table (named apart from
 * `http/pagination.ts`'s `pageOf`, which builds the API's page schema).
 *
 * @param query - the filtered, ordered query; counted and sliced here
 * @param requested - the `page` query parameter as given
 * @param pageSize - rows per page
 * @returns the rows of the page, the total count, the page shown (clamped to the last) and the page count
 * @example
 * const page = await fetchHtmlPage(usersQuery(knex, filters), ctx.query.page);
 */
export async function fetchHtmlPage<Row>(
  query: Knex.QueryBuilder,
  requested: unknown,
  pageSize = ADMIN_PAGE_SIZE,
): Promise<HtmlPage<Row>> {
  const counted = await query.clone().clearSelect().clearOrder().count<{ count: string | number }[]>({ count: '*' });
  const count = Number(counted[0]?.count ?? 0);
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const asked = Number.parseInt(String(requested ?? '1'), 10);
  const page = Number.isFinite(asked) ? Math.min(Math.max(1, asked), pages) : 1;
  const rows = (await query
    .clone()
    .limit(pageSize)
    .offset((page - 1) * pageSize)) as Row[];
  return { rows, count, page, pages };
}
