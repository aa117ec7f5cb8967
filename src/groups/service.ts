/**
 * The group use-cases, and name/codename resolution shared with users and the roles seed.
 *
 * @module
 */
import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/errors.js';
import { Group, Permission } from '../db/models.js';
import { notFound, validationError, type FieldErrors } from '../errors.js';
import { loneSurrogate, MESSAGES } from '../messages.js';
import { authorize, type Actor } from '../permissions/policy.js';
import type { GroupRow } from './presenter.js';
import type { GroupPatch, GroupWrite } from './schema.js';
import { text } from '../i18n/messages.js';

const DUPLICATE_NAME = text('groupNameTaken');

/**
 * Groups (`g`) with their sorted permission codenames, by id, in one statement: the `permissions`
 * relation (and with `members`, the count of the `users` relation) as a correlated subquery. A knex
 * builder, which the shared paginators count and slice.
 *
 * @param options.members - also select `members`, the number of users in the group
 */
export function groupsQuery(db: Knex | Knex.Transaction, options: { members?: boolean } = {}): Knex.QueryBuilder {
  const query = Group.query(db)
    .alias('g')
    .select(
      'g.id',
      'g.name',
      Group.relatedQuery('permissions')
        .select(db.raw(`coalesce(array_agg(codename ORDER BY codename), '{}')`))
        .as('permissions'),
    )
    .orderBy('g.id');
  if (options.members) query.select(Group.relatedQuery('users').count().as('members'));
  return query.toKnexQuery();
}

/** Finds one group by id with its sorted permission codenames, or `undefined`. */
export async function findGroup(db: Knex | Knex.Transaction, id: number): Promise<GroupRow | undefined> {
  const group = await Group.query(db)
    .findById(id)
    .withGraphFetched('permissions')
    .modifyGraph('permissions', (permissions) =>
      permissions.select('auth_permission.codename').orderBy('auth_permission.codename'),
    );
  return group && { id: group.id, name: group.name, permissions: group.permissions!.map((p) => p.codename) };
}

/**
 * Every group's name, sorted (the admin's choices and filters).
 *
 * @param db - the knex instance or a transaction
 * @returns the names
 * @example
 * const names = await groupNames(knex); // ['managers', 'viewers']
 */
export async function groupNames(db: Knex | Knex.Transaction): Promise<string[]> {
  return (await Group.query(db).select('name').orderBy('name')).map((g) => g.name);
}

/**
 * Resolves group names to ids, as DRF's `SlugRelatedField(slug_field='name', many=True)`.
 *
 * @returns the ids in the given order, or DRF's message for the first unknown name
 */
export async function resolveGroups(
  db: Knex | Knex.Transaction,
  names: readonly string[],
): Promise<{ ids: number[] } | { error: string }> {
  return resolveSlugs(db, Group, 'name', names);
}

/**
 * Resolves permission codenames to ids.
 *
 * @returns the ids, or DRF's message for the first unknown codename
 */
export async function resolvePermissions(
  db: Knex | Knex.Transaction,
  codenames: readonly string[],
): Promise<{ ids: number[] } | { error: string }> {
  return resolveSlugs(db, Permission, 'codename', codenames);
}

async function resolveSlugs(
  db: Knex | Knex.Transaction,
  model: typeof Group | typeof Permission,
  column: 'name' | 'codename',
  values: readonly string[],
) {
  // PostgreSQL cannot compare text with NUL; DRF's field reports the lookup's ValueError so.
  if (values.some((v) => v.includes('\0'))) return { error: MESSAGES.invalidValue };
  const unique = [...new Set(values)];
  // A lone surrogate (a JSON escape such as "\udfff") names nothing: no text in the database can
  // hold it, and the driver cannot send it. It is reported as missing, unlooked-up.
  const storable = unique.filter((v) => loneSurrogate(v) === null);
  const rows: Array<{ id: number; slug: string }> = storable.length
    ? await model
        .query(db)
        .whereIn(column, storable)
        .select('id', `${column} as slug`)
        .castTo<Array<{ id: number; slug: string }>>()
    : [];
  const bySlug = new Map(rows.map((r) => [r.slug, r.id]));
  const missing = unique.find((v) => !bySlug.has(v));
  if (missing !== undefined) return { error: MESSAGES.doesNotExist(column, missing) };
  return { ids: unique.map((v) => bySlug.get(v)!) };
}

/**
 * The permission codenames the groups grant, sorted, each once.
 */
export async function groupPermissions(db: Knex | Knex.Transaction, groupIds: readonly number[]): Promise<string[]> {
  if (groupIds.length === 0) return [];
  const permissions = await Group.relatedQuery('permissions', db)
    .for([...groupIds])
    .distinct('auth_permission.codename')
    .orderBy('auth_permission.codename');
  return permissions.map((p) => p.codename);
}

/**
 * Creates a group with its permissions.
 *
 * @throws {@link ValidationFailedError} (400) for a duplicate name or an unknown codename; then 403 when the
 *   actor gives the group a permission it does not hold itself ({@link authorize})
 */
export async function createGroup(knex: Knex, actor: Actor, input: GroupWrite): Promise<GroupRow> {
  return knex.transaction(async (trx) => {
    const permissionIds = await checkGroupInput(trx, null, input);
    authorize(actor, 'change_group', { grants: new Set(input.permissions ?? []) });
    const row = await Group.query(trx).insert({ name: input.name }).returning('id').catch(rethrowDuplicateName);
    await setPermissions(trx, row.id, permissionIds);
    return (await findGroup(trx, row.id))!;
  });
}

/**
 * Updates a group (PUT or PATCH); `permissions`, when given, replaces the whole set.
 *
 * @throws {@link NotFoundError} (404) for an unknown group; 400 for a duplicate name or unknown codename;
 *   then 403 when the actor adds a permission it does not hold itself ({@link authorize})
 */
export async function updateGroup(knex: Knex, actor: Actor, id: number, input: GroupPatch): Promise<GroupRow> {
  return knex.transaction(async (trx) => {
    const group = await Group.query(trx).findById(id).forUpdate();
    if (!group) throw notFound();
    const permissionIds = await checkGroupInput(trx, id, input);
    const held = new Set(await groupPermissions(trx, [id]));
    authorize(actor, 'change_group', { grants: new Set((input.permissions ?? []).filter((c) => !held.has(c))) });
    if (input.name !== undefined)
      await Group.query(trx).findById(id).patch({ name: input.name }).catch(rethrowDuplicateName);
    await setPermissions(trx, id, permissionIds);
    return (await findGroup(trx, id))!;
  });
}

/**
 * Deletes a group; its members lose the permissions it granted.
 *
 * @throws {@link NotFoundError} (404) for an unknown group
 */
export async function deleteGroup(knex: Knex, id: number): Promise<void> {
  // Counted through RETURNING: the row count of a DELETE differs between the pg and PGlite drivers.
  const deleted = await Group.query(knex).where({ id }).delete().returning('id');
  if (deleted.length === 0) throw notFound();
}

/**
 * Replaces a group's permissions.
 *
 * @param permissionIds - the new set; `undefined` leaves it as it is
 */
export async function setPermissions(
  trx: Knex.Transaction,
  groupId: number,
  permissionIds: number[] | undefined,
): Promise<void> {
  if (permissionIds === undefined) return;
  await Group.relatedQuery('permissions', trx).for(groupId).unrelate();
  if (permissionIds.length) await Group.relatedQuery('permissions', trx).for(groupId).relate(permissionIds);
}

/**
 * The errors the database finds in group fields — a name another group has, permissions that do
 * not exist — for a `POST`, or for a change of group `id`. Routes ask it when other fields are
 * malformed, so that one 400 lists everything; the use-cases run the same checks in their
 * transactions.
 *
 * @throws {@link NotFoundError} (404) for an unknown `id` (DRF looks the group up before validating)
 */
export async function groupFieldErrors(knex: Knex, fields: GroupPatch, id?: number): Promise<FieldErrors> {
  if (id !== undefined && !(await Group.query(knex).findById(id).select('id'))) throw notFound();
  return (await checkGroupFields(knex, id ?? null, fields)).errors;
}

async function checkGroupInput(
  trx: Knex.Transaction,
  id: number | null,
  input: GroupPatch,
): Promise<number[] | undefined> {
  const { errors, permissionIds } = await checkGroupFields(trx, id, input);
  if (Object.keys(errors).length) throw validationError(errors);
  return permissionIds;
}

/** {@link groupFieldErrors}'s checks, also returning the ids of the permissions named. */
async function checkGroupFields(db: Knex | Knex.Transaction, id: number | null, fields: GroupPatch) {
  const errors: FieldErrors = {};
  if (fields.name !== undefined) {
    const other = await Group.query(db).where({ name: fields.name }).select('id').first();
    if (other && other.id !== id) errors.name = [DUPLICATE_NAME];
  }
  let permissionIds: number[] | undefined;
  if (fields.permissions !== undefined) {
    const resolved = await resolvePermissions(db, fields.permissions);
    if ('error' in resolved) errors.permissions = [resolved.error];
    else permissionIds = resolved.ids;
  }
  return { errors, permissionIds };
}

function rethrowDuplicateName(error: unknown): never {
  if (isUniqueViolation(error)) throw validationError({ name: [DUPLICATE_NAME] });
  throw error;
}
