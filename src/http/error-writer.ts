/**
 * The one place that writes error responses.
 *
 * Whatever a route throws — an {@link ApiError}, a Koa HTTP error from a body parser, a database
 * or object store that went away, a bug — leaves here as DRF-shaped JSON. Unknown errors become the bare 500 and
 * are logged with the request id; their message never reaches the client.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import { isDatabaseUnavailable } from '../db/errors.js';
import { ObjectTooLargeError, StorageUnavailableError } from '../storage/storage.js';
import { ApiError, SERVER_ERROR_BODY, methodNotAllowed, notFound, payloadTooLarge, serviceUnavailable, type ErrorBody } from './errors.js';

/**
 * Koa middleware, first in the chain: runs the rest and maps anything thrown to a response.
 * Also turns an unanswered request into the DRF 404.
 */
export async function errorWriter(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.body === undefined || ctx.body === null) {
      if (ctx.status === 404) throw notFound();
      // The router's allowedMethods() sets 405 (or 501 for an unknown method) and `Allow`, no body.
      if (ctx.status === 405 || ctx.status === 501) throw methodNotAllowed(ctx.method);
    }
  } catch (thrown) {
    const error = toApiError(ctx, thrown);
    ctx.status = error.status;
    ctx.set(error.headers);
    ctx.body = error.body satisfies ErrorBody;
  }
}

function toApiError(ctx: Context, thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  if (isDatabaseUnavailable(thrown)) {
    ctx.log.warn({ err: thrown }, 'database unavailable');
    return serviceUnavailable();
  }
  if (thrown instanceof StorageUnavailableError) {
    ctx.log.warn({ err: thrown }, 'storage unavailable');
    return serviceUnavailable();
  }
  if (thrown instanceof ObjectTooLargeError) return payloadTooLarge(`The file exceeds the upload limit of ${thrown.maxBytes} bytes.`);
  const status = (thrown as { status?: unknown; expose?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Errors raised by Koa and body parsers (raw-body: too large, aborted, bad encoding).
    if (status === 413) return payloadTooLarge();
    const expose = (thrown as { expose?: boolean }).expose;
    return new ApiError(status, { detail: expose ? (thrown as Error).message : 'Bad request.' });
  }
  ctx.log.error({ err: thrown }, 'unhandled error');
  return new ApiError(500, SERVER_ERROR_BODY);
}
