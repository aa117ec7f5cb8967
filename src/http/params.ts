/**
 * Query and path parameters. A route declares the query parameters it reads with
 * {@link queryParameters} in its chain — as `validate(schema)` declares its body — and reads them
 * with {@link queryParam}, which refuses a name the chain did not declare: the OpenAPI document
 * lists what the route reads, and the two cannot disagree.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { notFound, validationError } from '../errors.js';
import { MESSAGES } from '../drf-wordings.js';
import { declaration, declareRoute, type Declared } from './route-metadata.js';

/** One query parameter a route reads, as the OpenAPI document describes it. */
export interface QueryParameter {
  /** One line for the reference: what the parameter does, and what an invalid value does. */
  readonly description: string;
  /** The values the parameter takes (its JSON Schema in the document: type, enum, default, maximum). */
  readonly schema: z.ZodType;
  /**
   * The value is a comma-separated list (`ordering=username,-id`): OpenAPI's `explode: false`
   * with an array schema.
   */
  readonly commaSeparated?: true;
  /**
   * The parameter is a django-filter text field (a form `CharField`): a value with NUL is its 400
   * `{"<name>": ["Null characters are not allowed."]}`.
   */
  readonly text?: true;
}

/** The query parameters of a route: name → declaration. */
export type QueryParameters = Readonly<Record<string, QueryParameter>>;

/** A pass-through middleware declaring the query parameters the route reads. */
export type QueryParametersMiddleware = Declared<(ctx: Context, next: Next) => Promise<void>>;

declare module 'koa' {
  interface DefaultState {
    /** The query parameters the route's chain declared ({@link queryParameters}). */
    queryParameters?: QueryParameters;
  }
}

/**
 * Declares the query parameters a route reads; {@link queryParam} reads only these.
 *
 * @param parameters - name → declaration; a list spreads the shared `PAGINATION` in
 * @returns a pass-through middleware carrying `{ query: parameters }` as route metadata
 * @example
 * router.get('/groups/', auth, queryParameters(PAGINATION), responds(…), handler);
 */
export function queryParameters(parameters: QueryParameters): QueryParametersMiddleware {
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.queryParameters = parameters;
    await next();
  };
  return declareRoute(middleware, { query: parameters });
}

/** One path parameter of a route, as the OpenAPI document describes it. */
export interface PathParameter {
  /** One line for the reference. */
  readonly description: string;
  /** The values the reader of the parameter accepts (anything else is its 404). */
  readonly schema: z.ZodType;
}

/** The path parameters of a route: name (`:id` → `id`) → declaration. */
export type PathParameters = Readonly<Record<string, PathParameter>>;

/**
 * Declares the path parameters of a route for the OpenAPI document; does nothing to the request.
 * The generator refuses a route whose path has a parameter its chain does not declare.
 *
 * @param parameters - name → declaration
 * @returns a pass-through middleware carrying `{ path: parameters }` as route metadata
 * @example
 * router.get('/media/*key', pathParameters({ key: { description: 'The object key.', schema: z.string() } }), …);
 */
export function pathParameters(parameters: PathParameters): Declared<(ctx: Context, next: Next) => Promise<void>> {
  return declaration({ path: parameters });
}

/** The `:id` of a route whose objects have integer ids, as {@link idParam} reads it. */
export const INTEGER_ID = pathParameters({
  id: { description: 'The id: a positive integer (anything else is 404).', schema: z.int().min(1).max(999_999_999) },
});

/** The `:id` of a route whose objects have UUIDs, as {@link uuidParam} reads it. */
export const UUID_ID = pathParameters({
  id: { description: 'The id: a UUID (anything else is 404).', schema: z.guid() },
});

/**
 * The value of a declared query parameter; repeated, its last value, as Django's `QueryDict.get`
 * reads it.
 *
 * @throws {@link ValidationFailedError} (400) for NUL in a `text` parameter
 * @throws Error when the route's chain does not declare `name` with {@link queryParameters} (a wiring bug)
 * @example
 * const group = queryParam(ctx, 'group');
 */
export function queryParam(ctx: Context, name: string): string | undefined {
  const declared = ctx.state.queryParameters;
  const parameter = declared && Object.hasOwn(declared, name) ? declared[name] : undefined;
  if (!parameter) throw new Error(`queryParam(): the route does not declare the query parameter "${name}"`);
  const raw = ctx.query[name];
  const value = Array.isArray(raw) ? raw.at(-1) : raw;
  if (parameter.text && value?.includes('\0')) throw validationError({ [name]: [MESSAGES.nullCharacters] });
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

/**
 * The `:id` of a detail route, read as the row's key type says: a positive integer or a UUID.
 *
 * @throws {@link NotFoundError} (404) as {@link idParam} and {@link uuidParam}
 * @example
 * rowIdParam(ctx, files.key); // '0b6c1b6e-…' for a resource keyed by UUID
 */
export function rowIdParam(ctx: Context, key: 'integer' | 'uuid'): number | string {
  return key === 'uuid' ? uuidParam(ctx) : idParam(ctx);
}
