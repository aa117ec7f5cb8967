/**
 * `/admin/users/*`: list, add, change, set password, send a reset link, deactivate, log out everywhere, delete —
 * each through the users use-cases, each recorded in the audit log in the same transaction.
 *
 * @module
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { liveTokenCount } from '../auth/service.js';
import type { Deps } from '../deps.js';
import { groupNames } from '../groups/service.js';
import { notFound, validationError, ValidationFailedError, type FieldErrors } from '../errors.js';
import { ApiError } from '../http/http-errors.js';
import { idParam } from '../http/params.js';
import { parseInput, parseInputChecked } from '../http/validate.js';
import type { ListQuery } from '../resources/list-query.js';
import { userListQuery } from '../users/filters.js';
import type { UserRow } from '../users/presenter.js';
import { UserCreate, UserPatch } from '../users/schema.js';
import {
  createUser,
  deleteUser,
  directPermissions,
  findUser,
  logoutEverywhere,
  setUserPermissions,
  updateUser,
  userFieldErrors,
  usersQuery,
} from '../users/service.js';
import { mailerOf } from '../mail/mailer.js';
import { sendPasswordResetLink } from '../password-reset/service.js';
import { recordAction } from '../db/audit.js';
import { checked, formErrors, formOf } from './form.js';
import { permissionsByModel } from './permission-groups.js';
import { fetchHtmlPage } from './pages.js';
import { render } from './render.js';
import { adminUser, requireAdminPermission, type AdminGuard } from './session.js';
import { text } from '../i18n/translate.js';

/** Fields of the change form compared for the audit log's list of changed fields. */
const AUDITED_FIELDS = [
  'username',
  'email',
  'first_name',
  'last_name',
  'is_active',
  'is_staff',
  'is_superuser',
] as const;

/** The users pages; every route is behind `session` (a staff login) and a user permission. */
export function adminUserRoutes(deps: Deps, session: AdminGuard): Router {
  const router = new Router();
  const { knex } = deps;

  router.get('/users/', session, requireAdminPermission('view_user'), async (ctx) => {
    const q = ctx.query;
    const filters = {
      q: str(q.q),
      is_active: bool(q.is_active),
      is_staff: bool(q.is_staff),
      group: str(q.group),
    };
    const query = usersQuery(knex, adminUserFilters(filters));
    if (filters.is_staff) query.where('u.is_staff', filters.is_staff === 'true');
    const page = await fetchHtmlPage<UserRow>(query, q.page);
    const groups = await groupNames(knex);
    render(ctx, 'users/list', { title: 'Users', page, filters, groups });
  });

  router.get('/users/add/', session, requireAdminPermission('add_user'), async (ctx) => {
    await renderAddForm(ctx, {}, {});
  });

  router.post('/users/add/', session, requireAdminPermission('add_user'), async (ctx) => {
    const form = formOf(ctx);
    const actor = adminUser(ctx);
    const values = userFormValues(form, actor.is_superuser);
    try {
      if (form.get('password') !== form.get('password2')) throw passwordMismatch('password2');
      const input = await parseInputChecked(UserCreate, { ...values, password: form.get('password') ?? '' }, (fields) =>
        userFieldErrors(knex, fields),
      );
      const user = await knex.transaction(async (trx) => {
        const created = await createUser(trx, actor, input);
        const permissions = form.getAll('permissions');
        if (permissions.length) await setUserPermissions(trx, actor, created.id, permissions);
        await recordAction(
          trx,
          actor,
          'add_user',
          { type: 'user', id: created.id, repr: created.username },
          {
            fields: Object.keys(values),
            permissions,
          },
        );
        return created;
      });
      ctx.redirect(`/admin/users/${user.id}/?notice=created`);
    } catch (error) {
      await renderAddForm(ctx, { ...values, permissions: form.getAll('permissions') }, formErrors(error), 400);
    }
  });

  router.get('/users/:id/', session, requireAdminPermission('view_user'), async (ctx) => {
    const user = await userOr404(ctx);
    await renderChangeForm(ctx, user, { ...user, permissions: await directPermissions(knex, user.id) }, {});
  });

  router.post('/users/:id/', session, requireAdminPermission('change_user'), async (ctx) => {
    const before = await userOr404(ctx);
    const form = formOf(ctx);
    const actor = adminUser(ctx);
    const values = userFormValues(form, actor.is_superuser);
    const permissions = form.getAll('permissions');
    try {
      const input = await parseInputChecked(UserPatch, values, (fields) => userFieldErrors(knex, fields, before.id));
      const beforePermissions = await directPermissions(knex, before.id);
      await knex.transaction(async (trx) => {
        const after = await updateUser(trx, actor, before.id, input);
        await setUserPermissions(trx, actor, before.id, permissions);
        const changed: string[] = AUDITED_FIELDS.filter((f) => before[f] !== after[f]);
        if (before.groups.join() !== after.groups.join()) changed.push('groups');
        if (beforePermissions.join() !== [...permissions].sort().join()) changed.push('permissions');
        await recordAction(
          trx,
          actor,
          'change_user',
          { type: 'user', id: after.id, repr: after.username },
          {
            changed,
            groups: after.groups,
            permissions: [...permissions].sort(),
          },
        );
      });
      ctx.redirect(`/admin/users/${before.id}/?notice=saved`);
    } catch (error) {
      await renderChangeForm(ctx, before, { ...before, ...values, permissions }, formErrors(error), 400);
    }
  });

  router.get('/users/:id/password/', session, requireAdminPermission('change_user'), async (ctx) => {
    render(ctx, 'users/password', { title: 'Change password', target: await userOr404(ctx), errors: {} });
  });

  router.post('/users/:id/password/', session, requireAdminPermission('change_user'), async (ctx) => {
    const target = await userOr404(ctx);
    const form = formOf(ctx);
    const actor = adminUser(ctx);
    try {
      if (form.get('password1') !== form.get('password2')) throw passwordMismatch('password2');
      const { password } = parseInput(UserPatch, { password: form.get('password1') ?? '' });
      await knex.transaction(async (trx) => {
        // Setting a password logs the user out everywhere (the use-case blacklists their tokens).
        await updateUser(trx, actor, target.id, { password });
        await recordAction(trx, actor, 'set_password', { type: 'user', id: target.id, repr: target.username });
      });
      ctx.redirect(`/admin/users/${target.id}/?notice=password`);
    } catch (error) {
      const errors = formErrors(error);
      // The use-case names the field `password`; this form calls it `password1`, as Django's does.
      if (errors.password) errors.password1 = errors.password;
      render(ctx, 'users/password', { title: 'Change password', target, errors }, 400);
    }
  });

  router.post('/users/:id/password-reset/', session, requireAdminPermission('change_user'), async (ctx) => {
    const target = await userOr404(ctx);
    const actor = adminUser(ctx);
    const sent = await knex.transaction(async (trx) => {
      const queued = await sendPasswordResetLink(deps, trx, mailerOf(deps), actor, target.id);
      if (queued) {
        await recordAction(trx, actor, 'send_password_reset', { type: 'user', id: target.id, repr: target.username });
      }
      return queued;
    });
    ctx.redirect(`/admin/users/${target.id}/?notice=${sent ? 'reset-sent' : 'reset-not-sent'}`);
  });

  router.post('/users/:id/deactivate/', session, requireAdminPermission('change_user'), async (ctx) => {
    const target = await userOr404(ctx);
    const actor = adminUser(ctx);
    await knex.transaction(async (trx) => {
      await updateUser(trx, actor, target.id, { is_active: false });
      await recordAction(trx, actor, 'deactivate_user', { type: 'user', id: target.id, repr: target.username });
    });
    ctx.redirect(`/admin/users/${target.id}/?notice=deactivated`);
  });

  router.post('/users/:id/logout-all/', session, requireAdminPermission('blacklist_token'), async (ctx) => {
    const target = await userOr404(ctx);
    const actor = adminUser(ctx);
    await knex.transaction(async (trx) => {
      const blacklisted = await logoutEverywhere(trx, actor, target.id);
      await recordAction(
        trx,
        actor,
        'logout_everywhere',
        { type: 'user', id: target.id, repr: target.username },
        { blacklisted },
      );
    });
    ctx.redirect(`/admin/users/${target.id}/?notice=logged-out`);
  });

  router.post('/users/:id/delete/', session, requireAdminPermission('delete_user'), async (ctx) => {
    const target = await userOr404(ctx);
    const actor = adminUser(ctx);
    await knex.transaction(async (trx) => {
      await deleteUser(trx, actor, target.id);
      await recordAction(trx, actor, 'delete_user', { type: 'user', id: target.id, repr: target.username });
    });
    ctx.redirect('/admin/users/?notice=deleted');
  });

  async function userOr404(ctx: Context): Promise<UserRow> {
    const user = await findUser(knex, idParam(ctx));
    if (!user) throw notFound();
    return user;
  }

  async function renderAddForm(
    ctx: Context,
    values: Record<string, unknown>,
    errors: FieldErrors,
    status = 200,
  ): Promise<void> {
    render(ctx, 'users/add', { title: 'Add user', values, errors, ...(await choices()) }, status);
  }

  async function renderChangeForm(
    ctx: Context,
    target: UserRow,
    values: Record<string, unknown>,
    errors: FieldErrors,
    status = 200,
  ): Promise<void> {
    const liveTokens = await liveTokenCount(knex, target.id);
    render(
      ctx,
      'users/change',
      { title: `Change user ${target.username}`, target, values, errors, liveTokens, ...(await choices()) },
      status,
    );
  }

  async function choices() {
    return { groups: await groupNames(knex), permissionGroups: await permissionsByModel(knex) };
  }

  return router;
}

/** The user fields of a submitted form, as the user schemas take them (checkboxes as booleans). */
function userFormValues(form: URLSearchParams, actorIsSuperuser: boolean): Record<string, unknown> {
  return {
    username: form.get('username') ?? '',
    email: form.get('email') ?? '',
    first_name: form.get('first_name') ?? '',
    last_name: form.get('last_name') ?? '',
    is_active: checked(form, 'is_active'),
    is_staff: checked(form, 'is_staff'),
    // Only a superuser may grant or take away superuser status; for others the field is not sent.
    ...(actorIsSuperuser ? { is_superuser: checked(form, 'is_superuser') } : {}),
    groups: form.getAll('groups'),
  };
}

/** The admin's names of the list's parameters, for its 400 page. */
const FILTER_LABELS: Readonly<Record<string, string>> = { search: 'Search', group: 'Group', is_active: 'Active' };

/**
 * The list's filters from the admin's form, read by the API list's reader, within its bounds: a
 * value past them is a 400 page naming the field, as a query with NUL is.
 *
 * @throws {@link ApiError} (400) naming each field past its bound and why
 */
function adminUserFilters(form: { q: string; is_active: string; group: string }): ListQuery {
  try {
    return userListQuery.parse({ search: form.q, is_active: form.is_active, group: form.group }).query;
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    // The list's filters are flat values: their errors are lists of messages.
    const reasons = Object.entries(error.errors as Record<string, string[]>).map(
      ([field, messages]) => `${FILTER_LABELS[field] ?? field}: ${messages.join(' ')}`,
    );
    throw new ApiError(400, { detail: reasons.join(' ') });
  }
}

function passwordMismatch(field: string) {
  return validationError({ [field]: [text('passwordMismatch')] });
}

function str(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function bool(value: unknown): '' | 'true' | 'false' {
  return value === 'true' || value === 'false' ? value : '';
}
