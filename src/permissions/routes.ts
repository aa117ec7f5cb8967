/**
 * `GET /api/permissions/`: the permissions that exist, for building role editors.
 *
 * @module
 */
import Router from '@koa/router';
import { authenticate } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { paginate } from '../http/pagination.js';
import { requirePermission } from './policy.js';

/** A permission as the API answers it. */
export interface PermissionJson {
  id: number;
  name: string;
  codename: string;
  model: string;
}

/** The permissions router, mounted under `/api`. */
export function permissionRoutes(deps: Deps): Router {
  const router = new Router();

  router.get('/permissions/', authenticate(deps), requirePermission('view_permission'), async (ctx) => {
    const query = deps.knex('auth_permission').select('id', 'name', 'codename', 'model').orderBy(['model', 'codename']);
    ctx.body = await paginate(ctx, query, (row: PermissionJson) => ({ ...row }));
  });

  return router;
}
