/**
 * The group use-cases, and name/codename resolution shared with users and the roles seed.
 *
 * @module
 */
import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/errors.js';
import { notFound, validationError, type FieldErrors } from '../errors.js';
import { MESSAGES } from '../http/fields.js';
import { authorize, type Actor } from '../permissions/policy.js';
import type { GroupRow } from './presenter.js';
import type { GroupPatch, GroupWrite } from './schema.js';

const DUPLICATE_NAME = 'group with this name already exists.';

/** Groups with their sorted permission codenames. */
export function groupsQuery(db: Knex | Knex.Transaction): Knex.QueryBuilder {
  return db('auth_group as g')
    .select(
      'g.id',
      'g.name',
      db.raw(
        'ARRAY(SELECT p.codename FROM auth_permission p JOIN auth_group_permissions gp ON gp.permission_id = p.id WHERE gp.group_id = g.id ORDER BY p.codename) AS permissions',
      ),
    )
    .orderBy('g.id');
}

/** Finds one group by id, or `undefined`. */
export async function findGroup(db: Knex | Knex.Transaction, id: number): Promise<GroupRow | undefined> {
  return (await groupsQuery(db).where('g.id', id).first()) as GroupRow | undefined;
}

/**
 * Resolves group names to ids, as DRF's `SlugRelatedField(slug_field='name', many=True)`.
 *
 * @returns the ids in the given order, or DRF's message for the first unknown name
 */
export async function resolveGroups(db: Knex | Knex.Transaction, names: readonly string[]): Promise<{ ids: number[] } | { error: string }> {
  return resolveSlugs(db, 'auth_group', 'name', names);
}

/**
 * Resolves permission codenames to ids.
 *
 * @returns the ids, or DRF's message for the first unknown codename
 */
export async function resolvePermissions(db: Knex | Knex.Transaction, codenames: readonly string[]): Promise<{ ids: number[] } | { error: string }> {
  return resolveSlugs(db, 'auth_permission', 'codename', codenames);
}

async function resolveSlugs(db: Knex | Knex.Transaction, table: string, column: string, values: readonly string[]) {
  // PostgreSQL cannot compare text with NUL; DRF's field reports the lookup's ValueError so.
  if (values.some((v) => v.includes('\0'))) return { error: MESSAGES.invalidValue };
  const unique = [...new Set(values)];
  const rows: Array<{ id: number; slug: string }> = unique.length
    ? await db(table).whereIn(column, unique).select('id', `${column} as slug`)
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
  return db('auth_permission as p')
    .whereIn('p.id', db('auth_group_permissions').whereIn('group_id', groupIds).select('permission_id'))
    .orderBy('p.codename')
    .pluck('p.codename');
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
    const [row] = await trx('auth_group').insert({ name: input.name }).returning('id').catch(rethrowDuplicateName);
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
    const group = await trx('auth_group').where({ id }).forUpdate().first();
    if (!group) throw notFound();
    const permissionIds = await checkGroupInput(trx, id, input);
    const held = new Set(await groupPermissions(trx, [id]));
    authorize(actor, 'change_group', { grants: new Set((input.permissions ?? []).filter((c) => !held.has(c))) });
    if (input.name !== undefined) await trx('auth_group').where({ id }).update({ name: input.name }).catch(rethrowDuplicateName);
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
  const deleted = await knex('auth_group').where({ id }).delete().returning('id');
  if (deleted.length === 0) throw notFound();
}

/**
 * Replaces a group's permissions.
 *
 * @param permissionIds - the new set; `undefined` leaves it as it is
 */
export async function setPermissions(trx: Knex.Transaction, groupId: number, permissionIds: number[] | undefined): Promise<void> {
  if (permissionIds === undefined) return;
  await trx('auth_group_permissions').where({ group_id: groupId }).delete();
  if (permissionIds.length) {
    await trx('auth_group_permissions').insert(permissionIds.map((permission_id) => ({ group_id: groupId, permission_id })));
  }
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
  if (id !== undefined && !(await knex('auth_group').where({ id }).first('id'))) throw notFound();
  return (await checkGroupFields(knex, id ?? null, fields)).errors;
}

async function checkGroupInput(trx: Knex.Transaction, id: number | null, input: GroupPatch): Promise<number[] | undefined> {
  const { errors, permissionIds } = await checkGroupFields(trx, id, input);
  if (Object.keys(errors).length) throw validationError(errors);
  return permissionIds;
}

/** {@link groupFieldErrors}'s checks, also returning the ids of the permissions named. */
async function checkGroupFields(db: Knex | Knex.Transaction, id: number | null, fields: GroupPatch) {
  const errors: FieldErrors = {};
  if (fields.name !== undefined) {
    const other = await db('auth_group').where({ name: fields.name }).first('id');
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
