/**
 * Request validation: a zod schema in the route chain, DRF-shaped 400 bodies out.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { validationError, type FieldErrors } from '../errors.js';
import { pythonType } from '../drf-wordings.js';
import { declareRoute, type Declared } from './route-metadata.js';
import { issueWording, text, type Wording } from '../i18n/translate.js';

/** A validation middleware, declaring its schema as the route's request body (the OpenAPI generator reads it). */
export type ValidateMiddleware = Declared<(ctx: Context, next: Next) => Promise<void>>;

/**
 * Parses data with a schema, throwing a DRF 400 on failure.
 *
 * @param schema - a zod object schema built from `fields.ts`
 * @param data - the parsed JSON body
 * @returns the validated, transformed data
 * @throws {@link ValidationFailedError} (400) with `{"field": ["message"]}`, or `non_field_errors` for a body that is not an object
 */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(asDictionary(data));
  if (result.success) return result.data;
  throw validationError(toFieldErrors(result.error));
}

/**
 * The checks of fields that need the database — a unique name, references that must exist —
 * given the fields that passed their format checks. Returns the errors found (none: `{}`).
 */
export type FieldCheck<T> = (fields: Partial<T>) => Promise<FieldErrors>;

/**
 * As {@link parseInput}, but when some fields fail their format checks, the fields that passed
 * are also run through `check`, so that one 400 lists every field's errors — a malformed email
 * next to a username already taken — as a DRF serializer does. Valid data is returned without
 * the check: the use-case runs it in its transaction.
 *
 * @throws {@link ValidationFailedError} (400) with the format and database errors, in the schema's field order
 */
export async function parseInputChecked<S extends z.ZodObject>(
  schema: S,
  data: unknown,
  check: FieldCheck<z.output<S>>,
): Promise<z.output<S>> {
  const body = asDictionary(data);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const errors = toFieldErrors(result.error);
  const valid: Record<string, unknown> = {};
  for (const [field, fieldSchema] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (field in errors || !(field in body)) continue;
    const parsed = fieldSchema.safeParse(body[field]);
    if (parsed.success && parsed.data !== undefined) valid[field] = parsed.data;
  }
  const checked = await check(valid as Partial<z.output<S>>);
  const merged: FieldErrors = {};
  for (const field of [...Object.keys(schema.shape), ...Object.keys(errors)]) {
    const messages = errors[field] ?? checked[field];
    if (messages && !(field in merged)) merged[field] = messages;
  }
  throw validationError(merged);
}

/** The body as an object, or DRF's 400 for JSON that is not one. */
function asDictionary(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw validationError({ non_field_errors: [text('invalidData', { datatype: pythonType(data) })] });
  }
  return data as Record<string, unknown>;
}

/**
 * Converts zod issues into DRF's field errors: messages listed under the field they concern.
 *
 * @example
 * toFieldErrors(error); // { username: ['This field is required.'] }
 */
export function toFieldErrors(error: z.ZodError): FieldErrors {
  const errors: Record<string, Wording[]> = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : 'non_field_errors';
    const list = (errors[field] ??= []);
    const message = issueWording(issue.message);
    if (!list.some((listed) => String(listed) === String(message))) list.push(message);
  }
  return errors;
}

/**
 * Route middleware validating the JSON body; the handler then reads it with {@link validatedBody}.
 *
 * @param check - database checks of the fields, run (through {@link parseInputChecked}) when
 *   other fields fail, so that one 400 reports them all; it may throw, e.g. 404 for an unknown
 *   object, which DRF looks up before it validates
 * @example
 * router.post('/users/', authenticate(), requirePermission('add_user'), validate(UserCreate), createUser);
 */
export function validate<S extends z.ZodObject>(
  schema: S,
  check?: (fields: Partial<z.output<S>>, ctx: Context) => Promise<FieldErrors>,
): ValidateMiddleware {
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    const validated = (ctx.state.validated ??= new Map());
    const body: unknown = ctx.request.body;
    validated.set(
      schema,
      check ? await parseInputChecked(schema, body, (fields) => check(fields, ctx)) : parseInput(schema, body),
    );
    await next();
  };
  return declareRoute(middleware, { body: schema });
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
