/**
 * `GET /api/permissions/`: the permissions that exist, for building role editors.
 *
 * @module
 */
import Router from '@koa/router';
import { authenticate } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { Permission } from '../db/models.js';
import { z } from 'zod';
import { PAGINATION, pageOf, paginate } from '../http/pagination.js';
import { queryParameters } from '../http/params.js';
import { responds } from '../http/responds.js';
import { requirePermission } from './guard.js';

/** A permission as the API answers it. */
export const PermissionJson = z.strictObject({
  id: z.number().int(),
  name: z.string().meta({ description: 'Django\'s wording, e.g. "Can add user".' }),
  codename: z.string(),
  model: z.string(),
});
/** Permission JSON as the API answers it. */
export type PermissionJson = z.infer<typeof PermissionJson>;

/** The permissions router, mounted under `/api`. */
export function permissionRoutes(deps: Deps): Router {
  const router = new Router();

  router.get(
    '/permissions/',
    authenticate(deps),
    requirePermission('view_permission'),
    queryParameters(PAGINATION),
    responds(
      {
        status: 200,
        description: 'A page of permissions, by model and codename.',
        schema: pageOf(PermissionJson),
      },
      { summary: 'List permissions', description: 'Every permission that exists, to build role editors from.' },
    ),
    async (ctx) => {
      const query = Permission.query(deps.knex)
        .select('id', 'name', 'codename', 'model')
        .orderBy(['model', 'codename'])
        .toKnexQuery();
      ctx.body = await paginate(ctx, query, (row: PermissionJson) => ({ ...row }));
    },
  );

  return router;
}
