/**
 * The CLI's translation of errors: the one line a failed command prints on stderr and its exit
 * status. docs/md/cli.md holds the same table for operators.
 *
 * Every failure exits 1 today, as the original's `manage.py` does and scripts already rely on;
 * the statuses are kept per kind so that a distinct one is a one-line change here.
 *
 * @module
 */
import { ConflictError, DomainError, ValidationFailedError } from '../errors.js';
import type { Wording } from '../i18n/translate.js';

/** The exit status of each kind of failure. */
export const EXIT_CODES = Object.freeze({
  /** The command did what it was asked. */
  ok: 0,
  /** The input broke a rule (validation failed): `error: field: message; …`. */
  invalid: 1,
  /** Another process holds what the command needs (the embedded database in use): the message alone. */
  conflict: 1,
  /** Any other domain refusal (not found, permission denied, unavailable): `error: <message>`. */
  refused: 1,
  /** Anything unexpected, and commander's usage errors: `error: <message>`. */
  failed: 1,
});

/** What a failed command prints and how it exits. */
export interface CliFailure {
  /** The one line for stderr. */
  readonly line: string;
  /** The process exit status, from {@link EXIT_CODES}. */
  readonly status: number;
}

/**
 * Translates whatever a command threw into its line and exit status.
 *
 * @param error - anything a command threw
 * @returns the line for stderr and the exit status
 * @example
 * cliFailure(fieldError('username', text('usernameTaken')));
 * // { line: 'error: username: A user with that username already exists.', status: 1 }
 */
export function cliFailure(error: unknown): CliFailure {
  if (error instanceof ValidationFailedError) {
    const messages = Object.entries(error.errors).map(([field, list]) => `${field}: ${fieldMessages(list).join(' ')}`);
    return { line: `error: ${messages.join('; ')}`, status: EXIT_CODES.invalid };
  }
  if (error instanceof ConflictError) return { line: error.message, status: EXIT_CODES.conflict };
  if (error instanceof DomainError) return { line: `error: ${error.message}`, status: EXIT_CODES.refused };
  return { line: `error: ${(error as Error).message}`, status: EXIT_CODES.failed };
}

/** The messages of one field: a list, or for list items their lists in order. */
function fieldMessages(list: Wording[] | Record<string, Wording[]>): Wording[] {
  return Array.isArray(list) ? list : Object.values(list).flat();
}
