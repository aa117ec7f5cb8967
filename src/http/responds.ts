/**
 * What a route answers on success, declared in its chain — as `validate(schema)` declares what it
 * accepts — so that the OpenAPI document shows every response body, and the tests can hold each
 * route's real answers to the schema it declares.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';

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

/** A pass-through middleware carrying the route's {@link SuccessResponse} for the OpenAPI generator. */
export interface RespondsMiddleware {
  (ctx: Context, next: Next): Promise<void>;
  /** What the route answers on success. */
  readonly response: SuccessResponse;
}

/**
 * Declares a route's success response; does nothing to the request.
 *
 * @example
 * router.get('/users/me/', auth, responds({ status: 200, description: 'The user', schema: MeJson }), handler);
 */
export function responds(response: SuccessResponse): RespondsMiddleware {
  const declared = async (_ctx: Context, next: Next): Promise<void> => {
    await next();
  };
  return Object.assign(declared, { response });
}
