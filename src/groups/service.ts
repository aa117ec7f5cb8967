/**
 * The group use-cases, and name/codename resolution shared with users and the roles seed. The
 * groups are a declared resource (`resource.ts`); these use-cases are its writes without an audit
 * entry, for callers that record their own (the admin's group pages) or none (seeds, tests), so
 * that the API and the admin check and write a group alike.
 *
 * @module
 */
import type { Knex } from 'knex';
import { Group } from '../db/models.js';
import { notFound, type FieldErrors } from '../errors.js';
import type { Actor } from '../permissions/policy.js';
import { resolveSlugs, replaceRelated } from '../resources/relations.js';
import {
  changeRow,
  checkFields,
  createRow,
  findRow,
  present,
  removeRow,
  rowsQuery,
  type Representation,
} from '../resources/store.js';
import type { GroupRow } from './presenter.js';
import { groups } from './resource.js';
import type { GroupPatch, GroupWrite } from './schema.js';
import type { Message } from '../i18n/translate.js';

/** A representation of the groups resource, typed as its declaration makes it. */
const asGroup = (json: Representation): GroupRow => json as unknown as GroupRow;

/**
 * Groups (`g`) with their sorted permission codenames, by id, in one statement: the resource's
 * rows (the `permissions` relation a correlated subquery), and with `members`, the number of users
 * in the group. A knex builder, which the shared paginators count and slice.
 *
 * @param options.members - also select `members`, the number of users in the group
 */
export function groupsQuery(db: Knex | Knex.Transaction, options: { members?: boolean } = {}): Knex.QueryBuilder {
  const query = db
    .from(rowsQuery(db, groups, true).as('g'))
    .select('g.*')
    .orderBy('g.id');
  if (options.members) query.select(db('auth_user_groups').count('*').where('group_id', db.ref('g.id')).as('members'));
  return query;
}

/** Finds one group by id with its sorted permission codenames, or `undefined`. */
export async function findGroup(db: Knex | Knex.Transaction, id: number): Promise<GroupRow | undefined> {
  const row = await findRow(db, groups, true, id);
  return row && asGroup(present(groups, row));
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
): Promise<{ ids: number[] } | { error: Message }> {
  return resolveSlugs(db, { table: groups.table, slug: 'name' }, names);
}

/**
 * Resolves permission codenames to ids, as the groups' `permissions` field does.
 *
 * @returns the ids, or DRF's message for the first unknown codename
 */
export async function resolvePermissions(
  db: Knex | Knex.Transaction,
  codenames: readonly string[],
): Promise<{ ids: number[] } | { error: Message }> {
  return resolveSlugs(db, groups.manyToMany.permissions, codenames);
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
 * Creates a group with its permissions, as `POST /api/groups/` does but without an audit entry.
 *
 * @throws {@link ValidationFailedError} (400) for a duplicate name or an unknown codename; then 403 when the
 *   actor gives the group a permission it does not hold itself
 */
export async function createGroup(knex: Knex, actor: Actor, input: GroupWrite): Promise<GroupRow> {
  return knex.transaction(async (trx) => asGroup(await createRow(trx, groups, actor, input)));
}

/**
 * Updates a group (PUT or PATCH) as the API does, without an audit entry; `permissions`, when
 * given, replaces the whole set.
 *
 * @throws {@link NotFoundError} (404) for an unknown group; 400 for a duplicate name or unknown codename;
 *   then 403 when the actor adds a permission it does not hold itself
 */
export async function updateGroup(knex: Knex, actor: Actor, id: number, input: GroupPatch): Promise<GroupRow> {
  return knex.transaction(async (trx) => {
    const before = await findRow(trx, groups, true, id, { forUpdate: true });
    if (!before) throw notFound();
    return asGroup(await changeRow(trx, groups, actor, before, input));
  });
}

/**
 * Deletes a group, without an audit entry; its members lose the permissions it granted.
 *
 * @throws {@link NotFoundError} (404) for an unknown group
 */
export async function deleteGroup(knex: Knex, id: number): Promise<void> {
  await knex.transaction(async (trx) => {
    const group = await findRow(trx, groups, true, id, { forUpdate: true });
    if (!group) throw notFound();
    await removeRow(trx, groups, group);
  });
}

/**
 * Replaces a group's permissions.
 *
 * @param permissionIds - the new set (ids, as {@link resolvePermissions} gives them)
 */
export async function setPermissions(
  trx: Knex.Transaction,
  groupId: number,
  permissionIds: readonly number[],
): Promise<void> {
  await replaceRelated(trx, groups.manyToMany.permissions, groupId, permissionIds);
}

/**
 * The errors the database finds in group fields — a name another group has, permissions that do
 * not exist — for a `POST`, or for a change of group `id`. Forms ask it when other fields are
 * malformed, so that one 400 lists everything; the use-cases run the same checks in their
 * transactions.
 *
 * @throws {@link NotFoundError} (404) for an unknown `id` (DRF looks the group up before validating)
 */
export async function groupFieldErrors(knex: Knex, fields: GroupPatch, id?: number): Promise<FieldErrors> {
  if (id !== undefined && !(await findRow(knex, groups, true, id))) throw notFound();
  return checkFields(knex, groups, fields, id ?? null);
}
