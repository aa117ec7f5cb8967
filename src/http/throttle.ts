/**
 * Throttling with DRF's rates and 429 body, counted in a store every app instance shares: Redis
 * when `REDIS_URL` is set, else the PostgreSQL server, else (embedded mode, one process) memory.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Deps } from '../deps.js';
import type { ThrottleRate } from '../config.js';
import { throttled } from '../errors.js';

/** The throttle scopes of `THROTTLE_*`; `null` where the rate is `off`. */
export interface Throttles {
  /** Login attempts per client address. */
  readonly loginPerIp: RateLimiterAbstract | null;
  /** Failed logins per username. */
  readonly loginPerUser: RateLimiterAbstract | null;
  /** Requests per authenticated user. */
  readonly user: RateLimiterAbstract | null;
  /** Requests per address that have not authenticated. */
  readonly anon: RateLimiterAbstract | null;
  /** Password reset requests per client address. */
  readonly passwordResetPerIp: RateLimiterAbstract | null;
  /** Password reset requests per email address asked for. */
  readonly passwordResetPerEmail: RateLimiterAbstract | null;
}

/**
 * Builds the limiters for the configured rates and store.
 *
 * @param deps - configuration, database, and the Redis client when `REDIS_URL` is set
 */
export function createThrottles(deps: Pick<Deps, 'config' | 'knex' | 'redis'>): Throttles {
  const { throttle, database } = deps.config;
  const make = (scope: string, rate: ThrottleRate | null): RateLimiterAbstract | null => {
    if (!rate) return null;
    const options = { keyPrefix: `throttle:${scope}`, points: rate.limit, duration: rate.seconds };
    // If the shared store fails, each instance keeps counting on its own rather than letting everyone through.
    const insuranceLimiter = new RateLimiterMemory(options);
    if (deps.redis) return new RateLimiterRedis({ ...options, storeClient: deps.redis, insuranceLimiter });
    if (database.kind === 'postgres') {
      return new RateLimiterPostgres({
        ...options,
        storeClient: deps.knex,
        storeType: 'knex',
        tableName: 'throttle',
        tableCreated: true,
        insuranceLimiter,
      });
    }
    return insuranceLimiter;
  };
  return {
    loginPerIp: make('login-ip', throttle.loginPerIp),
    loginPerUser: make('login-user', throttle.loginPerUser),
    user: make('user', throttle.user),
    anon: make('anon', throttle.anon),
    passwordResetPerIp: make('password-reset-ip', throttle.passwordResetPerIp),
    passwordResetPerEmail: make('password-reset-email', throttle.passwordResetPerEmail),
  };
}

/**
 * Counts one request against a limiter.
 *
 * @throws {@link ThrottledError} (429) with `Retry-After` when the rate is exceeded
 */
export async function consume(limiter: RateLimiterAbstract | null, key: string): Promise<void> {
  if (!limiter) return;
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw throttled(rejection.msBeforeNext / 1000);
    throw rejection;
  }
}

/**
 * Refuses early when a key has already used up its rate, without counting this request.
 *
 * @throws {@link ThrottledError} (429) with `Retry-After`
 */
export async function assertNotExhausted(limiter: RateLimiterAbstract | null, key: string): Promise<void> {
  if (!limiter) return;
  const state = await limiter.get(key);
  if (state && state.consumedPoints >= limiter.points) throw throttled(state.msBeforeNext / 1000);
}

/** Forgets a key's count (a successful login clears its failures). */
export async function reset(limiter: RateLimiterAbstract | null, key: string): Promise<void> {
  await limiter?.delete(key);
}

/**
 * Middleware counting every request before any work is done: per user when its credentials
 * authenticate (`THROTTLE_USER`), otherwise per client address (`THROTTLE_ANON`) — a request with
 * junk, expired or revoked credentials counts as anonymous, as does one to a route that needs no
 * authentication. The health check and the probes (`/api/health/*`) are never throttled.
 *
 * @param identify - the id of the user the request authenticates as, or `null` (the auth feature
 *   knows how; it keeps the outcome for the route's own authentication)
 * @example
 * app.use(throttleRequests(app.context.throttles, identifyRequest(deps)));
 */
export function throttleRequests(throttles: Throttles, identify: (ctx: Context) => Promise<number | null>) {
  return async function throttleRequestsMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!ctx.path.startsWith('/api/health/')) {
      const userId = await identify(ctx);
      if (userId === null) await consume(throttles.anon, ctx.ip);
      else await consume(throttles.user, String(userId));
    }
    await next();
  };
}
