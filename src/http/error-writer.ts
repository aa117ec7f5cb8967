/**
 * The one place that writes error responses, and the HTTP edge's translation of domain errors.
 *
 * Whatever a route throws — a domain error (`src/errors.ts`), an {@link ApiError}, a Koa HTTP
 * error from a body parser, a database that went away, a bug — leaves here as DRF-shaped JSON.
 * Unknown errors become the bare 500 and are logged with the request id; their message never
 * reaches the client. Messages travel below as catalogue keys and arguments and are worded here,
 * in the request's language (`LANGUAGE_CODE`, or the one `Accept-Language` negotiated).
 *
 * @module
 */
import { Stream } from 'node:stream';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import {
  AuthenticationFailedError,
  ConflictError,
  DomainError,
  InvalidTokenError,
  NotFoundError,
  PermissionDeniedError,
  ThrottledError,
  TooLargeError,
  UnavailableError,
  ValidationFailedError,
} from '../errors.js';
import {
  ApiError,
  SERVER_ERROR_BODY,
  WWW_AUTHENTICATE,
  methodNotAllowed,
  payloadTooLarge,
  type ErrorBody,
} from './http-errors.js';
import { text, wordBody, type Language } from '../i18n/translate.js';
import '../i18n/negotiate.js';

/**
 * Recognises an error of a layer the HTTP code does not import (a database that cannot be reached)
 * as a domain error; `undefined` leaves it to the writer.
 */
export type ErrorClassifier = (thrown: unknown) => DomainError | undefined;

/** How the writer is set up. */
export interface ErrorWriterOptions {
  /** The application's classifier; `createApp` passes the database's. */
  readonly classify?: ErrorClassifier;
  /**
   * `LANGUAGE_CODE`: the language of the messages when the request has no negotiated one
   * (`ctx.state.language`); English when omitted, and then bodies leave untouched.
   */
  readonly language?: Language;
}

/**
 * Builds the error-writing middleware, first in the chain: runs the rest and maps anything thrown
 * to a response. Also turns an unanswered request into the DRF 404.
 *
 * @param options - the classifier for errors of layers below (the dependency points up: `db/`
 *   hands its knowledge to the writer, the writer imports no `db/`)
 * @returns the middleware
 * @example
 * app.use(createErrorWriter({ classify: domainErrorOfDatabase }));
 */
export function createErrorWriter(options: ErrorWriterOptions = {}) {
  const classify = options.classify ?? (() => undefined);
  const language = options.language ?? 'en';
  return async function errorWriterMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new NotFoundError();
        // The router's allowedMethods() sets 405 (or 501 for an unknown method) and `Allow`, no body.
        if (ctx.status === 405 || ctx.status === 501) throw methodNotAllowed(ctx.method);
      } else {
        serializeBody(ctx);
      }
    } catch (thrown) {
      const error = toApiError(ctx, thrown instanceof DomainError ? thrown : (classify(thrown) ?? thrown));
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.body = wordBody(error.body, ctx.state.language ?? language) satisfies ErrorBody;
    }
  };
}

/**
 * Turns an object body into its JSON text here, inside the writer, rather than in Koa's `respond`
 * after every middleware returned, where a failure (a `BigInt`, a cycle) would escape the writer,
 * the log and the metrics; a body Koa cannot send at all (a function) is a bug, answered so.
 */
function serializeBody(ctx: Context): void {
  const body: unknown = ctx.body;
  if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Stream) return;
  if (body instanceof Blob || body instanceof ReadableStream || body instanceof Response) return;
  if (typeof body !== 'object') throw new TypeError(`a response body of type ${typeof body} cannot be sent`);
  ctx.body = JSON.stringify(body);
}

/**
 * Handles an error that arises after the writer, while Koa sends the body — a stream that fails
 * (Koa calls `ctx.onerror`, which the app keeps silent): logged once with the request id, and, if
 * the response can still be answered, answered as the writer would, with DRF's 500 body and the
 * headers already set (security headers, request id) kept where Koa's own handler drops them all
 * for plain text. A stream Koa pipes has usually closed the connection by then; the log line stays.
 *
 * @param app - the application whose context's `onerror` this replaces
 * @example
 * answerLateErrors(app);
 */
export function answerLateErrors(app: Koa): void {
  const seen = new WeakSet<object>();
  app.context.onerror = function onLateError(this: Context, thrown: unknown): void {
    if (thrown === null || thrown === undefined) return;
    if (typeof thrown === 'object') {
      if (seen.has(thrown)) return; // Koa reports a failed stream twice: its error event, then the pipeline
      seen.add(thrown);
    }
    this.log.error({ err: thrown }, 'error while sending the response');
    const { res } = this;
    if (this.headerSent || !this.writable) {
      res.destroy();
      return;
    }
    for (const name of ['content-type', 'content-length', 'content-disposition', 'content-encoding', 'etag'])
      res.removeHeader(name);
    const body = JSON.stringify(SERVER_ERROR_BODY);
    res.statusCode = 500;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  };
}

/**
 * The writer without a classifier: every domain and HTTP error, with an unreachable database
 * answered as a bug (500). The application uses {@link createErrorWriter}.
 */
export const errorWriter = createErrorWriter();

/**
 * The HTTP translation of a domain error: DRF's status, body and headers.
 *
 * @param error - any domain error
 * @returns the response it becomes
 * @example
 * toHttpError(new NotFoundError()); // ApiError 404 {"detail": "Not found."}
 */
export function toHttpError(error: DomainError): ApiError {
  const challenge = { 'WWW-Authenticate': WWW_AUTHENTICATE };
  if (error instanceof ValidationFailedError) return new ApiError(400, error.errors);
  if (error instanceof AuthenticationFailedError)
    return new ApiError(
      401,
      error.code ? { detail: error.detail, code: error.code } : { detail: error.detail },
      challenge,
    );
  if (error instanceof InvalidTokenError) {
    return new ApiError(
      401,
      error.messages
        ? { detail: error.detail, code: error.code, messages: error.messages }
        : { detail: error.detail, code: error.code },
      challenge,
    );
  }
  if (error instanceof PermissionDeniedError) return new ApiError(403, { detail: error.detail });
  if (error instanceof NotFoundError) return new ApiError(404, { detail: error.detail });
  if (error instanceof ConflictError) return new ApiError(409, { detail: error.detail });
  if (error instanceof TooLargeError) return payloadTooLarge(error.detail);
  if (error instanceof ThrottledError)
    return new ApiError(429, { detail: error.detail }, { 'Retry-After': String(error.waitSeconds) });
  if (error instanceof UnavailableError) return new ApiError(503, { detail: error.detail });
  return new ApiError(500, SERVER_ERROR_BODY);
}

function toApiError(ctx: Context, thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  if (thrown instanceof UnavailableError) {
    // The log says what went away; a plain serviceUnavailable() names nothing worth a line.
    if (thrown.service) ctx.log.warn({ err: thrown.cause ?? thrown }, `${thrown.service} unavailable`);
    return toHttpError(thrown);
  }
  if (thrown instanceof DomainError) return toHttpError(thrown);
  const status = (thrown as { status?: unknown; expose?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Errors raised by Koa and body parsers (raw-body: too large, aborted, bad encoding).
    if (status === 413) return payloadTooLarge();
    const expose = (thrown as { expose?: boolean }).expose;
    return new ApiError(status, { detail: expose ? (thrown as Error).message : text('badRequest') });
  }
  ctx.log.error({ err: thrown }, 'unhandled error');
  return new ApiError(500, SERVER_ERROR_BODY);
}
