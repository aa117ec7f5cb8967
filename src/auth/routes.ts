/**
 * `/api/token/*`: log in, refresh, verify, log out — simplejwt's endpoints with the original
 * views' cookies.
 *
 * @module
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { validationError } from '../errors.js';
import { MESSAGES } from '../drf-wordings.js';
import { assertTrustedOrigin } from '../http/origin.js';
import { responds } from '../http/responds.js';
import { validate, validatedBody } from '../http/validate.js';
import { clearTokenCookies, REFRESH_COOKIE, setTokenCookies } from './cookies.js';
import { throttledLogin } from './login.js';
import { TokenObtain, TokenRefresh, TokenVerify } from './schema.js';
import { blacklistRefreshToken, refreshTokens, verifyAnyToken } from './service.js';

const jwt = (description: string) => z.string().meta({ description });
const Access = jwt('Access token (JWT); also set as the `access_token` cookie.');
const Refresh = jwt('Refresh token (JWT); also set as the `refresh_token` cookie.');
/** `POST /api/token/`: simplejwt's pair, refresh first. */
const TokenPairJson = z.strictObject({ refresh: Refresh, access: Access });
/** `POST /api/token/refresh/`: a new access token, and a new refresh token when rotating. */
const RefreshedJson = z.strictObject({
  access: Access,
  refresh: Refresh.optional().meta({ description: 'Present when ROTATE_REFRESH_TOKENS is on (the default).' }),
});
/** The empty object simplejwt answers for verify and blacklist. */
const EmptyJson = z.strictObject({});

/**
 * The token router, mounted under `/api`.
 */
export function authRoutes(deps: Deps): Router {
  const router = new Router();

  router.post(
    '/token/',
    validate(TokenObtain),
    responds(
      { status: 200, description: 'The token pair; both cookies are set too.', schema: TokenPairJson },
      {
        summary: 'Log in',
        description:
          'Checks a username and password and answers a token pair; the `access_token` and `refresh_token` cookies are set too. Failed logins are throttled per address and per username.',
        errors: [401],
      },
    ),
    async (ctx) => {
      const tokens = await throttledLogin(ctx, deps, validatedBody(ctx, TokenObtain));
      setTokenCookies(ctx, deps.config, tokens);
      ctx.body = { refresh: tokens.refresh, access: tokens.access };
    },
  );

  router.post(
    '/token/refresh/',
    validate(TokenRefresh),
    responds(
      {
        status: 200,
        description: 'A new access token (and refresh token when rotating); cookies updated.',
        schema: RefreshedJson,
      },
      {
        summary: 'Refresh the access token',
        description:
          'Takes the refresh token from the body, or else from the `refresh_token` cookie (then the request must pass the origin check). With rotation on, the refresh token is replaced and the old one blacklisted.',
        errors: [401, 403],
      },
    ),
    async (ctx) => {
      const tokens = await refreshTokens(deps, refreshTokenOf(ctx, deps));
      setTokenCookies(ctx, deps.config, tokens);
      ctx.body = tokens.refresh ? { access: tokens.access, refresh: tokens.refresh } : { access: tokens.access };
    },
  );

  router.post(
    '/token/verify/',
    validate(TokenVerify),
    responds(
      { status: 200, description: 'The token is valid.', schema: EmptyJson },
      {
        summary: 'Verify a token',
        description: 'Answers `{}` for a valid access or refresh token, 401 otherwise.',
        errors: [401],
      },
    ),
    async (ctx) => {
      await verifyAnyToken(deps, validatedBody(ctx, TokenVerify).token);
      ctx.body = {};
    },
  );

  router.post(
    '/token/blacklist/',
    validate(TokenRefresh),
    responds(
      {
        status: 200,
        description: 'Logged out: the session is blacklisted and both cookies cleared.',
        schema: EmptyJson,
      },
      {
        summary: 'Log out',
        description: 'Blacklists the refresh token (from the body or the cookie) and clears both cookies.',
        errors: [401, 403],
      },
    ),
    async (ctx) => {
      const refresh = refreshTokenOf(ctx, deps);
      // The cookies go whatever the token's state: a client logging out must end up logged out.
      clearTokenCookies(ctx, deps.config);
      await blacklistRefreshToken(deps, refresh);
      ctx.body = {};
    },
  );

  return router;
}

/** The refresh token from the body, else from its cookie (origin-checked, as a cookie-borne credential). */
function refreshTokenOf(ctx: Context, deps: Deps): string {
  const fromBody = validatedBody(ctx, TokenRefresh).refresh;
  if (fromBody) return fromBody;
  const fromCookie = ctx.cookies.get(REFRESH_COOKIE);
  if (!fromCookie) throw validationError({ refresh: [MESSAGES.required] });
  assertTrustedOrigin(ctx, deps.config.corsAllowedOrigins);
  return fromCookie;
}
