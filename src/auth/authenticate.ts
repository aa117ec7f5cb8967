/**
 * Authentication middleware: a Bearer access token or the `access_token` cookie, checked against
 * the user and the token's session — in one query, or from the cache that database notices keep
 * current ({@link "auth/principal-cache".PrincipalCache}).
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { Deps } from '../deps.js';
import { authenticationFailed, invalidAccessToken } from '../errors.js';
import { notAuthenticated } from '../http/http-errors.js';
import { assertTrustedOrigin } from '../http/origin.js';
import { declareRoute } from '../http/route-metadata.js';
import { ACCESS_COOKIE } from './cookies.js';
import { legacyTokenRevoked } from './django-tokens.js';
import type { AuthUser } from './principal.js';
import { TokenError, tokenSettings, verifyToken } from './tokens.js';
import { text } from '../i18n/translate.js';

export type { AuthUser } from './principal.js';

declare module 'koa' {
  interface DefaultState {
    /** The authenticated user, set by `authenticate()`. */
    user?: AuthUser;
    /** The session (login) the access token belongs to. */
    sessionId?: string;
    /** How the request authenticated: `bearer` header or `cookie`; absent when anonymous. */
    authVia?: 'bearer' | 'cookie';
  }
}

/** Where a request's access token came from. */
export interface Credentials {
  readonly token: string;
  readonly via: 'bearer' | 'cookie';
}

/**
 * Finds the access token of a request: the `Authorization: Bearer` header first, else the cookie.
 * Another scheme counts as no header, as in simplejwt.
 *
 * @returns the token and its source, or `null` when the request carries none
 * @throws {@link AuthenticationFailedError} (401) for a `Bearer` header that is not exactly two parts
 */
export function readCredentials(ctx: Context): Credentials | null {
  const header = ctx.get('Authorization');
  if (header) {
    const parts = header.split(' ');
    if (parts[0] === 'Bearer') {
      if (parts.length !== 2 || !parts[1]) {
        throw authenticationFailed(text('badAuthorizationHeader'), 'bad_authorization_header');
      }
      return { token: parts[1], via: 'bearer' };
    }
  }
  const cookie = ctx.cookies.get(ACCESS_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

/** What authenticating a request's credentials came to, kept for the route's `authenticate()`. */
type Authentication = Promise<{ user: AuthUser; sessionId: string | null }>;

/**
 * The outcome {@link identifyRequest} reached for a request, by its context: private to this
 * module, and gone with the request.
 */
const earlyAuthentications = new WeakMap<Context, Authentication>();

/**
 * Authenticates a request's credentials ahead of the routes, for the throttles: the id of the user
 * they belong to, or `null` when there are none or they do not authenticate (then the request
 * counts as anonymous). Never throws; {@link authenticate} reuses the outcome, error included, so a
 * token is checked once per request.
 */
export function identifyRequest(deps: Deps) {
  return async function identify(ctx: Context): Promise<number | null> {
    let credentials;
    try {
      credentials = readCredentials(ctx);
    } catch {
      return null; // a malformed header: authenticate() answers it
    }
    if (!credentials) return null;
    const outcome: Authentication = authenticateToken(deps, credentials.token);
    outcome.catch(() => undefined); // read again, and answered, by authenticate()
    earlyAuthentications.set(ctx, outcome);
    try {
      return (await outcome).user.id;
    } catch {
      return null;
    }
  };
}

/**
 * Resolves an access token to its user.
 *
 * An access token the Django backend issued (no `sid`) has no session to check: it is accepted
 * until its expiry unless its user's session-less tokens were revoked since it was issued
 * ({@link "auth/django-tokens".legacyTokenRevoked}).
 *
 * @returns the active user whose live session issued the token, and that session's id (`null` for
 *   a Django access token)
 * @throws {@link InvalidTokenError} (401) with simplejwt's body for an invalid, expired or revoked token, an
 *   unknown or inactive user
 */
export async function authenticateToken(
  deps: Deps,
  token: string,
): Promise<{ user: AuthUser; sessionId: string | null }> {
  let claims;
  try {
    claims = verifyToken(tokenSettings(deps), token, 'access');
  } catch (error) {
    if (error instanceof TokenError) throw invalidAccessToken();
    throw error;
  }
  const { blacklistEnabled } = deps.config.jwt;
  const found = await deps.principals.load(deps.knex, claims.user_id, blacklistEnabled ? claims.sid : null);
  if (!found) throw authenticationFailed(text('userNotFound'), 'user_not_found');
  if (!found.user.is_active) throw authenticationFailed(text('userInactive'), 'user_inactive');
  if (!found.sessionLive) throw invalidAccessToken(text('tokenBlacklisted'));
  if (blacklistEnabled && claims.sid === null && (await legacyTokenRevoked(deps.knex, claims)))
    throw invalidAccessToken(text('tokenBlacklisted'));
  return { user: found.user, sessionId: claims.sid };
}

/**
 * Route middleware requiring an authenticated user; sets `ctx.state.user`.
 *
 * Cookie-authenticated unsafe requests must also pass the origin check (CSRF). The middleware
 * declares `{ authenticated: true }` as route metadata, which the OpenAPI document reads.
 *
 * @example
 * router.get('/users/me/', authenticate(deps), getMe);
 */
export function authenticate(deps: Deps) {
  const middleware = async function authenticateMiddleware(ctx: Context, next: Next): Promise<void> {
    const credentials = readCredentials(ctx);
    if (!credentials) throw notAuthenticated();
    if (credentials.via === 'cookie') assertTrustedOrigin(ctx, deps.config.corsAllowedOrigins);
    const early = earlyAuthentications.get(ctx);
    const { user, sessionId } = await (early ?? authenticateToken(deps, credentials.token));
    ctx.state.user = user;
    if (sessionId !== null) ctx.state.sessionId = sessionId;
    ctx.state.authVia = credentials.via;
    await next();
  };
  return declareRoute(middleware, { authenticated: true });
}

/**
 * The authenticated user of a request that passed {@link authenticate}.
 *
 * @throws Error when the route has no `authenticate()` (a wiring bug)
 */
export function currentUser(ctx: Context): AuthUser {
  const user = ctx.state.user;
  if (!user) throw new Error('currentUser(): the route has no authenticate()');
  return user;
}
