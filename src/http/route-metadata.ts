/**
 * What a route declares about itself — who may call it, what it accepts, what it answers — as
 * data attached to the middleware of its chain, so that the OpenAPI generator reads it instead of
 * guessing from function names. `authenticate()`, `requirePermission()`, `validate()` and
 * `responds()` each attach their part; {@link routeMetadata} merges a chain's parts.
 *
 * @module
 */
import type { z } from 'zod';
import type { PathParameters, QueryParameters } from './params.js';
import type { Operation, SuccessResponse } from './responds.js';

/** The key under which a middleware carries its part of the route's metadata. */
export const ROUTE_METADATA: unique symbol = Symbol('backoffice.routeMetadata');

/** What the middleware of a route chain declare, each its own part. */
export interface RouteMetadata {
  /** The route needs an authenticated user (Bearer token or `access_token` cookie). */
  readonly authenticated?: true;
  /** The permission codename the route requires. */
  readonly permission?: string;
  /** The zod schema the request body must satisfy. */
  readonly body?: z.ZodType;
  /** The path parameters of the route (`pathParameters(...)`). */
  readonly path?: PathParameters;
  /** The query parameters the route reads (`queryParameters(...)`). */
  readonly query?: QueryParameters;
  /** What the route answers on success. */
  readonly success?: SuccessResponse;
  /** The summary and description of the operation (`responds(..., operation)`). */
  readonly operation?: Operation;
  /**
   * Error statuses the route gives that the generator cannot tell from the other parts (a 401 for
   * bad credentials on a route that does not authenticate, a 405 for `users/me/`); several
   * middleware may each add theirs.
   */
  readonly errors?: readonly ErrorStatus[];
  /**
   * The OpenAPI tag of a route whose feature declares its own (a resource): its name, the path's
   * first segment after `/api/`, and one line about it.
   */
  readonly tag?: { readonly name: string; readonly description: string };
}

/** The error statuses of the shared `components.responses` of the OpenAPI document. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429 | 503;

/** A function carrying route metadata under {@link ROUTE_METADATA}. */
export type Declared<F> = F & { readonly [ROUTE_METADATA]: RouteMetadata };

/**
 * Attaches route metadata to a middleware and returns the same function.
 *
 * @typeParam F - the middleware's own type, kept
 * @param middleware - a Koa middleware of a route chain
 * @param metadata - what it declares about the route
 * @returns the middleware, carrying `metadata`
 * @example
 * return declareRoute(middleware, { permission: codename });
 */
export function declareRoute<F extends (...args: never[]) => unknown>(
  middleware: F,
  metadata: RouteMetadata,
): Declared<F> {
  return Object.assign(middleware, { [ROUTE_METADATA]: metadata });
}

/**
 * A middleware that does nothing but declare: what the handler after it checks itself (a
 * permission, a body, a tag), for the OpenAPI document.
 *
 * @example
 * router.post('/files/', auth, declaration({ tag: { name: 'files', description: 'Files.' } }), handler);
 */
export function declaration(metadata: RouteMetadata) {
  return declareRoute(async (_ctx: unknown, next: () => Promise<unknown>) => void (await next()), metadata);
}

/**
 * The route metadata of one function of a chain, if it declares any.
 *
 * @param fn - a middleware or handler
 * @returns its metadata, or `undefined` for a function that declares nothing
 * @example
 * metadataOf(requirePermission('view_user')); // { permission: 'view_user' }
 */
export function metadataOf(fn: unknown): RouteMetadata | undefined {
  if (typeof fn !== 'function') return undefined;
  return (fn as Partial<Declared<unknown>>)[ROUTE_METADATA];
}

/**
 * What a whole route chain declares: the parts of its middleware merged, in order.
 *
 * @param stack - the route's middleware and handler, in order
 * @returns the merged metadata (`{}` for a chain that declares nothing)
 * @throws Error when two middleware of the chain declare the same part (a wiring bug); `errors`,
 *   which several may add to, is their union
 * @example
 * routeMetadata([auth, requirePermission('add_user'), validate(UserCreate), responds(created), handler]);
 */
export function routeMetadata(stack: readonly unknown[]): RouteMetadata {
  const merged: Record<string, unknown> = {};
  for (const fn of stack) {
    for (const [part, value] of Object.entries(metadataOf(fn) ?? {})) {
      if (part === 'errors') {
        merged.errors = [
          ...new Set([...((merged.errors as ErrorStatus[] | undefined) ?? []), ...(value as ErrorStatus[])]),
        ];
        continue;
      }
      if (part in merged) throw new Error(`a route declares "${part}" twice in its chain`);
      merged[part] = value;
    }
  }
  return merged as RouteMetadata;
}
