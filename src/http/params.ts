/**
 * Path parameters.
 *
 * @module
 */
import type { Context } from 'koa';
import { notFound, validationError } from '../errors.js';
import { MESSAGES } from '../messages.js';

/**
 * The value of a query parameter; repeated, its last value, as Django's `QueryDict.get` reads it.
 *
 * @param options.text - the parameter is a django-filter text field (a form `CharField`): a value
 *   with NUL is its 400 `{"<name>": ["Null characters are not allowed."]}`
 * @throws {@link ValidationFailedError} (400) as above
 * @example
 * const group = queryParam(ctx, 'group', { text: true });
 */
export function queryParam(ctx: Context, name: string, options: { text?: boolean } = {}): string | undefined {
  const raw = ctx.query[name];
  const value = Array.isArray(raw) ? raw.at(-1) : raw;
  if (options.text && value?.includes('\0')) throw validationError({ [name]: [MESSAGES.nullCharacters] });
  return value;
}

/**
 * The numeric `:id` of a detail route.
 *
 * @throws {@link NotFoundError} (404) `Not found.` for an id that is not a positive integer, as DRF answers
 */
export function idParam(ctx: Context, name = 'id'): number {
  const raw = (ctx.params as Record<string, string | undefined>)[name] ?? '';
  const id = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(id > 0)) throw notFound();
  return id;
}

/**
 * The numeric `:id` of a detail route, or `undefined` on a route without one (a list's `POST`).
 *
 * @throws {@link NotFoundError} (404) as {@link idParam}
 */
export function optionalIdParam(ctx: Context): number | undefined {
  return (ctx.params as Record<string, string | undefined>).id === undefined ? undefined : idParam(ctx);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The UUID `:id` of a detail route, lower-cased.
 *
 * @throws {@link NotFoundError} (404) `Not found.` for anything that is not a UUID, as DRF answers
 * @example
 * const id = uuidParam(ctx); // '0b6c1b6e-4f0a-4d2b-9d0e-6f1f1c2a3b4c'
 */
export function uuidParam(ctx: Context, name = 'id'): string {
  const raw = (ctx.params as Record<string, string | undefined>)[name] ?? '';
  if (!UUID.test(raw)) throw notFound();
  return raw.toLowerCase();
}
