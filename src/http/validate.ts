/**
 * Request validation: a zod schema in the route chain, DRF-shaped 400 bodies out.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { validationError, type FieldErrors } from './errors.js';
import { pythonType } from './fields.js';

/** A validation middleware that also exposes its schema (the OpenAPI generator reads it). */
export interface ValidateMiddleware<S extends z.ZodType> {
  (ctx: Context, next: Next): Promise<void>;
  /** The schema the request body must satisfy. */
  readonly schema: S;
}

/**
 * Parses data with a schema, throwing a DRF 400 on failure.
 *
 * @param schema - a zod object schema built from `fields.ts`
 * @param data - the parsed JSON body
 * @returns the validated, transformed data
 * @throws {@link ApiError} 400 with `{"field": ["message"]}`, or `non_field_errors` for a body that is not an object
 */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw validationError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonType(data)}.`] });
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw validationError(toFieldErrors(result.error));
}

/**
 * Converts zod issues into DRF's field errors: messages listed under the field they concern.
 *
 * @example
 * toFieldErrors(error); // { username: ['This field is required.'] }
 */
export function toFieldErrors(error: z.ZodError): FieldErrors {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : 'non_field_errors';
    const list = (errors[field] ??= []);
    if (!list.includes(issue.message)) list.push(issue.message);
  }
  return errors;
}

/**
 * Route middleware validating the JSON body; the handler then reads it with {@link validatedBody}.
 *
 * @example
 * router.post('/users/', authenticate(), requirePermission('add_user'), validate(UserCreate), createUser);
 */
export function validate<S extends z.ZodType>(schema: S): ValidateMiddleware<S> {
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    const validated = (ctx.state.validated ??= new Map());
    validated.set(schema, parseInput(schema, ctx.request.body));
    await next();
  };
  return Object.assign(middleware, { schema });
}

/**
 * The body validated by `validate(schema)` earlier in the chain, typed by that schema.
 *
 * @throws Error when the route did not validate with this schema (a wiring bug)
 */
export function validatedBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const validated = ctx.state.validated;
  if (!validated?.has(schema)) throw new Error('validatedBody(): the route has no validate() for this schema');
  return validated.get(schema) as z.output<S>;
}
