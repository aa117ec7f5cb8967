/**
 * Classifies errors raised by `pg`, PGlite and knex, so that the edges can tell an unreachable
 * database or a statement cut short by `statement_timeout` (the domain's "unavailable") from a bug.
 *
 * @module
 */
import { UnavailableError, type DomainError } from '../errors.js';
import { isNetworkErrorCode } from '../network.js';

/**
 * Whether an error means the database cannot be reached right now (down, restarting, pool
 * exhausted), as opposed to a query that is wrong.
 *
 * @param error - anything thrown by a query
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return isUnavailable(driverError(error));
}

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (isNetworkErrorCode(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now).
    if (/^08/.test(code) || /^57P0[123]$/.test(code)) return true;
  }
  if (error.name === 'KnexTimeoutError') return true;
  return /Connection terminated|Client has encountered a connection error|connect ECONNREFUSED/.test(error.message);
}

/**
 * Whether a statement was cancelled (SQLSTATE 57014 `query_canceled`): it ran past
 * `statement_timeout` (`DATABASE_STATEMENT_TIMEOUT`), or an operator cancelled it
 * (`pg_cancel_backend`). The request did nothing wrong; the database would not give it more time.
 *
 * @param error - anything thrown by a query
 */
function isStatementCancelled(error: unknown): boolean {
  return (driverError(error) as { code?: unknown } | null)?.code === '57014';
}

/**
 * Whether an error is a unique-constraint violation (SQLSTATE 23505), optionally on one constraint.
 *
 * @param error - anything thrown by a query
 * @param constraint - the constraint name to match, e.g. `auth_user_username_unique`
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = driverError(error) as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/**
 * The driver's own error: objection wraps a PostgreSQL error in a `db-errors` class that keeps it
 * as `nativeError` (and drops its `code`); knex's errors come as they are.
 */
function driverError(error: unknown): unknown {
  const native = (error as { nativeError?: unknown } | null)?.nativeError;
  return native instanceof Error ? native : error;
}

/**
 * The domain error a database failure stands for: {@link UnavailableError} when the database
 * cannot be reached or cancelled the statement (a 503, logged as a warning), `undefined` for
 * anything else. The HTTP writer, the admin and the CLI are handed this, so that none of them
 * needs to know `pg`'s codes.
 *
 * @param error - anything thrown by a query
 * @returns the domain error, or `undefined`
 * @example
 * app.use(createErrorWriter({ classify: domainErrorOfDatabase }));
 */
export function domainErrorOfDatabase(error: unknown): DomainError | undefined {
  if (isDatabaseUnavailable(error))
    return new UnavailableError('database unavailable', { cause: error, service: 'database' });
  if (isStatementCancelled(error))
    return new UnavailableError('statement cancelled by the database', { cause: error, service: 'database' });
  return undefined;
}
