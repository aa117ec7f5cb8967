/**
 * The Koa application: the middleware chain and the routers, nothing else.
 *
 * @module
 */
import cors from '@koa/cors';
import helmet from 'koa-helmet';
import Router from '@koa/router';
import Koa from 'koa';
import { adminRoutes } from './admin/routes.js';
import { identifyRequest } from './auth/authenticate.js';
import type { Deps } from './deps.js';
import { healthRoutes, migrationsCheck, Readiness, type HealthCheck } from './health/routes.js';
import { jsonBody } from './http/body.js';
import { noStoreByDefault } from './http/cache-control.js';
import './http/context.js';
import { domainErrorOfDatabase } from './db/classify-error.js';
import { answerLateErrors, createErrorWriter } from './http/error-writer.js';
import { allowedHosts } from './http/hosts.js';
import { negotiateLanguage } from './i18n/negotiate.js';
import { useRequestLog } from './http/request-log.js';
import { httpMetrics } from './metrics.js';
import { createThrottles, throttleRequests } from './http/throttle.js';
import { openApiRoutes } from './openapi/routes.js';
import { FEATURES } from './registry.js';
import type { ApiTag, Feature } from './resources/features.js';
import { resourceRoutes } from './resources/routes.js';

/**
 * Serves a path without its trailing slash as the canonical one with it (`/api/users` is
 * `/api/users/`), as the original answered both.
 */
async function canonicalPath(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  if (ctx.path.startsWith('/api/') && !ctx.path.endsWith('/')) ctx.path = `${ctx.path}/`;
  await next();
}

/**
 * Builds the application.
 *
 * @param deps - configuration, database, object store and logger, opened by the caller (server, tests)
 * @param features - the features served: all of them ({@link FEATURES}) unless a test says otherwise
 * @returns the Koa app, the API router (the docs drift test lists its routes), the features' OpenAPI
 *   tags, and the readiness the server drains on SIGTERM
 * @example
 * const { app } = createApp(deps);
 * app.listen(deps.config.port);
 */
export function createApp(
  deps: Deps,
  features: readonly Feature[] = FEATURES,
): { app: Koa; api: Router; tags: ApiTag[]; readiness: Readiness } {
  const { config } = deps;
  // Trust exactly TRUST_PROXY hops: ctx.ip is the X-Forwarded-For entry the outermost of them added.
  const app = new Koa({ proxy: config.trustProxy > 0, maxIpsCount: config.trustProxy });
  app.silent = true; // errors are logged by the error writer with their request id
  answerLateErrors(app);
  app.context.throttles = createThrottles(deps);

  const allowed = new Set(config.corsAllowedOrigins);
  // First, so that it times the whole chain and counts the status the error writer gives.
  app.use(httpMetrics);
  useRequestLog(app, deps.logger);
  app.use(createErrorWriter({ classify: domainErrorOfDatabase, language: config.i18n.languageCode }));
  if (config.i18n.languages.length) app.use(negotiateLanguage(config.i18n.languageCode, config.i18n.languages));
  // HSTS belongs to the TLS terminator (nginx/prod.conf sends it); two headers would conflict.
  app.use(helmet({ strictTransportSecurity: false }));
  // Before anything reads the host (CORS, the admin, the API's links and origin check); after the
  // writer, the metrics and the log, so that a refused host is answered, counted and logged.
  app.use(allowedHosts(config));
  app.use(
    cors({
      origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
      credentials: true,
      maxAge: 600,
      // A frontend that downloads with fetch() reads the file name from the first; a throttled one
      // reads how long to wait from the second, and the language of the messages from the third.
      exposeHeaders: ['Content-Disposition', 'Retry-After', 'Content-Language'],
    }),
  );
  // The admin panel reads urlencoded forms and answers HTML, so it sits before the API's JSON parser;
  // other paths skip its router's matching (a measurable cost on every API request).
  const admin: Koa.Middleware = adminRoutes(deps, features).routes() as Koa.Middleware; // the router sets its params itself
  app.use((ctx, next) => (ctx.path === '/admin' || ctx.path.startsWith('/admin/') ? admin(ctx, next) : next()));
  app.use((ctx, next) => (ctx.path.startsWith('/api/') ? noStoreByDefault(ctx, next) : next()));
  app.use(jsonBody({ passthrough: ['multipart/form-data'] }));
  app.use(canonicalPath);
  app.use(throttleRequests(app.context.throttles, identifyRequest(deps)));

  const databaseCheck: HealthCheck = { name: 'database', check: async () => void (await deps.knex.raw('select 1')) };
  const storageCheck: HealthCheck = { name: 'storage', check: () => deps.storage.check() };
  const readiness = new Readiness();

  const api = new Router({ prefix: '/api' });
  const tags = features.flatMap((feature) => feature.tags ?? []);
  for (const router of [
    ...features.flatMap((feature) => [
      ...(feature.routes ? [feature.routes(deps)] : []),
      ...(feature.resources ?? []).map((resource) => resourceRoutes(deps, resource)),
    ]),
    healthRoutes({ checks: [databaseCheck, storageCheck], readinessChecks: [migrationsCheck(deps.knex)], readiness }),
    openApiRoutes(deps, () => api, tags),
  ]) {
    api.use(router.routes());
  }
  app.use(api.routes());
  app.use(api.allowedMethods());
  return { app, api, tags, readiness };
}
