/**
 * Django's permission semantics as pure functions, and the route guard built on them.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { AuthUser } from '../auth/principal.js';
import { currentUser } from '../auth/authenticate.js';
import { permissionDenied } from '../http/errors.js';

/**
 * Whether a user holds a permission: active, and a superuser or granted it directly or through a
 * group (Django's `user.has_perm`).
 *
 * @param codename - e.g. `view_user`
 * @example
 * hasPermission(user, 'change_user');
 */
export function hasPermission(user: Pick<AuthUser, 'is_active' | 'is_superuser' | 'permissions'>, codename: string): boolean {
  return user.is_active && (user.is_superuser || user.permissions.has(codename));
}

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
