/**
 * The domain error catalogue: what a use-case can refuse with, in words that are the API's
 * contract (DRF's and simplejwt's), and without any HTTP status.
 *
 * Services, the auth use-cases, storage, setup and the database layer throw these. Each edge
 * translates them once: `http/error-writer.ts` into DRF bodies, statuses and headers, the admin
 * into its pages (`admin/routes.ts`, `admin/form.ts`), the CLI into exit codes
 * (`commands/exit-codes.ts`).
 *
 * @module
 */
import { text, type Wording } from './i18n/translate.js';

/** Field errors in DRF's shape: a list of messages per field, or nested errors for list items. */
export type FieldErrors = Record<string, Wording[] | Record<string, Wording[]>>;

/** DRF's default wording of a refusal. */
export const PERMISSION_DENIED = text('permissionDenied');

/** DRF's wording of a server that cannot reach what it depends on. */
export const UNAVAILABLE = text('unavailable');

/**
 * The base of every domain error: `detail` is the message a client or a form shows (the contract),
 * worded by the edge that shows it; `message` what the log and the CLI print (`detail` in English
 * unless the cause says more).
 */
export abstract class DomainError extends Error {
  /**
   * @param detail - the message shown to the client, DRF's own
   * @param message - the words for logs and the CLI; `detail` in English when omitted
   * @param options.cause - the underlying error
   */
  constructor(
    readonly detail: Wording,
    message: string = String(detail),
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Nothing answers to the name: an unknown id, or an object the actor may not even see. */
export class NotFoundError extends DomainError {
  /** @param detail - DRF's `Not found.` unless another wording is the contract */
  constructor(detail: Wording = text('notFound')) {
    super(detail);
  }
}

/** The change collides with the state of the system (another process holds what it needs). */
export class ConflictError extends DomainError {}

/** The actor is known, but the policy refuses the action. */
export class PermissionDeniedError extends DomainError {
  /** @param detail - DRF's default wording unless another is the contract (Django's CSRF refusal) */
  constructor(detail: Wording = PERMISSION_DENIED) {
    super(detail);
  }
}

/** The input breaks a rule; `errors` are DRF's field errors, every one found at once. */
export class ValidationFailedError extends DomainError {
  /** @param errors - the messages per field, e.g. `{"username": ["This field is required."]}` */
  constructor(readonly errors: FieldErrors) {
    super(text('invalidInput'), `invalid input: ${JSON.stringify(errors)}`);
  }
}

/** Something the use-case depends on (the database, the object store) cannot be reached now. */
export class UnavailableError extends DomainError {
  /** What went away (`database`, `storage`), for the log line; absent when the caller did not say. */
  readonly service?: string;

  /**
   * @param message - what failed, for the log (the client reads only {@link UNAVAILABLE})
   * @param options.cause - the underlying error
   * @param options.service - what went away, e.g. `database`
   */
  constructor(message: string = String(UNAVAILABLE), options?: { cause?: unknown; service?: string }) {
    super(UNAVAILABLE, message, options);
    if (options?.service !== undefined) this.service = options.service;
  }
}

/** Content is longer than its limit (an upload past `UPLOAD_MAX_BYTES`). */
export class TooLargeError extends DomainError {}

/**
 * The credentials do not identify an active user: wrong username or password, an unknown or
 * inactive user behind a token, a malformed `Authorization` header. `code` is simplejwt's, when its
 * error carries one.
 */
export class AuthenticationFailedError extends DomainError {
  /**
   * @param detail - the wording, e.g. `No active account found with the given credentials`
   * @param code - simplejwt's code, e.g. `user_not_found`; DRF's own failure has none
   */
  constructor(
    detail: Wording,
    readonly code?: string,
  ) {
    super(detail);
  }
}

/** One reason simplejwt gives per token class it tried (only for an access token on a protected endpoint). */
export interface TokenMessage {
  readonly token_class: string;
  readonly token_type: string;
  readonly message: Wording;
}

/** A token that is malformed, expired, of the wrong type or revoked (simplejwt's `InvalidToken`). */
export class InvalidTokenError extends DomainError {
  /**
   * @param detail - the wording, e.g. `Token is invalid or expired`
   * @param messages - the per-class reasons simplejwt lists for an access token
   */
  constructor(
    detail: Wording,
    readonly messages?: readonly TokenMessage[],
  ) {
    super(detail);
  }

  /** simplejwt's code for every invalid token. */
  readonly code = 'token_not_valid';
}

/** Too many requests for the rate; `waitSeconds` (at least 1) until the next is allowed. */
export class ThrottledError extends DomainError {
  /** Whole seconds to wait, at least 1. */
  readonly waitSeconds: number;

  /** @param waitSeconds - how long until the rate allows a request, in seconds */
  constructor(waitSeconds: number) {
    const wait = Math.max(1, Math.ceil(waitSeconds));
    super(text('throttled', { wait }));
    this.waitSeconds = wait;
  }
}

/**
 * A validation failure with the given field errors.
 *
 * @param errors - the messages per field
 * @returns the error, to throw
 * @example
 * throw validationError({ username: [text('required')] });
 */
export function validationError(errors: FieldErrors): ValidationFailedError {
  return new ValidationFailedError(errors);
}

/**
 * A validation failure with a single message under one field.
 *
 * @param field - the field name, as the client sent it
 * @param message - DRF's or Django's wording
 * @returns the error, to throw
 * @example
 * throw fieldError('old_password', text('wrongOldPassword'));
 */
export function fieldError(field: string, message: Wording): ValidationFailedError {
  return new ValidationFailedError({ [field]: [message] });
}

/**
 * DRF's `Not found.`
 *
 * @returns the error, to throw
 * @example
 * if (!row) throw notFound();
 */
export function notFound(): NotFoundError {
  return new NotFoundError();
}

/**
 * A refusal by the policy.
 *
 * @param detail - DRF's default wording unless another is the contract
 * @returns the error, to throw
 * @example
 * if (!can(actor, 'delete_file', { file })) throw permissionDenied();
 */
export function permissionDenied(detail: Wording = PERMISSION_DENIED): PermissionDeniedError {
  return new PermissionDeniedError(detail);
}

/**
 * The database or the object store cannot be reached.
 *
 * @returns the error, to throw
 * @example
 * if (!found) throw serviceUnavailable(); // the row was there a moment ago: a dropped connection
 */
export function serviceUnavailable(): UnavailableError {
  return new UnavailableError();
}

/**
 * Credentials that do not identify an active user; `code` only where simplejwt sends one.
 *
 * @param detail - the wording
 * @param code - simplejwt's code
 * @returns the error, to throw
 * @example
 * throw authenticationFailed(text('userNotFound'), 'user_not_found');
 */
export function authenticationFailed(detail: Wording, code?: string): AuthenticationFailedError {
  return new AuthenticationFailedError(detail, code);
}

/**
 * An access token on a protected endpoint that no token type accepts (simplejwt's `InvalidToken`
 * with its per-class messages).
 *
 * @param reason - why the access token failed
 * @returns the error, to throw
 * @example
 * throw invalidAccessToken(text('tokenBlacklisted'));
 */
export function invalidAccessToken(reason: Wording = text('tokenInvalid')): InvalidTokenError {
  return new InvalidTokenError(text('tokenNotValidForAnyType'), [
    { token_class: 'AccessToken', token_type: 'access', message: reason },
  ]);
}

/**
 * A bad token given to a token endpoint (refresh, verify, blacklist).
 *
 * @param detail - the wording
 * @returns the error, to throw
 * @example
 * throw invalidToken(text('tokenBlacklisted'));
 */
export function invalidToken(detail: Wording = text('tokenInvalid')): InvalidTokenError {
  return new InvalidTokenError(detail);
}

/**
 * A rate exceeded, with DRF's wording.
 *
 * @param waitSeconds - how long until the next request is allowed
 * @returns the error, to throw
 * @example
 * throw throttled(rejection.msBeforeNext / 1000);
 */
export function throttled(waitSeconds: number): ThrottledError {
  return new ThrottledError(waitSeconds);
}
