/**
 * The CSRF defence for cookie-authenticated requests: an unsafe request that a browser sent with
 * the token cookie must come from the API's own origin or an allowed one.
 *
 * @module
 */
import type { Context } from 'koa';
import './hosts.js';
import { permissionDenied } from '../errors.js';
import { text } from '../i18n/translate.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Whether a method changes state (everything but GET, HEAD, OPTIONS, TRACE).
 */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * The API's own origin as the client addressed it: the scheme (`X-Forwarded-Proto` behind a
 * trusted proxy) and the host that passed `ALLOWED_HOSTS` (`ctx.state.host`, set by
 * {@link "http/hosts".allowedHosts}). Links, file URLs and the origin check use it, so a host the
 * allowlist refused can appear in none of them.
 *
 * @throws Error when the request's host was never validated: the host middleware must run before
 *   any code that builds a URL or checks an origin
 * @example
 * apiOrigin(ctx); // 'https://backoffice.example.com'
 */
export function apiOrigin(ctx: Context): string {
  const host = ctx.state.host;
  if (host === undefined) throw new Error("the request's host was not validated against ALLOWED_HOSTS");
  return `${ctx.protocol}://${host}`;
}

/**
 * Refuses an unsafe request whose `Origin` (or, without it, `Referer`) is neither the API's own
 * origin (see {@link apiOrigin}: the validated host, so a rebound `Host` never makes an attacker's
 * page the API's own) nor in `allowedOrigins`.
 *
 * @throws {@link PermissionDeniedError} (403) with DRF's CSRF wording
 */
export function assertTrustedOrigin(ctx: Context, allowedOrigins: readonly string[]): void {
  if (!isUnsafeMethod(ctx.method)) return;
  const origin = requestOrigin(ctx);
  if (origin === null) throw permissionDenied(text('csrfNoOrigin'));
  if (origin === apiOrigin(ctx) || allowedOrigins.includes(origin)) return;
  throw permissionDenied(text('csrfUntrustedOrigin', { origin }));
}

function requestOrigin(ctx: Context): string | null {
  const origin = ctx.get('Origin');
  if (origin && origin !== 'null') return origin;
  const referer = ctx.get('Referer');
  if (!referer) return null;
  try {
    return new URL(referer).origin;
  } catch {
    return null;
  }
}
