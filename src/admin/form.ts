/**
 * The admin's HTML forms (`application/x-www-form-urlencoded`): reading what was submitted, and
 * the field errors shown beside the fields when a use-case refuses it.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import { ValidationFailedError, type FieldErrors } from '../errors.js';
import { mediaTypeOf, readBodyText } from '../http/body.js';

declare module 'koa' {
  interface DefaultState {
    /** The submitted admin form (empty for other media types). */
    form?: URLSearchParams;
    /** The admin session's CSRF token, for the forms a page renders. */
    csrfToken?: string;
  }
}

/** Largest form accepted: a user edit with every permission ticked is a few kilobytes. */
const FORM_LIMIT = 256 * 1024;

/** Middleware parsing a urlencoded body of an unsafe request into `ctx.state.form`. */
export async function parseForm(ctx: Context, next: Next): Promise<void> {
  let form = new URLSearchParams();
  if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method) && mediaTypeOf(ctx) === 'application/x-www-form-urlencoded') {
    form = new URLSearchParams(await readBodyText(ctx, FORM_LIMIT));
  }
  ctx.state.form = form;
  await next();
}

/** The submitted form of a request that went through {@link parseForm}. */
export function formOf(ctx: Context): URLSearchParams {
  return ctx.state.form ?? new URLSearchParams();
}

/** A checkbox: present means ticked. */
export function checked(form: URLSearchParams, name: string): boolean {
  return form.has(name);
}

/** The positive integer values of a repeated field (e.g. ticked rows), ignoring anything else. */
export function idList(form: URLSearchParams, name: string): number[] {
  return [
    ...new Set(
      form
        .getAll(name)
        .filter((v) => /^\d{1,9}$/.test(v))
        .map(Number),
    ),
  ].filter((n) => n > 0);
}

/**
 * The field errors of a validation failure, to show on the re-rendered form: the admin's
 * translation of "validation failed".
 *
 * @param error - what the use-case threw
 * @returns the messages per field
 * @throws the error itself when it is not a validation failure (permission denied, not found and
 *   the rest go to the error page)
 * @example
 * try { await createUser(knex, actor, input); } catch (error) { errors = formErrors(error); }
 */
export function formErrors(error: unknown): FieldErrors {
  if (error instanceof ValidationFailedError) return error.errors;
  throw error;
}
