/**
 * The route guard built on the policy: a route's declarative `requirePermission(...)`.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import { currentUser } from '../auth/authenticate.js';
import { permissionDenied } from '../errors.js';
import { hasPermission } from './policy.js';

/**
 * Route middleware: 403 unless the authenticated user holds the permission. Goes after
 * `authenticate()`.
 *
 * @example
 * router.get('/users/', authenticate(deps), requirePermission('view_user'), listUsers);
 */
export function requirePermission(codename: string) {
  const middleware = async function requirePermissionMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!hasPermission(currentUser(ctx), codename)) throw permissionDenied();
    await next();
  };
  // Read by the OpenAPI generator, as `validate(schema).schema` is.
  return Object.assign(middleware, { permission: codename });
}
