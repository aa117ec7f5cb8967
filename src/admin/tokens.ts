/**
 * `/admin/tokens/*`: outstanding tokens (filtered), the "blacklist" action on one or many, and
 * the blacklisted tokens. The token strings themselves never reach a page.
 *
 * @module
 */
import Router from '@koa/router';
import type { Knex } from 'knex';
import { blacklistTokenSessions } from '../auth/service.js';
import { OutstandingToken } from '../db/models.js';
import type { Deps } from '../deps.js';
import { authorize } from '../permissions/policy.js';
import { userSubject } from '../users/service.js';
import { recordAction } from '../db/audit.js';
import { formOf, idList } from './form.js';
import { fetchHtmlPage } from './pages.js';
import { render } from './render.js';
import { adminUser, requireAdminPermission, type AdminGuard } from './session.js';

/** An outstanding token as the admin lists it (no token string). */
export interface TokenListRow {
  id: number;
  jti: string;
  user_id: number | null;
  username: string | null;
  created_at: Date | null;
  expires_at: Date;
  blacklisted_at: Date | null;
}

/** Filters of the outstanding tokens page. */
export interface TokenFilters {
  /** A username, matched exactly. */
  readonly user?: string;
  /** `live` (usable), `blacklisted` or `expired`. */
  readonly status?: string;
}

/**
 * The outstanding tokens (`o`) with their user (`u`) and blacklist state (`b`), newest first: a knex
 * builder, which the admin's pager counts and slices.
 */
export function outstandingTokensQuery(knex: Knex, filters: TokenFilters = {}): Knex.QueryBuilder {
  const query = OutstandingToken.query(knex)
    .alias('o')
    .leftJoinRelated('[user as u, blacklisted as b]')
    .select('o.id', 'o.jti', 'o.user_id', 'u.username', 'o.created_at', 'o.expires_at', 'b.blacklisted_at')
    .toKnexQuery();
  if (filters.user) query.where('u.username', filters.user);
  if (filters.status === 'blacklisted') query.whereNotNull('b.id');
  if (filters.status === 'live') query.whereNull('b.id').where('o.expires_at', '>', knex.fn.now());
  if (filters.status === 'expired') query.where('o.expires_at', '<=', knex.fn.now());
  return query.orderBy('o.id', 'desc');
}

/** The token pages; every route is behind `session` (a staff login) and a token permission. */
export function adminTokenRoutes(deps: Deps, session: AdminGuard): Router {
  const router = new Router();
  const { knex } = deps;

  router.get('/tokens/', session, requireAdminPermission('view_outstandingtoken'), async (ctx) => {
    const filters = {
      user: typeof ctx.query.user === 'string' ? ctx.query.user.trim() : '',
      status: ['live', 'blacklisted', 'expired'].includes(String(ctx.query.status)) ? String(ctx.query.status) : '',
    };
    const page = await fetchHtmlPage<TokenListRow>(outstandingTokensQuery(knex, filters), ctx.query.page);
    render(ctx, 'tokens/outstanding', { title: 'Outstanding tokens', page, filters, now: new Date() });
  });

  router.post('/tokens/blacklist/', session, requireAdminPermission('blacklist_token'), async (ctx) => {
    const ids = idList(formOf(ctx), 'ids');
    const back = safeBack(formOf(ctx).get('next'));
    if (ids.length === 0) {
      ctx.redirect(withNotice(back, 'none-selected'));
      return;
    }
    const actor = adminUser(ctx);
    await knex.transaction(async (trx) => {
      const tokens = await OutstandingToken.query(trx)
        .findByIds(ids)
        .select('id', 'user_id')
        .orderBy('id')
        .withGraphFetched('user')
        .modifyGraph('user', (user) => user.select('id', 'username'));
      const owners = [
        ...new Map(
          tokens.map((t) => [t.user?.id ?? null, { id: t.user?.id ?? null, username: t.user?.username ?? null }]),
        ).values(),
      ];
      // As the API's logout-everywhere: nobody's tokens but those of users the actor may act on.
      for (const owner of owners)
        if (owner.id !== null) authorize(actor, 'logout_user', { target: await userSubject(trx, owner.id) });
      const users = owners.map((o) => o.username);
      const blacklisted = await blacklistTokenSessions(trx, ids);
      const repr = `${ids.length} token${ids.length === 1 ? '' : 's'} of ${users.filter(Boolean).join(', ') || 'deleted users'}`;
      await recordAction(
        trx,
        actor,
        'blacklist_tokens',
        { type: 'outstandingtoken', id: ids.length === 1 ? ids[0] : null, repr },
        {
          token_ids: ids,
          blacklisted,
        },
      );
    });
    ctx.redirect(withNotice(back, 'blacklisted'));
  });

  router.get('/tokens/blacklisted/', session, requireAdminPermission('view_blacklistedtoken'), async (ctx) => {
    const user = typeof ctx.query.user === 'string' ? ctx.query.user.trim() : '';
    const query = outstandingTokensQuery(knex, { user, status: 'blacklisted' })
      .clearOrder()
      .orderBy('b.blacklisted_at', 'desc');
    const page = await fetchHtmlPage<TokenListRow>(query, ctx.query.page);
    render(ctx, 'tokens/blacklisted', { title: 'Blacklisted tokens', page, filters: { user } });
  });

  return router;
}

/** The list page to return to after an action: only a path of the tokens pages, never elsewhere. */
function safeBack(next: string | null): string {
  return next && /^\/admin\/tokens\/(\?[^\s\\]*)?$/.test(next) ? next : '/admin/tokens/';
}

function withNotice(url: string, notice: string): string {
  const parsed = new URL(url, 'http://admin.invalid');
  parsed.searchParams.set('notice', notice);
  return `${parsed.pathname}${parsed.search}`;
}
