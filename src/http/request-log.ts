/**
 * Request ids and the access log line.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

const CLIENT_ID = /^[\w.-]{1,64}$/;

/**
 * Gives each request of `app` an id (echoed in `X-Request-Id`) and a child logger that carries it
 * (`ctx.log`), and logs one line per request with its status and duration.
 *
 * `ctx.log` is made on first use: most requests log nothing but the access line, and a child
 * logger per request was a measurable share of a `/me/` request's CPU (docs/md/benchmarks.md).
 *
 * @param app - the application; the middleware is added to it here, where it is called
 * @param logger - the process logger
 */
export function useRequestLog(app: Koa, logger: Logger): void {
  const children = new WeakMap<Context, Logger>();
  Object.defineProperty(app.context, 'log', {
    get(this: Context): Logger {
      let child = children.get(this);
      if (!child) children.set(this, (child = logger.child({ reqId: this.requestId })));
      return child;
    },
  });
  // The access line's fields are fixed and hold no credentials (the path has no query string), so
  // it skips the redaction every other line goes through — which cost more than the rest of the
  // line (docs/md/benchmarks.md).
  const access = logger.child({}, { redact: [] });
  app.use(async function requestLogMiddleware(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    ctx.requestId = CLIENT_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', ctx.requestId);
    try {
      await next();
    } finally {
      access.info(
        {
          reqId: ctx.requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ip: ctx.ip,
        },
        'request',
      );
    }
  });
}
