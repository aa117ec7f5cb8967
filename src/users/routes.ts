/**
 * `/api/users/*`: the current user, and user management for holders of the user permissions.
 *
 * @module
 */
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { z } from 'zod';
import { authenticate, currentUser } from '../auth/authenticate.js';
import { throttledPasswordCheck } from '../auth/password-attempts.js';
import type { Deps } from '../deps.js';
import { notFound, ValidationFailedError } from '../errors.js';
import { methodNotAllowed } from '../http/http-errors.js';
import { PAGINATION, pageOf } from '../http/pagination.js';
import { idParam, optionalIdParam, queryParameters, INTEGER_ID } from '../http/params.js';
import { responds } from '../http/responds.js';
import { declareRoute } from '../http/route-metadata.js';
import { validate, validatedBody } from '../http/validate.js';
import { requirePermission } from '../permissions/guard.js';
import { meBody, MeJson, presentUser, UserJson } from './presenter.js';
import { PasswordChange, ProfilePatch, UserCreate, UserPatch, UserReplace } from './schema.js';
import {
  changePassword,
  createUser,
  deleteUser,
  findUser,
  logoutEverywhere,
  updateProfile,
  updateUser,
  userFieldErrors,
} from './service.js';
import { userListQuery } from './filters.js';
import { UsersPages } from './pages.js';

/** `POST /api/users/{id}/logout-all/`: how many tokens the logout blacklisted. */
const LogoutAllJson = z.strictObject({ blacklisted: z.number().int().nonnegative() });

/**
 * The query parameters of `GET /api/users/`, as {@link userListQuery} declares and reads them: `search` and
 * `ordering` first, then the filters. Past a bound ({@link "resources/list-query".LIST_LIMITS}) the list
 * answers 400 under the parameter's name.
 */
const { search, ordering, ...userFilters } = userListQuery.parameters();
const USER_LIST_QUERY = queryParameters({ ...PAGINATION, search: search!, ordering: ordering!, ...userFilters });

/** The users router, mounted under `/api`. */
export function userRoutes(deps: Deps): Router {
  const router = new Router();
  const auth = authenticate(deps);
  const { knex } = deps;

  router.get(
    '/users/me/',
    auth,
    responds(
      { status: 200, description: 'The signed-in user.', schema: MeJson },
      {
        summary: 'Read the signed-in user',
        description: 'The user with its groups and the codenames of every permission it holds.',
      },
    ),
    (ctx) => {
      ctx.type = 'json';
      ctx.body = meBody(currentUser(ctx));
    },
  );

  router.patch(
    '/users/me/',
    auth,
    validate(ProfilePatch),
    responds(
      { status: 200, description: 'The signed-in user, changed.', schema: MeJson },
      {
        summary: 'Change the signed-in user',
        description: 'Changes the own profile fields (names, email); other fields are refused.',
      },
    ),
    async (ctx) => {
      const me = currentUser(ctx);
      const user = await updateProfile(knex, me.id, validatedBody(ctx, ProfilePatch));
      ctx.body = presentUser(user, { permissions: me.permissions });
    },
  );

  router.post(
    '/users/me/password/',
    auth,
    validate(PasswordChange),
    responds(
      { status: 204, description: "Changed; the user's other sessions are logged out." },
      {
        summary: 'Change the own password',
        description:
          'Checks the old password and the password validators; every other session of the user is logged out. A wrong old password counts against the per-user password throttle, with failed logins.',
        errors: [429],
      },
    ),
    async (ctx) => {
      const me = currentUser(ctx);
      const input = validatedBody(ctx, PasswordChange);
      await throttledPasswordCheck(
        ctx.throttles,
        me.username,
        () => changePassword(knex, me.id, ctx.state.sessionId ?? null, input),
        (error) => error instanceof ValidationFailedError && 'old_password' in error.errors,
      );
      ctx.status = 204;
    },
  );

  const pages = new UsersPages(deps);

  router.get(
    '/users/',
    auth,
    requirePermission('view_user'),
    USER_LIST_QUERY,
    responds(
      { status: 200, description: 'A page of users.', schema: pageOf(UserJson) },
      { summary: 'List users', description: 'Paginated, searchable, filterable by activity and group, and orderable.' },
    ),
    async (ctx) => {
      // Parsed first: a request past the bounds is refused before it can reach the cache or the database.
      const { query } = userListQuery.parse(ctx.query);
      ctx.type = 'json';
      ctx.body = await pages.page(ctx, query);
    },
  );

  // With some fields malformed, the database checks of the others still run: one 400 lists all.
  const checked = (fields: UserPatch, ctx: Context) => userFieldErrors(knex, fields, optionalIdParam(ctx));

  router.post(
    '/users/',
    auth,
    requirePermission('add_user'),
    validate(UserCreate, checked),
    responds(
      { status: 201, description: 'The user created.', schema: UserJson },
      {
        summary: 'Create a user',
        description:
          'Checks every field at once, the password validators included; the groups granted must not exceed what the actor holds.',
      },
    ),
    async (ctx) => {
      ctx.status = 201;
      ctx.body = presentUser(await createUser(knex, currentUser(ctx), validatedBody(ctx, UserCreate)));
    },
  );

  router.get(
    '/users/:id/',
    INTEGER_ID,
    auth,
    requirePermission('view_user'),
    responds(
      { status: 200, description: 'The user.', schema: UserJson },
      { summary: 'Read a user', description: 'The user with the names of its groups.' },
    ),
    async (ctx) => {
      const user = await findUser(knex, idParam(ctx));
      if (!user) throw notFound();
      ctx.body = presentUser(user);
    },
  );

  router.put(
    '/users/:id/',
    INTEGER_ID,
    auth,
    notMe,
    requirePermission('change_user'),
    validate(UserReplace, checked),
    responds(
      { status: 200, description: 'The user, changed.', schema: UserJson },
      { summary: 'Replace a user', description: 'Every writable field; `me` is not a user id here (405).' },
    ),
    async (ctx) => {
      ctx.body = presentUser(await updateUser(knex, currentUser(ctx), idParam(ctx), validatedBody(ctx, UserReplace)));
    },
  );

  router.patch(
    '/users/:id/',
    INTEGER_ID,
    auth,
    requirePermission('change_user'),
    validate(UserPatch, checked),
    responds(
      { status: 200, description: 'The user, changed.', schema: UserJson },
      { summary: 'Change a user', description: 'The fields sent; a password sent is validated and hashed.' },
    ),
    async (ctx) => {
      ctx.body = presentUser(await updateUser(knex, currentUser(ctx), idParam(ctx), validatedBody(ctx, UserPatch)));
    },
  );

  router.delete(
    '/users/:id/',
    INTEGER_ID,
    auth,
    notMe,
    requirePermission('delete_user'),
    responds(
      { status: 204, description: 'Deleted.' },
      { summary: 'Delete a user', description: 'Not oneself; `me` is not a user id here (405).' },
    ),
    async (ctx) => {
      await deleteUser(knex, currentUser(ctx), idParam(ctx));
      ctx.status = 204;
    },
  );

  router.post(
    '/users/:id/logout-all/',
    INTEGER_ID,
    auth,
    requirePermission('blacklist_token'),
    responds(
      { status: 200, description: 'How many tokens were blacklisted.', schema: LogoutAllJson },
      { summary: 'Log a user out everywhere', description: 'Blacklists every outstanding refresh token of the user.' },
    ),
    async (ctx) => {
      ctx.body = { blacklisted: await logoutEverywhere(knex, currentUser(ctx), idParam(ctx)) };
    },
  );

  return router;
}

/**
 * DRF routes `users/me/` ahead of `users/{pk}/`, so PUT or DELETE on it is 405 (once authenticated:
 * DRF checks permissions before it looks for the method), not a lookup of a user called "me".
 */
const notMe: Middleware = declareRoute(
  (ctx: Context, next: Next) => {
    if (ctx.params.id !== 'me') return next();
    ctx.set('Allow', 'GET, PATCH, HEAD, OPTIONS');
    throw methodNotAllowed(ctx.method);
  },
  { errors: [405] },
);
