/**
 * Who is using the admin panel: the same token cookies as the API (refreshed from the refresh
 * cookie when the access token has expired), staff only, with the CSRF checks on every form.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import { authenticateToken, type AuthUser } from '../auth/authenticate.js';
import { ACCESS_COOKIE, REFRESH_COOKIE, setTokenCookies } from '../auth/cookies.js';
import { refreshTokens } from '../auth/service.js';
import type { Deps } from '../deps.js';
import { AuthenticationFailedError, InvalidTokenError, permissionDenied } from '../errors.js';
import { assertTrustedOrigin, isUnsafeMethod } from '../http/origin.js';
import { can, hasPermission } from '../permissions/policy.js';
import { assertCsrfToken, CSRF_FIELD, csrfToken } from './csrf.js';
import { formOf } from './form.js';
import { render } from './render.js';
import { text } from '../i18n/translate.js';

/**
 * Resolves the request's admin login from its cookies, refreshing an expired access token.
 *
 * @returns the user and session, or `null` when the cookies hold no live session
 */
export async function sessionOf(ctx: Context, deps: Deps): Promise<{ user: AuthUser; sessionId: string } | null> {
  const access = ctx.cookies.get(ACCESS_COOKIE);
  if (access) {
    try {
      const session = await authenticateToken(deps, access);
      // A Django access token has no session to bind the panel's CSRF tokens to: use the refresh cookie.
      if (session.sessionId !== null) return { user: session.user, sessionId: session.sessionId };
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
    }
  }
  const refresh = ctx.cookies.get(REFRESH_COOKIE);
  if (!refresh) return null;
  try {
    const tokens = await refreshTokens(deps, refresh);
    setTokenCookies(ctx, deps.config, tokens);
    const session = await authenticateToken(deps, tokens.access);
    return session.sessionId === null ? null : { user: session.user, sessionId: session.sessionId };
  } catch (error) {
    if (isUnauthorized(error)) return null;
    throw error;
  }
}

/**
 * Middleware of every admin page but the login: a live staff session, else the login page (for a
 * page) or 403 (for a form); unsafe requests must pass the origin check and carry the session's
 * CSRF token. Sets `ctx.state.user`, `sessionId` and `csrfToken`.
 */
export function adminSession(deps: Deps) {
  return async function adminSessionMiddleware(ctx: Context, next: Next): Promise<void> {
    const session = await sessionOf(ctx, deps);
    if (!session) {
      if (isUnsafeMethod(ctx.method)) throw permissionDenied(text('adminSessionEnded'));
      ctx.redirect(`/admin/login/?next=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    ctx.state.user = session.user;
    ctx.state.sessionId = session.sessionId;
    ctx.state.authVia = 'cookie';
    if (!can(session.user, 'use_admin', {})) {
      render(ctx, 'refused', { reason: 'not-staff' }, 403);
      return;
    }
    ctx.state.csrfToken = csrfToken(deps.config.secretKey, session.sessionId);
    if (isUnsafeMethod(ctx.method)) {
      assertTrustedOrigin(ctx, deps.config.corsAllowedOrigins);
      assertCsrfToken(deps.config.secretKey, session.sessionId, formOf(ctx).get(CSRF_FIELD));
    }
    await next();
  };
}

/**
 * Route middleware: the refusal page (403) unless the staff user holds the permission.
 *
 * @example
 * router.get('/users/', session, requireAdminPermission('view_user'), listUsers);
 */
export function requireAdminPermission(codename: string) {
  return async function requireAdminPermissionMiddleware(ctx: Context, next: Next): Promise<void> {
    const user = ctx.state.user;
    if (!user || !hasPermission(user, codename)) throw permissionDenied();
    await next();
  };
}

/**
 * The acting staff user of a request that passed {@link adminSession}.
 *
 * @throws Error when the route has no `adminSession()` (a wiring bug)
 */
export function adminUser(ctx: Context): AuthUser {
  const user = ctx.state.user;
  if (!user) throw new Error('adminUser(): the route has no adminSession()');
  return user;
}

/** Whether the tokens were refused (as the API's 401): the session has ended, nothing is broken. */
function isUnauthorized(error: unknown): boolean {
  return error instanceof AuthenticationFailedError || error instanceof InvalidTokenError;
}

/** The middleware {@link adminSession} returns, which every admin page route starts with. */
export type AdminGuard = ReturnType<typeof adminSession>;
