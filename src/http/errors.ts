/**
 * The error catalogue: every error the API answers with, as DRF and simplejwt word it.
 *
 * Code anywhere below the HTTP layer throws these; {@link "http/error-writer".errorWriter} is the
 * one place that turns them (and anything unexpected) into a response.
 *
 * @module
 */

/** A response body of DRF's shape: `{"detail": …}` or field errors. */
export type ErrorBody = Record<string, unknown>;

/** Field errors in DRF's shape: a list of messages per field, or nested errors for list items. */
export type FieldErrors = Record<string, string[] | Record<string, string[]>>;

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
    super(typeof body.detail === 'string' ? body.detail : `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** simplejwt's `WWW-Authenticate` challenge, sent with every 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="api"';

/** 400 with field errors, e.g. `{"username": ["This field is required."]}`. */
export function validationError(errors: FieldErrors): ApiError {
  return new ApiError(400, errors);
}

/**
 * 400 with a single message under one field.
 *
 * @example
 * throw fieldError('old_password', 'Your old password was entered incorrectly. Please enter it again.');
 */
export function fieldError(field: string, message: string): ApiError {
  return new ApiError(400, { [field]: [message] });
}

/** 400 for a body that is not valid JSON; `reason` is the parser's message. */
export function parseError(reason: string): ApiError {
  return new ApiError(400, { detail: `JSON parse error - ${reason}` });
}

/** 400 for a multipart body that cannot be parsed; `reason` is the parser's message (DRF's `MultiPartParser` wording). */
export function multipartParseError(reason: string): ApiError {
  return new ApiError(400, { detail: `Multipart form parse error - ${reason}` });
}

/** 401: no usable credentials came with the request. */
export function notAuthenticated(): ApiError {
  return new ApiError(401, { detail: 'Authentication credentials were not provided.' }, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

/**
 * 401 with a `detail`, and a `code` beside it only when given. simplejwt's own
 * `AuthenticationFailed` (bad header, unknown or inactive user) carries a code; DRF's, which
 * simplejwt's serializers raise for wrong credentials, answers the bare `detail`.
 */
export function authenticationFailed(detail: string, code?: string): ApiError {
  return new ApiError(401, code ? { detail, code } : { detail }, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

/** 401 for a token on a protected endpoint that no token type accepts (simplejwt's `InvalidToken`). */
export function invalidAccessToken(reason = 'Token is invalid or expired'): ApiError {
  return new ApiError(
    401,
    {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: reason }],
    },
    { 'WWW-Authenticate': WWW_AUTHENTICATE },
  );
}

/** 401 for a bad token given to a token endpoint (refresh, verify, blacklist). */
export function invalidToken(detail = 'Token is invalid or expired'): ApiError {
  return new ApiError(401, { detail, code: 'token_not_valid' }, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

/** 403: authenticated, but the permission is missing. */
export function permissionDenied(detail = 'You do not have permission to perform this action.'): ApiError {
  return new ApiError(403, { detail });
}

/** 404 `{"detail": "Not found."}`. */
export function notFound(): ApiError {
  return new ApiError(404, { detail: 'Not found.' });
}

/** 405 for a method the route does not serve. */
export function methodNotAllowed(method: string): ApiError {
  return new ApiError(405, { detail: `Method "${method}" not allowed.` });
}

/** 413 for a body over the limit. */
export function payloadTooLarge(detail = 'Request body is too large.'): ApiError {
  return new ApiError(413, { detail });
}

/** 403 for a signed file URL that was altered, forged or has expired (S3 answers presigned URLs alike). */
export function invalidSignature(): ApiError {
  return new ApiError(403, { detail: 'This link is invalid or has expired.' });
}

/** 415 for a body whose media type the endpoint does not parse. */
export function unsupportedMediaType(mediaType: string): ApiError {
  return new ApiError(415, { detail: `Unsupported media type "${mediaType}" in request.` });
}

/** 429 with DRF's wording and `Retry-After`. */
export function throttled(waitSeconds: number): ApiError {
  const wait = Math.max(1, Math.ceil(waitSeconds));
  return new ApiError(
    429,
    { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` },
    { 'Retry-After': String(wait) },
  );
}

/** 503 when the database or the object store cannot be reached. */
export function serviceUnavailable(): ApiError {
  return new ApiError(503, { detail: 'Service temporarily unavailable.' });
}

/** 500 body; the cause is logged with the request id, never sent. */
export const SERVER_ERROR_BODY: ErrorBody = Object.freeze({ detail: 'A server error occurred.' });
