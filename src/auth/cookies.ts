/**
 * The token cookies of the original Django views: `access_token` and `refresh_token`, httpOnly,
 * `Path=/`, `Max-Age` = the token's lifetime (the refresh token's: until its `exp`, which a
 * session's absolute lifetime may bring forward), SameSite and Secure from configuration.
 *
 * @module
 */
import { serialize, type SerializeOptions } from 'cookie';
import type { Context } from 'koa';
import type { Config } from '../config.js';

/** Cookie names, as the Django views set them. */
export const ACCESS_COOKIE = 'access_token';
/** The refresh token's cookie. */
export const REFRESH_COOKIE = 'refresh_token';

type CookieSettings = Pick<Config, 'cookies' | 'jwt'>;

function attributes(config: CookieSettings, maxAgeSeconds: number): SerializeOptions {
  return {
    httpOnly: true,
    path: '/',
    sameSite: config.cookies.sameSite,
    secure: config.cookies.secure,
    maxAge: maxAgeSeconds,
    expires: new Date(Date.now() + maxAgeSeconds * 1000),
  };
}

// Koa's cookie helper refuses Secure cookies on a plain-HTTP hop (behind a TLS-terminating proxy
// without TRUST_PROXY), so the header is written directly.
function append(ctx: Context, header: string): void {
  ctx.append('Set-Cookie', header);
}

/**
 * Sets the token cookies for the tokens in a response.
 *
 * @param tokens - `access` always; `refresh` when one was issued, with its `exp` when known: the
 *   refresh cookie then expires with the token (near a session's end, before
 *   `REFRESH_TOKEN_LIFETIME` has passed)
 */
export function setTokenCookies(
  ctx: Context,
  config: CookieSettings,
  tokens: { access: string; refresh?: string; refreshExpiresAt?: number },
): void {
  append(ctx, serialize(ACCESS_COOKIE, tokens.access, attributes(config, config.jwt.accessLifetime)));
  if (!tokens.refresh) return;
  const maxAge =
    tokens.refreshExpiresAt === undefined
      ? config.jwt.refreshLifetime
      : Math.max(0, Math.min(config.jwt.refreshLifetime, tokens.refreshExpiresAt - Math.floor(Date.now() / 1000)));
  append(ctx, serialize(REFRESH_COOKIE, tokens.refresh, attributes(config, maxAge)));
}

/** Expires both token cookies (logout). */
export function clearTokenCookies(ctx: Context, config: CookieSettings): void {
  for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
    append(ctx, serialize(name, '', { ...attributes(config, 0), expires: new Date(0) }));
  }
}
