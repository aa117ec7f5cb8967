/**
 * The rows a resource's references and many-to-many fields name, as the generic admin shows them:
 * the choices of a reference's `<select>` (each row's `repr`, a user's username) and of a
 * many-to-many field's checkboxes (the slugs), and the text of the references of a list's page.
 * A staff member is shown only the rows it may see — a declared resource's rows inside its `view`
 * rule, users with `view_user` — and never more than {@link CHOICES_LIMIT} choices: beyond that,
 * or where it may see none, the form falls back to typing the id or the slugs, which the checks of
 * a write accept as the API does.
 *
 * @module
 */
import type { Knex } from 'knex';
import { narrow, type Verdict } from '../resources/access.js';
import type { RefField, SlugsField } from '../resources/fields.js';
import type { Resource } from '../resources/resource.js';
import { present, rowsQuery } from '../resources/store.js';
import { hasPermission, type Actor } from '../permissions/policy.js';

/** The most choices a form lists for one field (Django's admin has `raw_id_fields` for more). */
export const CHOICES_LIMIT = 200;

/** One choice of a form's field: the value it posts and the text it shows. */
export type Choice = readonly [value: string, label: string];

/** Why a field has no list of choices: too many rows, or none the staff member may see. */
export type NoChoices = 'too-many' | 'hidden';

const USERS = 'auth_user';

/** The related rows of the resources' fields, looked up for one staff member at a time. */
export interface RelatedRows {
  /**
   * The rows a reference may name, as `[id, text]` sorted by text, or why there is no list: more
   * than {@link CHOICES_LIMIT} rows, or a table the staff member may not see (or that is no
   * declared resource's and not the users').
   */
  refChoices(actor: Actor, declared: RefField): Promise<Choice[] | NoChoices>;
  /** The slugs a many-to-many field may name, sorted, or why there is no list. */
  slugChoices(actor: Actor, declared: SlugsField): Promise<string[] | NoChoices>;
  /**
   * The text of the rows of `ids` a reference names, in one query: each row's `repr` (a user's
   * username), for the rows the staff member may see; the others are absent.
   */
  refLabels(actor: Actor, declared: RefField, ids: readonly number[]): Promise<Map<number, string>>;
}

/**
 * The related rows of the declared resources' fields.
 *
 * @param knex - the database
 * @param resources - every declared resource, whose tables references may name (administered or not)
 * @example
 * const related = relatedRows(knex, resourcesOf(features));
 * await related.refChoices(actor, parts.fields.maker); // [['3', 'Acme'], ['1', 'Globex']]
 */
export function relatedRows(knex: Knex, resources: readonly Resource[]): RelatedRows {
  const byTable = new Map<string, Resource>();
  for (const resource of resources) if (!byTable.has(resource.table)) byTable.set(resource.table, resource);

  /** The rows of a table the actor may see: the users with `view_user`; a resource's by its `view` rule. */
  const visible = (actor: Actor, table: string): Verdict | null => {
    if (table === USERS) return hasPermission(actor, 'view_user');
    const target = byTable.get(table);
    return target ? target.access.view(actor) : null;
  };

  /** The `[id, text]` of a table's rows a query selects, for a resource by its `repr`. */
  const labelled = async (
    actor: Actor,
    table: string,
    narrowed: (query: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<Choice[] | 'hidden'> => {
    const verdict = visible(actor, table);
    if (verdict === null || verdict === false) return 'hidden';
    const target = byTable.get(table);
    if (!target) {
      const users = await narrowed(knex(USERS).select('id', 'username'));
      return users.map((user: { id: number; username: string }) => [String(user.id), user.username] as const);
    }
    const rows: Record<string, unknown>[] = await narrowed(rowsQuery(knex, target, verdict));
    return rows.map((row) => {
      const json = present(target, row);
      return [String(json.id), target.repr(json)] as const;
    });
  };

  return {
    async refChoices(actor, declared) {
      const choices = await labelled(actor, declared.table, (query) =>
        query.orderBy(`${declared.table}.id`).limit(CHOICES_LIMIT + 1),
      );
      if (choices === 'hidden') return choices;
      if (choices.length > CHOICES_LIMIT) return 'too-many';
      return choices.sort(([, a], [, b]) => a.localeCompare(b, 'en'));
    },

    async slugChoices(actor, declared) {
      // A table of no declared resource (the permissions, tags): its slugs are names, listed to all.
      const verdict = byTable.has(declared.table) || declared.table === USERS ? visible(actor, declared.table) : true;
      if (verdict === null || verdict === false) return 'hidden';
      const slugs: unknown[] = await narrow(knex(declared.table), verdict, declared.table)
        .orderBy(declared.slug)
        .limit(CHOICES_LIMIT + 1)
        .pluck(declared.slug);
      return slugs.length > CHOICES_LIMIT ? 'too-many' : slugs.map(String);
    },

    async refLabels(actor, declared, ids) {
      const unique = [...new Set(ids)];
      if (!unique.length) return new Map();
      const labels = await labelled(actor, declared.table, (query) => query.whereIn(`${declared.table}.id`, unique));
      return new Map(labels === 'hidden' ? [] : labels.map(([id, label]) => [Number(id), label]));
    },
  };
}
