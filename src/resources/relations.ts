/**
 * The many-to-many fields of resources in the database (Django's `ManyToManyField` read and
 * written as DRF's `SlugRelatedField(many=True)`): the slugs of each row selected in the rows'
 * own statement, a body's slugs resolved to ids with DRF's messages, and a row's set replaced in
 * the caller's transaction.
 *
 * @module
 */
import type { Knex } from 'knex';
import { loneSurrogate, MESSAGES } from '../drf-wordings.js';
import type { SlugsField } from './fields.js';
import type { Message } from '../i18n/translate.js';

/**
 * The sorted slugs of each row, as a column of the rows' query (a correlated subquery: one
 * statement for a whole page, no query per row).
 *
 * @param table - the resource's table, as the outer query names it
 * @param name - the field's name, the column it is selected as
 * @example
 * knex('auth_group').select('auth_group.id', relatedSlugs(knex, 'auth_group', 'permissions', groups.manyToMany.permissions));
 */
export function relatedSlugs(knex: Knex, table: string, name: string, declared: SlugsField): Knex.QueryBuilder {
  const through = `${name}__through`;
  const related = `${name}__related`;
  const slug = `${related}.${declared.slug}`;
  return knex({ [through]: declared.through })
    .join({ [related]: declared.table }, `${related}.id`, `${through}.${declared.to}`)
    .where(`${through}.${declared.from}`, knex.ref(`${table}.id`))
    .select(knex.raw(`coalesce(array_agg(?? ORDER BY ??), '{}')`, [slug, slug]))
    .as(name);
}

/**
 * Resolves slugs to the ids of the rows they name, as DRF's `SlugRelatedField(many=True)` does.
 *
 * @param target - the related table and its slug column
 * @param values - the slugs of a body, in its order; repeated ones count once
 * @returns the ids in the given order, or DRF's message for the first slug that names no row:
 *   `Object with codename=x does not exist.`, or `Invalid value.` for a slug with NUL
 * @example
 * await resolveSlugs(knex, { table: 'auth_permission', slug: 'codename' }, ['view_user']); // { ids: [4] }
 */
export async function resolveSlugs(
  db: Knex | Knex.Transaction,
  target: Pick<SlugsField, 'table' | 'slug'>,
  values: readonly string[],
): Promise<{ ids: number[] } | { error: Message }> {
  // PostgreSQL cannot compare text with NUL; DRF's field reports the lookup's ValueError so.
  if (values.some((v) => v.includes('\0'))) return { error: MESSAGES.invalidValue };
  const unique = [...new Set(values)];
  // A lone surrogate (a JSON escape such as "\udfff") names nothing: no text in the database can
  // hold it, and the driver cannot send it. It is reported as missing, unlooked-up.
  const storable = unique.filter((v) => loneSurrogate(v) === null);
  const rows: { id: number; slug: string }[] = storable.length
    ? await db(target.table).whereIn(target.slug, storable).select('id', `${target.slug} as slug`)
    : [];
  const bySlug = new Map(rows.map((r) => [r.slug, Number(r.id)]));
  const missing = unique.find((v) => !bySlug.has(v));
  if (missing !== undefined) return { error: MESSAGES.doesNotExist(target.slug, missing) };
  return { ids: unique.map((v) => bySlug.get(v)!) };
}

/**
 * Replaces the related rows of one row, in the caller's transaction.
 *
 * @param id - the resource's row
 * @param relatedIds - the new set (ids of the related table)
 */
export async function replaceRelated(
  trx: Knex.Transaction,
  declared: SlugsField,
  id: number | string,
  relatedIds: readonly number[],
): Promise<void> {
  await trx(declared.through).where(declared.from, id).delete();
  if (relatedIds.length)
    await trx(declared.through).insert(relatedIds.map((to) => ({ [declared.from]: id, [declared.to]: to })));
}
