/**
 * What a route answers on success, declared in its chain — as `validate(schema)` declares what it
 * accepts — so that the OpenAPI document shows every response body, and the tests can hold each
 * route's real answers to the schema it declares.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { declareRoute, type Declared } from './route-metadata.js';

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

/** A pass-through middleware declaring the route's {@link SuccessResponse} for the OpenAPI generator. */
export type RespondsMiddleware = Declared<(ctx: Context, next: Next) => Promise<void>>;

/**
 * Declares a route's success response; does nothing to the request.
 *
 * @param response - the status, description and body schema (or media type) of a success
 * @returns a pass-through middleware carrying `{ success: response }` as route metadata
 * @example
 * router.get('/users/me/', auth, responds({ status: 200, description: 'The user', schema: MeJson }), handler);
 */
export function responds(response: SuccessResponse): RespondsMiddleware {
  const declared = async (_ctx: Context, next: Next): Promise<void> => {
    await next();
  };
  return declareRoute(declared, { success: response });
}
