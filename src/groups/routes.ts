/**
 * `/api/groups/*`: groups (roles) and their permissions.
 *
 * @module
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { authenticate, currentUser } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { notFound } from '../errors.js';
import { PAGINATION, pageOf, paginate } from '../http/pagination.js';
import { idParam, optionalIdParam, queryParameters, INTEGER_ID } from '../http/params.js';
import { responds } from '../http/responds.js';
import { validate, validatedBody } from '../http/validate.js';
import { requirePermission } from '../permissions/guard.js';
import { GroupJson, presentGroup, type GroupRow } from './presenter.js';
import { GroupPatch, GroupWrite } from './schema.js';
import { createGroup, deleteGroup, findGroup, groupFieldErrors, groupsQuery, updateGroup } from './service.js';

/** The groups router, mounted under `/api`. */
export function groupRoutes(deps: Deps): Router {
  const router = new Router();
  const auth = authenticate(deps);
  const { knex } = deps;

  router.get(
    '/groups/',
    auth,
    requirePermission('view_group'),
    queryParameters(PAGINATION),
    responds(
      { status: 200, description: 'A page of groups.', schema: pageOf(GroupJson) },
      {
        summary: 'List groups',
        description: 'Paginated, in the order they were created; each group with the codenames of its permissions.',
      },
    ),
    async (ctx) => {
      ctx.body = await paginate(ctx, groupsQuery(knex), (row: GroupRow) => presentGroup(row));
    },
  );

  // With some fields malformed, the database checks of the others still run: one 400 lists all.
  const checked = (fields: GroupPatch, ctx: Context) => groupFieldErrors(knex, fields, optionalIdParam(ctx));

  router.post(
    '/groups/',
    auth,
    requirePermission('add_group'),
    validate(GroupWrite, checked),
    responds(
      { status: 201, description: 'The group created.', schema: GroupJson },
      {
        summary: 'Create a group',
        description: 'With the codenames of its permissions; the actor must hold every permission it grants.',
      },
    ),
    async (ctx) => {
      ctx.status = 201;
      ctx.body = presentGroup(await createGroup(knex, currentUser(ctx), validatedBody(ctx, GroupWrite)));
    },
  );

  router.get(
    '/groups/:id/',
    INTEGER_ID,
    auth,
    requirePermission('view_group'),
    responds(
      { status: 200, description: 'The group.', schema: GroupJson },
      { summary: 'Read a group', description: 'The group with the codenames of its permissions.' },
    ),
    async (ctx) => {
      const group = await findGroup(knex, idParam(ctx));
      if (!group) throw notFound();
      ctx.body = presentGroup(group);
    },
  );

  router.put(
    '/groups/:id/',
    INTEGER_ID,
    auth,
    requirePermission('change_group'),
    validate(GroupWrite, checked),
    responds(
      { status: 200, description: 'The group, changed.', schema: GroupJson },
      {
        summary: 'Replace a group',
        description: 'Its name and its whole set of permissions; the actor must hold every permission it grants.',
      },
    ),
    async (ctx) => {
      ctx.body = presentGroup(await updateGroup(knex, currentUser(ctx), idParam(ctx), validatedBody(ctx, GroupWrite)));
    },
  );

  router.patch(
    '/groups/:id/',
    INTEGER_ID,
    auth,
    requirePermission('change_group'),
    validate(GroupPatch, checked),
    responds(
      { status: 200, description: 'The group, changed.', schema: GroupJson },
      { summary: 'Change a group', description: 'The fields sent; the actor must hold every permission it grants.' },
    ),
    async (ctx) => {
      ctx.body = presentGroup(await updateGroup(knex, currentUser(ctx), idParam(ctx), validatedBody(ctx, GroupPatch)));
    },
  );

  router.delete(
    '/groups/:id/',
    INTEGER_ID,
    auth,
    requirePermission('delete_group'),
    responds(
      { status: 204, description: 'Deleted; its members lose what it granted.' },
      { summary: 'Delete a group', description: 'Its members lose the permissions it granted.' },
    ),
    async (ctx) => {
      await deleteGroup(knex, idParam(ctx));
      ctx.status = 204;
    },
  );

  return router;
}
