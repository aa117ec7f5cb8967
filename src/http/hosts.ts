/**
 * The host allowlist, Django's `ALLOWED_HOSTS`: a request whose host is not one the site is served
 * under is answered 400 before any routing, so that a hostile `Host` (DNS rebinding, a forged
 * `X-Forwarded-Host`) never logs anyone in, never passes the cookie origin check as the API's own
 * origin, and never appears in a link the API builds.
 *
 * The matching is Django's, to the letter: `split_domain_port` (the host lower-cased, a port split
 * off, an IPv6 address in brackets, one trailing dot removed, `host_validation_re`'s shape) and
 * `validate_host` (`*` matches every host, `.example.com` the domain and each of its subdomains,
 * anything else exactly). On top of Django's shape the host must be one a URL can carry (a port up
 * to 65535, an IPv4 or IPv6 address that parses), since the links are built with `URL`.
 *
 * @module
 */
import type { Context, Middleware, Next } from 'koa';
import type { Config } from '../config.js';
import { ApiError } from './http-errors.js';
import { text, type Message } from '../i18n/translate.js';

declare module 'koa' {
  interface DefaultState {
    /**
     * The request's host, validated against `ALLOWED_HOSTS`: `Host`, or a trusted proxy's
     * `X-Forwarded-Host` with `USE_X_FORWARDED_HOST`. Set by {@link allowedHosts}; unset only on a
     * health probe whose host is not allowed (those answer any host).
     */
    host?: string;
  }
}

/** Django's `host_validation_re`: a name of letters, digits, dots and hyphens, or a bracketed IPv6 address; an optional port. */
const HOST_SHAPE = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$/;

/** The probes an orchestrator or a container health check calls by address (`GET /api/health/`, `live/`, `ready/`). */
const HEALTH_PATH = /^\/api\/health(?:\/|$)/;

/** An absolute-form request target (`GET http://host/path HTTP/1.1`): its scheme and authority. */
const ABSOLUTE_FORM = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;

/** The body of Django's `bad_request` view, which answers a `DisallowedHost` outside the API. */
const BAD_REQUEST_PAGE = `
<!doctype html>
<html lang="en">
<head>
  <title>Bad Request (400)</title>
</head>
<body>
  <h1>Bad Request (400)</h1><p></p>
</body>
</html>
`;

/** A host split as Django's `split_domain_port` splits it. */
export interface DomainPort {
  /** Lower-cased, without its trailing dot; `''` when the host is not a valid host at all. */
  readonly domain: string;
  /** The port's digits, `''` when none. */
  readonly port: string;
}

/**
 * Splits a host into domain and port, as Django's `split_domain_port`: the domain lower-cased and
 * without a trailing dot, or empty when the host does not have the shape of one.
 *
 * @param host - a `Host` header's value, e.g. `API.Example.com.:8000`
 * @returns the domain and the port
 * @example
 * splitDomainPort('API.Example.com.:8000'); // { domain: 'api.example.com', port: '8000' }
 * splitDomainPort('[::1]:8000'); // { domain: '[::1]', port: '8000' }
 * splitDomainPort('a b'); // { domain: '', port: '' }
 */
export function splitDomainPort(host: string): DomainPort {
  const match = HOST_SHAPE.exec(host.toLowerCase());
  if (!match) return { domain: '', port: '' };
  const [, domain = '', port = ''] = match;
  return { domain: domain.endsWith('.') ? domain.slice(0, -1) : domain, port };
}

/**
 * Whether a domain matches a pattern, as Django's `is_same_domain`: a pattern with a leading dot
 * matches the domain itself and every subdomain of it, any other pattern only itself.
 *
 * @param domain - a lower-cased domain without a port (from {@link splitDomainPort})
 * @param pattern - an `ALLOWED_HOSTS` entry
 * @example
 * isSameDomain('api.example.com', '.example.com'); // true
 * isSameDomain('example.com', '.example.com'); // true
 * isSameDomain('badexample.com', '.example.com'); // false
 */
export function isSameDomain(domain: string, pattern: string): boolean {
  if (!pattern) return false;
  const lower = pattern.toLowerCase();
  return (lower.startsWith('.') && (domain.endsWith(lower) || domain === lower.slice(1))) || lower === domain;
}

/**
 * Whether a domain is allowed, as Django's `validate_host`: `*` allows every domain, any other
 * pattern as {@link isSameDomain} says.
 *
 * @param domain - a lower-cased domain without a port (from {@link splitDomainPort})
 * @param allowedHosts - the patterns (`ALLOWED_HOSTS`)
 * @example
 * validateHost('api.example.com', ['.example.com']); // true
 * validateHost('evil.example', ['.example.com']); // false
 */
export function validateHost(domain: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((pattern) => pattern === '*' || isSameDomain(domain, pattern));
}

/**
 * Checks a host against the allowlist, as Django's `HttpRequest.get_host()`, and returns it as it
 * came (case and port kept), or `null` when it is refused: not the shape of a host, not one a URL
 * can carry, or matching no pattern.
 *
 * @param host - the raw `Host` (or `X-Forwarded-Host`) value
 * @param allowedHosts - the patterns (`ALLOWED_HOSTS`)
 * @returns the host, or `null`
 * @example
 * allowedHost('api.example.com:8443', ['.example.com']); // 'api.example.com:8443'
 * allowedHost('rebind.attacker.example', ['.example.com']); // null
 */
export function allowedHost(host: string, allowedHosts: readonly string[]): string | null {
  const { domain } = splitDomainPort(host);
  if (!domain || !validateHost(domain, allowedHosts)) return null;
  // Django's shape admits a port past 65535 and addresses such as 1.2.3.4.5 or [1:2]; links are URLs.
  return URL.canParse(`http://${host}/`) ? host : null;
}

/**
 * Django's message for a refused host (`DisallowedHost`), for the log and, with `DEBUG`, the answer.
 *
 * @param host - the refused host as received
 * @example
 * invalidHostMessage('evil.example'); // "Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to ALLOWED_HOSTS."
 */
export function invalidHostMessage(host: string): Message {
  const { domain } = splitDomainPort(host);
  return domain ? text('disallowedHost', { host, domain }) : text('disallowedHostDomain', { host });
}

/**
 * The host allowlist's middleware, before any routing: a request whose host is not allowed gets
 * `400 {"detail": "Invalid host header."}` (the admin panel: Django's "Bad Request (400)" page),
 * except the health probes under `/api/health/`, which answer any host. The host is `Host`, or the
 * trusted proxy's `X-Forwarded-Host` when `USE_X_FORWARDED_HOST` is on and `TRUST_PROXY` ≥ 1;
 * otherwise `X-Forwarded-Host` is removed from the request, so that nothing downstream (Koa's
 * `ctx.host`, `ctx.origin`, `ctx.href`) reads it. The host that passed is `ctx.state.host`, the one
 * links and the origin check use. An absolute-form request target is reduced to its path and query:
 * its authority names no host either.
 *
 * @param config - `ALLOWED_HOSTS`, `USE_X_FORWARDED_HOST`, `TRUST_PROXY` and `DEBUG` (which words
 *   the refusal as Django's debug page does, naming the host to add)
 * @returns the middleware
 * @example
 * app.use(allowedHosts(config));
 */
export function allowedHosts(
  config: Pick<Config, 'allowedHosts' | 'useXForwardedHost' | 'trustProxy' | 'debug'>,
): Middleware {
  const forwarded = config.useXForwardedHost && config.trustProxy > 0;
  return async function allowedHostsMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!forwarded) delete ctx.req.headers['x-forwarded-host'];
    if (ABSOLUTE_FORM.test(ctx.originalUrl)) {
      const target = ctx.originalUrl.replace(ABSOLUTE_FORM, '');
      ctx.url = target.startsWith('/') ? target : `/${target}`;
      ctx.originalUrl = ctx.request.originalUrl = ctx.url;
    }
    const raw = (forwarded && ctx.get('X-Forwarded-Host')) || ctx.get('Host');
    const host = allowedHost(raw, config.allowedHosts);
    if (host !== null) ctx.state.host = host;
    else if (!HEALTH_PATH.test(ctx.path)) return refuse(ctx, raw, config.debug);
    await next();
  };
}

function refuse(ctx: Context, host: string, debug: boolean): void {
  // Headers are bounded by the server (16 KiB); a log line need not carry all of one.
  const message = invalidHostMessage(host.length > 255 ? `${host.slice(0, 255)}…` : host);
  ctx.log.warn({ host: host.slice(0, 255) }, String(message));
  if (ctx.path === '/admin' || ctx.path.startsWith('/admin/')) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = BAD_REQUEST_PAGE;
    return;
  }
  throw new ApiError(400, { detail: debug ? message : text('invalidHost') });
}
