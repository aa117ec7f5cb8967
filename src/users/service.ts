/**
 * The user use-cases: list, find, create, update, delete, change a password, log out everywhere.
 * Each multi-step change runs in one transaction; routes, CLI commands and the admin call these.
 *
 * @module
 */
import type { Knex } from 'knex';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { validatePassword, type PasswordUserAttributes } from '../auth/password-validation.js';
import { loadPrincipal } from '../auth/principal.js';
import { blacklistUserTokens } from '../auth/service.js';
import { isUniqueViolation } from '../db/classify-error.js';
import { User } from '../db/models.js';
import { groupPermissions, resolveGroups, resolvePermissions } from '../groups/service.js';
import { notFound, serviceUnavailable, validationError, fieldError, type FieldErrors } from '../errors.js';
import { authorize, NO_CHANGE, type Actor, type UserChange, type UserSubject } from '../permissions/policy.js';
import type { ListQuery } from '../resources/list-query.js';
import { userListQuery } from './filters.js';
import type { UserRow } from './presenter.js';
import type { PasswordChange, ProfilePatch, UserCreate, UserPatch } from './schema.js';
import { text } from '../i18n/translate.js';

export { SYSTEM_ACTOR, type Actor } from '../permissions/policy.js';

const DUPLICATE_USERNAME = text('usernameTaken');
const WRONG_OLD_PASSWORD = text('wrongOldPassword');

/** Django's `max_length` of `AbstractUser.username`: the longest username there can be. */
export const USERNAME_MAX_LENGTH = 150;

/**
 * A username in the one form it is stored and looked up in: NFKC, as Django's
 * `AbstractBaseUser.normalize_username` makes it, so that look-alike spellings (fullwidth
 * `ａｄｍｉｎ`, the Kelvin sign `K` (U+212A) for `K`) are one name.
 *
 * @param username - as typed
 * @returns its NFKC form
 * @example
 * normalizeUsername('ａｄｍｉｎ'); // 'admin'
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC');
}

/**
 * A username folded as uniqueness compares it: NFKC, then lower case (Django's `username__iexact`
 * after `normalize_username`). The migration `auth_user_username_folded` indexes this expression.
 */
const FOLDED_USERNAME = 'lower(normalize(username, NFKC))';

/** The first key of the advisory locks that serialise taking a username; the second is the folded name's hash. */
const USERNAME_LOCK = 0x75736572;

/** The public columns of a user (everything but the password hash), as `auth_user` names them. */
export const PUBLIC_COLUMNS = [
  'id',
  'username',
  'email',
  'first_name',
  'last_name',
  'is_active',
  'is_staff',
  'is_superuser',
  'date_joined',
  'last_login',
];

/**
 * Public columns of users (`u`) with their sorted group names, the shape {@link UserRow} describes,
 * in one statement: the `groups` relation as a correlated subquery. A page of the users list is
 * benchmarked: this form was measured against `withGraphFetched` (a second statement per page) and
 * the hand-written `ARRAY(...)` it replaces (docs/md/architecture.md, "Data access").
 */
function selectUsers(db: Knex | Knex.Transaction) {
  return User.query(db)
    .alias('u')
    .select(
      PUBLIC_COLUMNS.map((c) => `u.${c}`),
      User.relatedQuery('groups').select(db.raw(`coalesce(array_agg(name ORDER BY name), '{}')`)).as('groups'),
    );
}

/**
 * Finds one user by id.
 *
 * @returns the user, or `undefined` when there is none
 */
export async function findUser(db: Knex | Knex.Transaction, id: number): Promise<UserRow | undefined> {
  // The list's statement for one row: one round trip, where a graph fetch made two.
  return selectUsers(db).toKnexQuery<UserRow>().where('u.id', id).first();
}

/**
 * Builds the filtered, ordered query of `GET /api/users/` (DRF's `SearchFilter`, `OrderingFilter`
 * and django-filter semantics); pagination runs it.
 *
 * @param listQuery - parsed and bounded by {@link "users/filters".userListQuery}: a few terms
 *   ({@link "resources/list-query".LIST_LIMITS}), four `ILIKE` conditions each
 */
export function usersQuery(db: Knex, listQuery: ListQuery): Knex.QueryBuilder {
  // A knex builder: the shared paginators count and slice it.
  return userListQuery.apply(selectUsers(db).toKnexQuery(), listQuery, 'u');
}

/**
 * Creates a user with a hashed password and its groups.
 *
 * The password is hashed before the transaction, so that no database connection waits on the
 * hash; the fields and the grant are checked before hashing (a refused request costs no hash) and
 * again in the transaction.
 *
 * @throws {@link ValidationFailedError} (400) with every field error at once (duplicate username, unknown group,
 *   weak password); then 403 when the actor may not grant what the user would get (the groups'
 *   permissions, staff or superuser status: {@link authorize})
 */
export async function createUser(knex: Knex, actor: Actor, given: UserCreate): Promise<UserRow> {
  const input = { ...given, username: normalizeUsername(given.username) };
  await authorizeCreate(knex, actor, input);
  const password = await hashPassword(input.password);
  return knex.transaction(async (trx) => {
    await lockUsername(trx, input.username);
    const groupIds = await authorizeCreate(trx, actor, input);
    const row = await User.query(trx)
      .insert({
        username: input.username,
        password,
        email: input.email ?? '',
        first_name: input.first_name ?? '',
        last_name: input.last_name ?? '',
        is_active: input.is_active ?? true,
        is_staff: input.is_staff ?? false,
        is_superuser: input.is_superuser ?? false,
      })
      .returning('id')
      .catch(rethrowDuplicateUsername);
    await setGroups(trx, row.id, groupIds);
    return (await findUser(trx, row.id))!;
  });
}

/**
 * Updates a user (PUT or PATCH: only the fields given change). Setting a password logs the user
 * out everywhere; the new password is checked and hashed before the transaction (no connection
 * waits on the hash), and everything is checked again on the locked row.
 *
 * @throws {@link NotFoundError} (404) for an unknown user; 400 with every field error at once; then 403
 *   when {@link authorize} refuses (a user with rights the actor lacks, a grant it may not give,
 *   its own privileges)
 */
export async function updateUser(knex: Knex, actor: Actor, id: number, given: UserPatch): Promise<UserRow> {
  const input = given.username === undefined ? given : { ...given, username: normalizeUsername(given.username) };
  let passwordHash: string | undefined;
  if (input.password !== undefined) {
    await authorizeUpdate(knex, actor, id, input, await User.query(knex).findById(id));
    passwordHash = await hashPassword(input.password);
  }
  return knex.transaction(async (trx) => {
    // The name first, then the row: every transaction that takes both takes them in this order.
    if (input.username !== undefined) await lockUsername(trx, input.username);
    const groupIds = await authorizeUpdate(trx, actor, id, input, await User.query(trx).findById(id).forUpdate());
    const { groups: _groups, password: _password, ...columns } = input;
    const changes: Record<string, unknown> = { ...columns };
    if (passwordHash !== undefined) changes.password = passwordHash;
    if (Object.keys(changes).length) await User.query(trx).findById(id).patch(changes).catch(rethrowDuplicateUsername);
    if (groupIds) await setGroups(trx, id, groupIds);
    if (passwordHash !== undefined) await blacklistUserTokens(trx, id);
    return (await findUser(trx, id))!;
  });
}

/**
 * The checks of a create, in DRF's order: the fields (one 400 with every error), then the policy
 * (403).
 *
 * @returns the ids of the groups the input names
 */
async function authorizeCreate(
  db: Knex | Knex.Transaction,
  actor: Actor,
  input: UserCreate,
): Promise<number[] | undefined> {
  const { errors, groupIds } = await checkUserFields(db, input);
  if (Object.keys(errors).length) throw validationError(errors);
  authorize(actor, 'add_user', {
    change: await userChange(db, { id: null, is_staff: false, is_superuser: false }, input, groupIds),
  });
  return groupIds;
}

/**
 * The checks of an update of user `id` (read as `target`): 404, the fields (400), the policy (403).
 *
 * @returns the ids of the groups the input names
 */
async function authorizeUpdate(
  db: Knex | Knex.Transaction,
  actor: Actor,
  id: number,
  input: UserPatch,
  target: User | undefined,
): Promise<number[] | undefined> {
  if (!target) throw notFound();
  const { errors, groupIds } = await checkUserFields(db, input, target);
  if (Object.keys(errors).length) throw validationError(errors);
  authorize(actor, 'change_user', {
    target: await userSubject(db, id),
    change: await userChange(db, target, input, groupIds),
  });
  return groupIds;
}

/**
 * Deletes a user; its outstanding tokens stay (with no user), so they can no longer authenticate.
 *
 * @throws {@link NotFoundError} (404) for an unknown user; 403 when the actor may not act on it
 *   ({@link authorize}: a superuser, or a user with rights the actor lacks)
 */
export async function deleteUser(knex: Knex, actor: Actor, id: number): Promise<void> {
  await knex.transaction(async (trx) => {
    const target = await User.query(trx).findById(id).forUpdate().select('id');
    if (!target) throw notFound();
    authorize(actor, 'delete_user', { target: await userSubject(trx, id) });
    await User.query(trx).deleteById(id);
  });
}

/** Updates the fields users may change of themselves (`PATCH /api/users/me/`). */
export async function updateProfile(knex: Knex, userId: number, input: ProfilePatch): Promise<UserRow> {
  if (Object.keys(input).length) await User.query(knex).findById(userId).patch(input);
  const user = await findUser(knex, userId);
  if (!user) throw notFound();
  return user;
}

/** How often a password change starts over when the stored hash changed under it. */
const PASSWORD_CHANGE_ATTEMPTS = 3;

/**
 * Changes a user's own password after checking the old one, then blacklists the user's other
 * sessions (the current one stays logged in).
 *
 * The old password is verified and the new one hashed before the transaction, so that no
 * connection (and no row lock) waits on that work. The transaction then checks that the stored
 * hash is still the one verified: if it changed meanwhile (another password change, a re-hash at
 * login), the change starts over against the new hash — nothing is overwritten unchecked.
 *
 * @param sessionId - the session making the change, spared from the logout
 * @throws {@link ValidationFailedError} (400) under `old_password` for a wrong old password, under `new_password`
 *   for a weak new one; 503 when the hash kept changing over every attempt
 */
export async function changePassword(
  knex: Knex,
  userId: number,
  sessionId: string | null,
  input: PasswordChange,
): Promise<void> {
  for (let attempt = 0; attempt < PASSWORD_CHANGE_ATTEMPTS; attempt++) {
    const user = await User.query(knex).findById(userId);
    if (!user) throw notFound();
    if (!(await verifyPassword(input.old_password, user.password)).valid)
      throw fieldError('old_password', WRONG_OLD_PASSWORD);
    const weak = validatePassword(input.new_password, user);
    if (weak.length) throw validationError({ new_password: weak });
    const password = await hashPassword(input.new_password);
    const changed = await knex.transaction(async (trx) => {
      const locked = await User.query(trx).findById(userId).forUpdate().select('password');
      if (!locked) throw notFound();
      if (locked.password !== user.password) return false;
      await User.query(trx).findById(userId).patch({ password });
      await blacklistUserTokens(trx, userId, sessionId ? { exceptSessionId: sessionId } : {});
      return true;
    });
    if (changed) return;
  }
  throw serviceUnavailable();
}

/**
 * Blacklists every outstanding token of a user (`logout-all`).
 *
 * @returns how many tokens were blacklisted
 * @throws {@link NotFoundError} (404) for an unknown user; 403 when the actor may not act on it
 */
export async function logoutEverywhere(knex: Knex, actor: Actor, id: number): Promise<number> {
  return knex.transaction(async (trx) => {
    const target = await userSubject(trx, id);
    authorize(actor, 'logout_user', { target });
    return blacklistUserTokens(trx, id);
  });
}

/**
 * A user as the policy sees it: its flags and effective permissions.
 *
 * @throws {@link NotFoundError} (404) for an unknown user
 */
export async function userSubject(db: Knex | Knex.Transaction, id: number): Promise<UserSubject> {
  const found = await loadPrincipal(db as Knex, id, null);
  if (!found) throw notFound();
  return { id, is_superuser: found.user.is_superuser, permissions: found.user.permissions };
}

/**
 * The permission codenames granted to a user directly (not through groups), sorted.
 */
export async function directPermissions(db: Knex | Knex.Transaction, userId: number): Promise<string[]> {
  const permissions = await User.relatedQuery('user_permissions', db)
    .for(userId)
    .select('auth_permission.codename')
    .orderBy('auth_permission.codename');
  return permissions.map((p) => p.codename);
}

/**
 * Replaces the permissions granted to a user directly (Django's `user_permissions`).
 *
 * @throws {@link NotFoundError} (404) for an unknown user; 400 under `permissions` for an unknown codename;
 *   403 when {@link authorize} refuses (a user with rights the actor lacks, a permission it does not
 *   hold, its own permissions)
 */
export async function setUserPermissions(
  knex: Knex,
  actor: Actor,
  id: number,
  codenames: readonly string[],
): Promise<void> {
  await knex.transaction(async (trx) => {
    const target = await User.query(trx).findById(id).forUpdate().select('id');
    if (!target) throw notFound();
    const before = new Set(await directPermissions(trx, id));
    const after = new Set(codenames);
    const grants = new Set([...after].filter((c) => !before.has(c)));
    const altersPrivileges = grants.size > 0 || [...before].some((c) => !after.has(c));
    const resolved = await resolvePermissions(trx, codenames);
    if ('error' in resolved) throw validationError({ permissions: [resolved.error] });
    authorize(actor, 'change_user', {
      target: await userSubject(trx, id),
      change: { ...NO_CHANGE, grants, altersPrivileges },
    });
    await target.$relatedQuery('user_permissions', trx).unrelate();
    if (resolved.ids.length) await target.$relatedQuery('user_permissions', trx).relate(resolved.ids);
  });
}

/**
 * The errors the database finds in user fields — a username another user has, groups that do
 * not exist, a password too weak (or too like the user's other attributes) — for a `POST`, or for
 * a change of user `id`. Routes ask it when other fields are malformed, so that one 400 lists
 * everything; the use-cases run the same checks in their transactions.
 *
 * @throws {@link NotFoundError} (404) for an unknown `id` (DRF looks the user up before validating)
 */
export async function userFieldErrors(knex: Knex, fields: UserPatch, id?: number): Promise<FieldErrors> {
  const target = id === undefined ? undefined : await User.query(knex).findById(id);
  if (id !== undefined && !target) throw notFound();
  return (await checkUserFields(knex, fields, target)).errors;
}

/** {@link userFieldErrors}'s checks, also returning the ids of the groups named. */
async function checkUserFields(
  db: Knex | Knex.Transaction,
  fields: UserPatch,
  target?: { id: number; username: string } & PasswordUserAttributes,
) {
  const errors: FieldErrors = {};
  const username = fields.username === undefined ? undefined : normalizeUsername(fields.username);
  // A name kept as it is stays, even when it looks like another's (a pair `migrate` reports).
  if (username !== undefined && username !== target?.username && (await usernameTaken(db, username, target?.id)))
    errors.username = [DUPLICATE_USERNAME];
  let groupIds: number[] | undefined;
  if (fields.groups !== undefined) {
    const resolved = await resolveGroups(db, fields.groups);
    if ('error' in resolved) errors.groups = [resolved.error];
    else groupIds = resolved.ids;
  }
  if (fields.password !== undefined) {
    const weak = validatePassword(fields.password, { ...target, ...fields } as PasswordUserAttributes);
    if (weak.length) errors.password = weak;
  }
  return { errors, groupIds };
}

/**
 * What a create or update gives the user: the permissions of the groups it joins, staff and
 * superuser status, and whether its privileges change at all.
 *
 * @param target - the user before the change (`id: null` for one being created)
 * @param groupIds - the groups the input names, resolved (`undefined`: not given, or unresolvable)
 */
async function userChange(
  db: Knex | Knex.Transaction,
  target: { id: number | null; is_staff: boolean; is_superuser: boolean },
  input: UserPatch,
  groupIds: number[] | undefined,
): Promise<UserChange> {
  const before = new Set<number>(
    target.id === null
      ? []
      : (await User.relatedQuery('groups', db).for(target.id).select('auth_group.id')).map((g) => g.id),
  );
  const joined = (groupIds ?? []).filter((g) => !before.has(g));
  const groupsChanged = groupIds !== undefined && (joined.length > 0 || before.size !== new Set(groupIds).size);
  const staffChanged = input.is_staff !== undefined && input.is_staff !== target.is_staff;
  const superuserChanged = input.is_superuser !== undefined && input.is_superuser !== target.is_superuser;
  return {
    grants: new Set(await groupPermissions(db, joined)),
    makesStaff: input.is_staff === true && !target.is_staff,
    makesSuperuser: input.is_superuser === true && !target.is_superuser,
    altersPrivileges: groupsChanged || staffChanged || superuserChanged,
  };
}

/**
 * Whether a user other than `exceptId` has a username that folds like `username` — the same name
 * once NFKC-normalised and lower-cased, as Django's `UserCreationForm` refuses an `iexact` match.
 */
async function usernameTaken(db: Knex | Knex.Transaction, username: string, exceptId?: number): Promise<boolean> {
  const query = User.query(db).whereRaw(`${FOLDED_USERNAME} = lower(normalize(?, NFKC))`, [username]).select('id');
  if (exceptId !== undefined) query.whereNot('id', exceptId);
  return (await query.first()) !== undefined;
}

/**
 * Holds, until the transaction ends, the right to take a username in every spelling that folds
 * like `username`: of two creates or renames to `Admin` and `admin` at once, the second checks
 * after the first has written, and is refused. A unique index on the folded name would do the
 * same, but could not be built on a database that already holds look-alikes (`migrate` reports them).
 */
async function lockUsername(trx: Knex.Transaction, username: string): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(?::int, hashtext(lower(normalize(?, NFKC))))', [USERNAME_LOCK, username]);
}

/** What `migrate` reports of the usernames already stored. */
export interface UsernameReport {
  /** Usernames that are one name once NFKC-normalised and lower-cased: groups of two or more, each in id order. */
  readonly lookAlikes: string[][];
  /** Usernames not in NFKC form, in id order: logins look names up in that form, so these cannot log in until renamed. */
  readonly unnormalized: string[];
}

/**
 * Finds the stored usernames that the rules of new names would refuse: look-alikes (fullwidth,
 * Kelvin-sign or case variants of one name) and names not in NFKC form — written before the rules,
 * or imported. It changes nothing: which account keeps a name is for an administrator to decide.
 *
 * @returns the look-alike groups and the unnormalised names (both empty on a clean database)
 * @example
 * await usernameReport(knex); // { lookAlikes: [['admin', 'Admin']], unnormalized: [] }
 */
export async function usernameReport(db: Knex | Knex.Transaction): Promise<UsernameReport> {
  const groups: Array<{ usernames: string[] }> = await db(User.tableName)
    .select(db.raw('array_agg(username ORDER BY id) AS usernames'))
    .groupByRaw(FOLDED_USERNAME)
    .havingRaw('count(*) > 1')
    .orderByRaw('min(id)');
  const unnormalized: string[] = await db(User.tableName)
    .whereRaw('username <> normalize(username, NFKC)')
    .orderBy('id')
    .pluck('username');
  return { lookAlikes: groups.map((g) => g.usernames), unnormalized };
}

async function setGroups(trx: Knex.Transaction, userId: number, groupIds: number[] | undefined): Promise<void> {
  if (groupIds === undefined) return;
  await User.relatedQuery('groups', trx).for(userId).unrelate();
  if (groupIds.length) await User.relatedQuery('groups', trx).for(userId).relate(groupIds);
}

function rethrowDuplicateUsername(error: unknown): never {
  // Two requests creating the same username at once: the second loses at the unique index.
  if (isUniqueViolation(error)) throw validationError({ username: [DUPLICATE_USERNAME] });
  throw error;
}
