/**
 * The admin panel at `/admin/`: the counterpart of Django admin for users, groups and tokens,
 * server-rendered, calling the same use-cases as the API, and a generic admin of every declared
 * resource; its index and navigation are derived from the features.
 *
 * @module
 */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { REFRESH_COOKIE, clearTokenCookies, setTokenCookies } from '../auth/cookies.js';
import { authenticateToken } from '../auth/authenticate.js';
import { throttledLogin } from '../auth/login.js';
import { blacklistRefreshToken } from '../auth/service.js';
import type { Deps } from '../deps.js';
import { domainErrorOfDatabase } from '../db/classify-error.js';
import {
  AuthenticationFailedError,
  DomainError,
  InvalidTokenError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../errors.js';
import { toHttpError } from '../http/error-writer.js';
import { ApiError } from '../http/http-errors.js';
import { MESSAGES } from '../drf-wordings.js';
import { assertTrustedOrigin } from '../http/origin.js';
import { can } from '../permissions/policy.js';
import { recordAction } from '../db/audit.js';
import { FEATURES } from '../registry.js';
import { resourcesOf, type Feature } from '../resources/features.js';
import { auditActions, auditQuery, type AuditEntry } from './audit.js';
import { formOf, parseForm } from './form.js';
import { adminGroupRoutes } from './groups.js';
import { adminSections } from './navigation.js';
import { fetchHtmlPage } from './pages.js';
import { ADMIN_CSP, STYLESHEETS, adminWording, render } from './render.js';
import { Message, text, type Wording } from '../i18n/translate.js';
import { adminResourceRoutes, adminResources } from './resources.js';
import { adminSession, adminUser, requireAdminPermission, sessionOf, type AdminGuard } from './session.js';
import { adminTokenRoutes } from './tokens.js';
import { adminUserRoutes } from './users.js';

/** Django's admin login refusal, naming the username field by its verbose name. */
const WRONG_CREDENTIALS = text('adminLoginFailed', { username: text('usernameVerboseName') });

/**
 * The admin router, mounted at `/admin` before the API's JSON body parser (its forms are
 * urlencoded). Its pages answer in HTML, errors included.
 *
 * @param deps - configuration and database
 * @param features - the features administered: their own pages' links, and their resources'
 *   generic pages; all of them ({@link FEATURES}) unless a test says otherwise
 * @throws Error when a resource's name is taken by another or by a page of the panel
 * @example
 * app.use(adminRoutes(deps, features).routes());
 */
export function adminRoutes(deps: Deps, features: readonly Feature[] = FEATURES): Router {
  const router = new Router({ prefix: '/admin' });
  const resources = adminResources(features);
  const session = withSections(adminSession(deps), features);

  router.use(adminHeaders, adminErrors, refuseNullQuery, parseForm);

  router.get('/static/:name', (ctx) => {
    const css = STYLESHEETS.get(ctx.params.name ?? '');
    if (css === undefined) return renderNotFound(ctx);
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });

  router.get('/login/', async (ctx) => {
    const current = await sessionOf(ctx, deps);
    if (current && can(current.user, 'use_admin', {})) return ctx.redirect(nextUrl(ctx.query.next));
    render(ctx, 'login', { title: 'Log in', next: nextUrl(ctx.query.next), username: '', error: null });
  });

  router.post('/login/', async (ctx) => {
    assertTrustedOrigin(ctx, deps.config.corsAllowedOrigins);
    const form = formOf(ctx);
    const credentials = { username: form.get('username') ?? '', password: form.get('password') ?? '' };
    const next = nextUrl(form.get('next'));
    if (`${credentials.username}${credentials.password}`.includes('\0')) {
      // Django's form fields refuse NUL before any lookup (PostgreSQL cannot compare text with it).
      return render(ctx, 'login', {
        title: 'Log in',
        next,
        username: '',
        error: adminWording(MESSAGES.nullCharacters),
      });
    }
    let tokens;
    try {
      tokens = await throttledLogin(ctx, deps, credentials);
    } catch (error) {
      if (error instanceof AuthenticationFailedError) {
        ctx.set(toHttpError(error).headers);
        return render(ctx, 'login', {
          title: 'Log in',
          next,
          username: credentials.username,
          error: adminWording(WRONG_CREDENTIALS),
        });
      }
      if (error instanceof ThrottledError) {
        ctx.set(toHttpError(error).headers);
        return render(
          ctx,
          'login',
          { title: 'Log in', next, username: credentials.username, error: adminWording(error.detail) },
          429,
        );
      }
      throw error;
    }
    const { user } = await authenticateToken(deps, tokens.access);
    if (!can(user, 'use_admin', {})) {
      // A valid login of a non-staff user opens no admin session: the new session is closed at once.
      await blacklistRefreshToken(deps, tokens.refresh);
      ctx.state.user = user;
      return render(ctx, 'refused', { title: 'Access refused', reason: 'not-staff' }, 403);
    }
    await recordAction(deps.knex, user, 'login', { type: 'user', id: user.id, repr: user.username });
    setTokenCookies(ctx, deps.config, tokens);
    ctx.redirect(next);
  });

  router.post('/logout/', session, async (ctx) => {
    const user = adminUser(ctx);
    const refresh = ctx.cookies.get(REFRESH_COOKIE);
    // Only a session that is already invalid counts as logged out; anything else (the database
    // down) is shown, and the cookies stay so that the user can try again.
    if (refresh) await blacklistRefreshToken(deps, refresh).catch(unlessAlreadyInvalid);
    clearTokenCookies(ctx, deps.config);
    await recordAction(deps.knex, user, 'logout', { type: 'user', id: user.id, repr: user.username });
    ctx.redirect('/admin/login/');
  });

  router.get('/', session, async (ctx) => {
    const mine = await auditQuery(deps.knex).where('actor_id', adminUser(ctx).id).limit(10);
    render(ctx, 'index', { title: 'Site administration', recent: mine as AuditEntry[] });
  });

  router.get('/log/', session, requireAdminPermission('view_logentry'), async (ctx) => {
    const pick = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim() : '');
    const filters = {
      actor: pick('actor'),
      action: pick('action'),
      targetType: pick('target_type'),
      targetId: pick('target_id'),
    };
    const page = await fetchHtmlPage<AuditEntry>(auditQuery(deps.knex, filters), ctx.query.page);
    const actions = await auditActions(deps.knex);
    render(ctx, 'log', { title: 'Audit log', page, filters, actions });
  });

  for (const child of [
    adminUserRoutes(deps, session),
    adminGroupRoutes(deps, session),
    adminTokenRoutes(deps, session),
    // After the pages of the features, whose paths it would otherwise match.
    adminResourceRoutes(deps, session, resources, resourcesOf(features)),
  ]) {
    router.use(child.routes());
  }

  // Anything else under /admin/ is an HTML 404, never the API's JSON one.
  router.all('/{*rest}', renderNotFound);
  return router;
}

/** The session guard, which also gives the pages the index sections the staff member may see. */
function withSections(guard: AdminGuard, features: readonly Feature[]): AdminGuard {
  return async function adminSessionWithSections(ctx: Context, next: Next): Promise<void> {
    await guard(ctx, async () => {
      ctx.state.adminSections = adminSections(features, adminUser(ctx));
      await next();
    });
  };
}

/**
 * The panel's headers: its own CSP (scripts none, styles from here), nothing cached, and Django's
 * `same-origin` referrer policy — under helmet's `no-referrer` a browser sends `Origin: null` with
 * a form, which the origin check must refuse.
 */
async function adminHeaders(ctx: Context, next: Next): Promise<void> {
  ctx.set('Content-Security-Policy', ADMIN_CSP);
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('Cache-Control', 'no-store');
  await next();
}

/**
 * The admin's translation of errors into HTML pages, in one place: the not-found page for "not
 * found", the 503 page while the database or the store is unreachable, the refusal page for every
 * other refusal (domain or HTTP) with the status the API would answer, else a 500 page.
 */
async function adminErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (thrown) {
    const error = thrown instanceof DomainError ? thrown : (domainErrorOfDatabase(thrown) ?? thrown);
    if (error instanceof NotFoundError) return renderNotFound(ctx);
    if (error instanceof UnavailableError) {
      return renderUnavailable(ctx);
    }
    const refusal = error instanceof DomainError ? toHttpError(error) : error;
    if (refusal instanceof ApiError && refusal.status < 500) {
      ctx.set(refusal.headers);
      if (refusal.status === 404) return renderNotFound(ctx);
      return render(
        ctx,
        'refused',
        { title: 'Access refused', reason: 'error', detail: adminWording(refusalDetail(refusal)) },
        refusal.status,
      );
    }
    if (refusal instanceof ApiError && refusal.status === 503) return renderUnavailable(ctx);
    ctx.log.error({ err: thrown }, 'unhandled admin error');
    render(ctx, 'error', { title: 'Server error', detail: adminWording(text('serverError')) }, 500);
  }
}

/** Swallows the refusal of a refresh token that is already invalid (expired, blacklisted); rethrows the rest. */
function unlessAlreadyInvalid(error: unknown): void {
  if (error instanceof InvalidTokenError || error instanceof AuthenticationFailedError) return;
  throw error;
}

/** A query value with NUL is refused with a 400 page, as the admin's filters would reach the database with it. */
async function refuseNullQuery(ctx: Context, next: Next): Promise<void> {
  if (
    Object.values(ctx.query)
      .flat()
      .some((value) => value?.includes('\0'))
  )
    throw new ApiError(400, { detail: MESSAGES.nullCharacters });
  await next();
}

function renderNotFound(ctx: Context): void {
  render(ctx, 'error', { title: 'Not found', detail: adminWording(text('pageNotFound')) }, 404);
}

function renderUnavailable(ctx: Context): void {
  render(ctx, 'error', { title: 'Service unavailable', detail: adminWording(text('unavailable')) }, 503);
}

/** The message of a refusal the API would answer: its `detail`, or DRF's `Bad request.` for a body without one. */
function refusalDetail(refusal: ApiError): Wording {
  const { detail } = refusal.body;
  return detail instanceof Message || typeof detail === 'string' ? detail : text('badRequest');
}

/** A path inside the panel with no whitespace, backslash or control character. */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const INSIDE_ADMIN = /^\/admin\/[^\s\\\u0000-\u001f\u007f]*$/;

/** Where to go after login: a path inside the panel only (no open redirect). */
function nextUrl(value: unknown): string {
  return typeof value === 'string' && INSIDE_ADMIN.test(value) && !value.startsWith('/admin//') ? value : '/admin/';
}
