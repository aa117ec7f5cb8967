/**
 * The route guard built on the policy: a route's declarative `requirePermission(...)`.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import { currentUser } from '../auth/authenticate.js';
import { permissionDenied } from '../errors.js';
import { declareRoute } from '../http/route-metadata.js';
import type { Codename } from './codenames.js';
import { hasPermission } from './policy.js';

/**
 * Route middleware: 403 unless the authenticated user holds the permission. Goes after
 * `authenticate()`; declares the permission for the OpenAPI document.
 *
 * @param codename - the permission's codename, e.g. `add_user` (a {@link Codename}: a typo does not compile)
 * @returns the middleware, carrying `{ permission: codename }` as route metadata
 * @throws {@link ApiError} 403 (from the middleware) when the user lacks the permission
 * @example
 * router.get('/users/', authenticate(deps), requirePermission('view_user'), listUsers);
 */
export function requirePermission(codename: Codename) {
  const middleware = async function requirePermissionMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!hasPermission(currentUser(ctx), codename)) throw permissionDenied();
    await next();
  };
  return declareRoute(middleware, { permission: codename });
}
