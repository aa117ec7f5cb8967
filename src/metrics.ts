/**
 * The Prometheus metrics (`prom-client`): one registry of the process, the counters the services
 * bump, the HTTP middleware that times every request, and the listener on `METRICS_PORT` that serves
 * them. With `WEB_CONCURRENCY` > 1 the primary serves `/metrics` aggregated over its workers
 * (`AggregatorRegistry`: counters and histograms summed, gauges as each says); a single process
 * serves its own registry.
 *
 * @module
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { Context, Next } from 'koa';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The registry of this process: every `backoffice_` metric and, in a serving process, Node's defaults. */
export const registry = new Registry();

/** Requests answered, by route template, method and status. */
export const httpRequests = new Counter({
  name: 'backoffice_http_requests_total',
  help: 'HTTP requests answered, by route template, method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

/** Time from the first byte of a request to its answer, by route template, method and status. */
export const httpDuration = new Histogram({
  name: 'backoffice_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route template, method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Requests being answered now (summed over workers). */
export const httpInFlight = new Gauge({
  name: 'backoffice_http_requests_in_flight',
  help: 'HTTP requests being answered now.',
  registers: [registry],
});

/** What the database pool gauges read: knex's pool (tarn), set by the serving process. */
export interface PoolSource {
  /** Connections checked out of the pool now. */
  numUsed(): number;
  /** Queries waiting for a connection now. */
  numPendingAcquires(): number;
}

let pool: PoolSource | null = null;

/** Connections of the pool in use (summed over workers). */
export const dbPoolUsed = new Gauge({
  name: 'backoffice_db_pool_used',
  help: 'Database connections of the pool in use.',
  registers: [registry],
  collect() {
    this.set(pool?.numUsed() ?? 0);
  },
});

/** Queries waiting for a pooled connection (summed over workers). */
export const dbPoolWaiting = new Gauge({
  name: 'backoffice_db_pool_waiting',
  help: 'Queries waiting for a database connection of the pool.',
  registers: [registry],
  collect() {
    this.set(pool?.numPendingAcquires() ?? 0);
  },
});

/**
 * Lets the pool gauges read a database pool (the serving process's knex pool).
 *
 * @param source - the pool, or `null` to stop reading one
 * @example
 * observeDatabasePool(knex.client.pool);
 */
export function observeDatabasePool(source: PoolSource | null): void {
  pool = source;
}

/** Principal-cache lookups answered from the cache. */
export const principalCacheHits = new Counter({
  name: 'backoffice_principal_cache_hits_total',
  help: 'Token principals answered from the cache.',
  registers: [registry],
});

/** Principal-cache lookups that asked the database. */
export const principalCacheMisses = new Counter({
  name: 'backoffice_principal_cache_misses_total',
  help: 'Token principals looked up in the database (not cached, expired, or caching off).',
  registers: [registry],
});

/** Pages of the users list answered from the cache. */
export const usersPageCacheHits = new Counter({
  name: 'backoffice_users_page_cache_hits_total',
  help: 'Pages of GET /api/users/ answered from the cache.',
  registers: [registry],
});

/** Pages of the users list read from the database. */
export const usersPageCacheMisses = new Counter({
  name: 'backoffice_users_page_cache_misses_total',
  help: 'Pages of GET /api/users/ read from the database (not cached, evicted by a notice, or caching off).',
  registers: [registry],
});

/**
 * 1 while the notice listener is connected. Aggregated as the minimum over workers: 0 as soon as
 * one worker's listener is down.
 */
export const noticeListenerConnected = new Gauge({
  name: 'backoffice_notice_listener_connected',
  help: '1 while the database notice listener is connected (minimum over workers).',
  aggregator: 'min',
  registers: [registry],
});

/** Logins refused for bad credentials (or an inactive user). */
export const loginsFailed = new Counter({
  name: 'backoffice_logins_failed_total',
  help: 'Logins refused for bad credentials.',
  registers: [registry],
});

/** Logins refused by the login throttle (per address or per username). */
export const loginsThrottled = new Counter({
  name: 'backoffice_logins_throttled_total',
  help: 'Logins refused by the login throttle.',
  registers: [registry],
});

/** Refresh tokens rotated (a refresh that issued a new refresh token). */
export const tokenRotations = new Counter({
  name: 'backoffice_token_rotations_total',
  help: 'Refresh tokens rotated.',
  registers: [registry],
});

/**
 * Refreshes refused because the refresh token was already spent, by what the reuse did to the
 * session (`outcome`): `revoked` (a reuse after `REFRESH_REUSE_LEEWAY`: the session is ended),
 * `within_leeway` (two tabs racing: the session lives on), `session_ended` (logged out or revoked
 * before).
 */
export const tokenReuseRefused = new Counter({
  name: 'backoffice_token_reuse_refused_total',
  help: 'Refreshes refused because the token was blacklisted, by outcome: revoked (the session ended), within_leeway, session_ended (logged out before).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/**
 * Refreshes per rotation statement: concurrent refreshes of one worker share a statement (one
 * round trip and one commit), so under load the sizes grow above 1.
 */
export const tokenRotationBatchSize = new Histogram({
  name: 'backoffice_token_rotation_batch_size',
  help: 'Refreshes checked and rotated by one database statement.',
  buckets: [1, 2, 4, 8, 16, 32, 64],
  registers: [registry],
});

/** Files uploaded (stored). */
export const uploads = new Counter({
  name: 'backoffice_uploads_total',
  help: 'Files uploaded.',
  registers: [registry],
});

/** Bytes of the files uploaded. */
export const uploadBytes = new Counter({
  name: 'backoffice_upload_bytes_total',
  help: 'Bytes of the files uploaded.',
  registers: [registry],
});

/** The route label of a request no router matched (static files, 404s): never the raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Middleware timing every request and counting its answer under the router's template
 * (`/api/users/:id/`, never the raw path). It must come first in the chain, so that it sees the
 * status the error writer gave. It allocates nothing but the labels object.
 *
 * @example
 * app.use(httpMetrics);
 */
export async function httpMetrics(ctx: Context, next: Next): Promise<void> {
  const started = process.hrtime.bigint();
  httpInFlight.inc();
  try {
    await next();
  } finally {
    httpInFlight.dec();
    const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
    const labels = {
      route: matched === undefined ? UNMATCHED_ROUTE : String(matched),
      method: ctx.method,
      status: ctx.status,
    };
    httpRequests.inc(labels);
    httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

let defaultsStarted = false;

/**
 * Makes this process's metrics available: Node's default metrics (CPU, memory, event loop, GC)
 * join the registry, and a cluster worker answers the primary's requests for them.
 */
export function startProcessMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: registry });
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([registry]);
    // Constructing one installs the worker's answer to the primary's metric requests.
    new AggregatorRegistry();
  }
}

/**
 * Serves `GET /metrics` on its own listener: the cluster's aggregate in a primary with workers,
 * this process's registry otherwise. Anything else is 404.
 *
 * @param options.port - `METRICS_PORT`
 * @param options.host - `METRICS_HOST`
 * @param options.cluster - whether this is a primary whose workers hold the metrics
 * @returns the listening server (close it on the way out)
 */
export async function serveMetrics(options: { port: number; host: string; cluster: boolean }): Promise<Server> {
  const aggregator = options.cluster ? new AggregatorRegistry() : null;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
      return;
    }
    const body = aggregator ? aggregator.clusterMetrics() : registry.metrics();
    body.then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text),
      (error: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return server;
}
