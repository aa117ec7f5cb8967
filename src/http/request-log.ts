/**
 * Request ids and the access log line.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

const CLIENT_ID = /^[\w.-]{1,64}$/;

/**
 * Creates the middleware that gives each request an id (echoed in `X-Request-Id`) and a child
 * logger, and logs one line per request with its status and duration.
 *
 * @param logger - the process logger
 */
export function requestLog(logger: Logger) {
  // The access line's fields are fixed and hold no credentials (the path has no query string), so
  // it skips the redaction every other line goes through — which cost more than the rest of the
  // line (docs/md/benchmarks.md).
  const access = logger.child({}, { redact: [] });
  return async function requestLogMiddleware(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    ctx.requestId = CLIENT_ID.test(given) ? given : randomUUID();
    ctx.log = logger.child({ reqId: ctx.requestId });
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
  };
}
