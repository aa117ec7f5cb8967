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
 * Runs one page of a filtered, ordered query.
 *
 * @param requested - the `page` query parameter as given
 * @example
 * const page = await pageOf(usersQuery(knex, filters), ctx.query.page);
 */
export async function pageOf<Row>(query: Knex.QueryBuilder, requested: unknown, pageSize = ADMIN_PAGE_SIZE): Promise<HtmlPage<Row>> {
  const counted = await query.clone().clearSelect().clearOrder().count<{ count: string | number }[]>({ count: '*' });
  const count = Number(counted[0]?.count ?? 0);
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const asked = Number.parseInt(String(requested ?? '1'), 10);
  const page = Number.isFinite(asked) ? Math.min(Math.max(1, asked), pages) : 1;
  const rows = (await query.clone().limit(pageSize).offset((page - 1) * pageSize)) as Row[];
  return { rows, count, page, pages };
}
