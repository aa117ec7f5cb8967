/**
 * What a route answers on success, declared in its chain — as `validate(schema)` declares what it
 * accepts — so that the OpenAPI document shows every response body, and the tests can hold each
 * route's real answers to the schema it declares.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { declareRoute, type Declared, type ErrorStatus } from './route-metadata.js';

/** A route's success response. */
export interface SuccessResponse {
  /** The HTTP status, e.g. `200`, `201`, `204`. */
  readonly status: number;
  /** One line for the reference: what the body is. */
  readonly description: string;
  /** The schema of a JSON body; none for an empty body (204) or a body that is not JSON. */
  readonly schema?: z.ZodType;
  /** The media type of a body that is not JSON, or a range for a download served in its own type. */
  readonly mediaType?: string;
}

/** What the reference says of an operation, beside its responses. */
export interface Operation {
  /** A few words, imperative: `List users`. */
  readonly summary: string;
  /** A sentence or two more: what it does, what it refuses. */
  readonly description: string;
  /** Error statuses the generator cannot tell from the chain (see `RouteMetadata.errors`). */
  readonly errors?: readonly ErrorStatus[];
  /** Other answers with a body of the route's own (the health check's 503 with its report). */
  readonly others?: readonly SuccessResponse[];
}

/** A pass-through middleware declaring the route's {@link SuccessResponse} for the OpenAPI generator. */
export type RespondsMiddleware = Declared<(ctx: Context, next: Next) => Promise<void>>;

/**
 * Declares a route's success response; does nothing to the request.
 *
 * @param response - the status, description and body schema (or media type) of a success
 * @param operation - the summary and description of the operation, and the error statuses it
 *   gives that the chain does not show
 * @returns a pass-through middleware carrying `{ success: response, operation }` as route metadata
 * @example
 * router.get('/users/me/', auth, responds({ status: 200, description: 'The user', schema: MeJson }, { summary: 'Read the signed-in user' }), handler);
 */
export function responds(response: SuccessResponse, operation: Operation): RespondsMiddleware {
  const declared = async (_ctx: Context, next: Next): Promise<void> => {
    await next();
  };
  const { errors, ...text } = operation;
  return declareRoute(
    declared,
    errors ? { success: response, operation: text, errors } : { success: response, operation: text },
  );
}
