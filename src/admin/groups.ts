/**
 * `/admin/groups/*`: list, add, change (name and permissions grouped by model), delete — through
 * the group use-cases, recorded in the audit log.
 *
 * @module
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Deps } from '../deps.js';
import type { GroupRow } from '../groups/presenter.js';
import { GroupWrite } from '../groups/schema.js';
import { createGroup, deleteGroup, findGroup, groupFieldErrors, groupsQuery, updateGroup } from '../groups/service.js';
import { notFound, type FieldErrors } from '../errors.js';
import { idParam } from '../http/params.js';
import { parseInputChecked } from '../http/validate.js';
import { recordAction } from '../db/audit.js';
import { formErrors, formOf } from './form.js';
import { permissionsByModel } from './permission-groups.js';
import { fetchHtmlPage } from './pages.js';
import { render } from './render.js';
import { adminUser, requireAdminPermission, type AdminGuard } from './session.js';

/** The groups pages; every route is behind `session` (a staff login) and a group permission. */
export function adminGroupRoutes(deps: Deps, session: AdminGuard): Router {
  const router = new Router();
  const { knex } = deps;

  router.get('/groups/', session, requireAdminPermission('view_group'), async (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim() : '';
    const query = groupsQuery(knex, { members: true }).clearOrder().orderBy('g.name');
    if (q) query.whereRaw(`g.name ILIKE ? ESCAPE '\\'`, [`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
    render(ctx, 'groups/list', {
      title: 'Groups',
      page: await fetchHtmlPage<GroupRow & { members: number }>(query, ctx.query.page),
      q,
    });
  });

  router.get('/groups/add/', session, requireAdminPermission('add_group'), async (ctx) => {
    await renderForm(ctx, null, { name: '', permissions: [] }, {});
  });

  router.post('/groups/add/', session, requireAdminPermission('add_group'), async (ctx) => {
    const values = groupFormValues(formOf(ctx));
    const actor = adminUser(ctx);
    try {
      const input = await parseInputChecked(GroupWrite, values, (fields) => groupFieldErrors(knex, fields));
      const group = await knex.transaction(async (trx) => {
        const created = await createGroup(trx, actor, input);
        await recordAction(
          trx,
          actor,
          'add_group',
          { type: 'group', id: created.id, repr: created.name },
          { permissions: created.permissions },
        );
        return created;
      });
      ctx.redirect(`/admin/groups/${group.id}/?notice=created`);
    } catch (error) {
      await renderForm(ctx, null, values, formErrors(error), 400);
    }
  });

  router.get('/groups/:id/', session, requireAdminPermission('view_group'), async (ctx) => {
    const group = await groupOr404(ctx);
    await renderForm(ctx, group, group, {});
  });

  router.post('/groups/:id/', session, requireAdminPermission('change_group'), async (ctx) => {
    const before = await groupOr404(ctx);
    const values = groupFormValues(formOf(ctx));
    const actor = adminUser(ctx);
    try {
      const input = await parseInputChecked(GroupWrite, values, (fields) => groupFieldErrors(knex, fields, before.id));
      await knex.transaction(async (trx) => {
        const after = await updateGroup(trx, actor, before.id, input);
        await recordAction(
          trx,
          actor,
          'change_group',
          { type: 'group', id: after.id, repr: after.name },
          {
            name: before.name === after.name ? undefined : { from: before.name, to: after.name },
            added: after.permissions.filter((p) => !before.permissions.includes(p)),
            removed: before.permissions.filter((p) => !after.permissions.includes(p)),
          },
        );
      });
      ctx.redirect(`/admin/groups/${before.id}/?notice=saved`);
    } catch (error) {
      await renderForm(ctx, before, values, formErrors(error), 400);
    }
  });

  router.post('/groups/:id/delete/', session, requireAdminPermission('delete_group'), async (ctx) => {
    const group = await groupOr404(ctx);
    const actor = adminUser(ctx);
    await knex.transaction(async (trx) => {
      await deleteGroup(trx, group.id);
      await recordAction(
        trx,
        actor,
        'delete_group',
        { type: 'group', id: group.id, repr: group.name },
        { permissions: group.permissions },
      );
    });
    ctx.redirect('/admin/groups/?notice=deleted');
  });

  async function groupOr404(ctx: Context): Promise<GroupRow> {
    const group = await findGroup(knex, idParam(ctx));
    if (!group) throw notFound();
    return group;
  }

  async function renderForm(
    ctx: Context,
    group: GroupRow | null,
    values: { name: string; permissions: readonly string[] },
    errors: FieldErrors,
    status = 200,
  ) {
    const title = group ? `Change group ${group.name}` : 'Add group';
    render(
      ctx,
      'groups/form',
      { title, group, values, errors, permissionGroups: await permissionsByModel(knex) },
      status,
    );
  }

  return router;
}

function groupFormValues(form: URLSearchParams): { name: string; permissions: string[] } {
  return { name: form.get('name') ?? '', permissions: form.getAll('permissions') };
}
