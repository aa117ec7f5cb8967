/**
 * Path parameters.
 *
 * @module
 */
import type { Context } from 'koa';
import { notFound } from './errors.js';

/**
 * The numeric `:id` of a detail route.
 *
 * @throws {@link ApiError} 404 `Not found.` for an id that is not a positive integer, as DRF answers
 */
export function idParam(ctx: Context, name = 'id'): number {
  const raw = (ctx.params as Record<string, string | undefined>)[name] ?? '';
  const id = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(id > 0)) throw notFound();
  return id;
}
