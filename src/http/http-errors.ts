/**
 * The errors only HTTP has: a body that does not parse, a media type or method the route does not
 * serve, a body over the limit, a request without credentials, a forged signed URL — with the
 * {@link ApiError} that carries a status, a DRF body and headers.
 *
 * Domain refusals (not found, permission denied, validation failed…) live in `src/errors.ts`;
 * {@link "http/error-writer".errorWriter} is the one place that turns both (and anything
 * unexpected) into a response.
 *
 * @module
 */
import { text, type Wording } from '../i18n/translate.js';

/** A response body of DRF's shape: `{"detail": …}` or field errors. */
export type ErrorBody = Record<string, unknown>;

/**
 * An error with a status, a DRF-shaped body and optional headers; thrown, then written by the error
 * writer.
 */
export class ApiError extends Error {
  /**
   * Creates the error; nothing is sent until the error writer catches it.
   *
   * @param status - the HTTP status
   * @param body - the JSON body exactly as the client receives it
   * @param headers - extra response headers such as `WWW-Authenticate` or `Retry-After`
   */
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body.detail === undefined ? `HTTP ${status}` : String(body.detail));
    this.name = 'ApiError';
  }
}

/** simplejwt's `WWW-Authenticate` challenge, sent with every 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="api"';

/** 400 for a body that is not valid JSON; `reason` is the parser's message. */
export function parseError(reason: string): ApiError {
  return new ApiError(400, { detail: text('jsonParseError', { detail: reason }) });
}

/** 400 for a multipart body that cannot be parsed; `reason` is the parser's message (DRF's `MultiPartParser` wording). */
export function multipartParseError(reason: string): ApiError {
  return new ApiError(400, { detail: text('multipartParseError', { detail: reason }) });
}

/** 401: no usable credentials came with the request. */
export function notAuthenticated(): ApiError {
  return new ApiError(401, { detail: text('notAuthenticated') }, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

/** 405 for a method the route does not serve. */
export function methodNotAllowed(method: string): ApiError {
  return new ApiError(405, { detail: text('methodNotAllowed', { method }) });
}

/** 413 for a body over the limit. */
export function payloadTooLarge(detail: Wording = text('payloadTooLarge')): ApiError {
  return new ApiError(413, { detail });
}

/** 403 for a signed file URL that was altered, forged or has expired (S3 answers presigned URLs alike). */
export function invalidSignature(): ApiError {
  return new ApiError(403, { detail: text('invalidSignature') });
}

/** 415 for a body whose media type the endpoint does not parse. */
export function unsupportedMediaType(mediaType: string): ApiError {
  return new ApiError(415, { detail: text('unsupportedMediaType', { media_type: mediaType }) });
}

/** 500 body; the cause is logged with the request id, never sent. */
export const SERVER_ERROR_BODY: ErrorBody = Object.freeze({ detail: text('serverError') });
