/**
 * Who may do what to a resource's rows: one rule per action, answering yes, no, or a scope — the
 * rows it may act on. The same scope narrows a list and decides on one object, so that a list and
 * a detail cannot disagree. The defaults are Django's model permissions (`DjangoModelPermissions`
 * with `view_` for reads); {@link ownerRules} lets owners act on their own rows.
 *
 * @module
 */
import type { Knex } from 'knex';
import { hasPermission, type Actor } from '../permissions/policy.js';

/** Rows whose columns equal these values (all of them). */
export type Scope = Readonly<Record<string, string | number | boolean | null>>;

/** A rule's answer: every row (`true`), none (`false`), or the rows of a scope. */
export type Verdict = boolean | Scope;

/** A rule over rows. */
export type Rule = (actor: Actor) => Verdict;

/** The four model actions of a resource, each with its rule. */
export interface AccessRules {
  /** Lists and reads: the rows an actor sees at all; outside them an object is 404. */
  readonly view: Rule;
  /** Creating: yes or no (there is no row yet to scope). */
  readonly add: (actor: Actor) => boolean;
  /** Changing a row it sees; outside this rule's scope 403. */
  readonly change: Rule;
  /** Deleting a row it sees; outside this rule's scope 403. */
  readonly delete: Rule;
  /**
   * The permission each action needs outright, as the OpenAPI document names it; `null` where a
   * scope stands in (an owner acts on its own rows without one). Absent: the model permissions.
   */
  readonly requires?: Readonly<Record<'view' | 'add' | 'change' | 'delete', string | null>>;
}

/** The four permission codenames of a model, as Django names them. */
export interface ModelCodenames<M extends string> {
  readonly add: `add_${M}`;
  readonly change: `change_${M}`;
  readonly delete: `delete_${M}`;
  readonly view: `view_${M}`;
}

/** The codenames of a model: `add_project`, `change_project`, `delete_project`, `view_project`. */
export function codenamesOf<M extends string>(model: M): ModelCodenames<M> {
  return { add: `add_${model}`, change: `change_${model}`, delete: `delete_${model}`, view: `view_${model}` };
}

/**
 * Django's model permissions: each action needs its permission (`view_` for reads); a superuser
 * has them all.
 *
 * @example
 * access: modelPermissions('project')
 */
export function modelPermissions(model: string): AccessRules {
  const codenames = codenamesOf(model);
  return {
    view: (actor) => hasPermission(actor, codenames.view),
    add: (actor) => hasPermission(actor, codenames.add),
    change: (actor) => hasPermission(actor, codenames.change),
    delete: (actor) => hasPermission(actor, codenames.delete),
    requires: codenames,
  };
}

/**
 * Owners act on their own rows: without `view_<model>` an actor sees only the rows it owns;
 * without `change_`/`delete_<model>` it changes and deletes only those; creating needs
 * `add_<model>`; a superuser may do everything.
 *
 * @param model - the model name
 * @param ownerColumn - the column holding the owner's user id, e.g. `owner_id`
 */
export function ownerRules(model: string, ownerColumn: string): AccessRules {
  const codenames = codenamesOf(model);
  const own = (actor: Actor): Verdict => (actor.id === null ? false : { [ownerColumn]: actor.id });
  const either = (codename: string) => (actor: Actor) => (hasPermission(actor, codename) ? true : own(actor));
  return {
    view: either(codenames.view),
    add: (actor) => hasPermission(actor, codenames.add),
    change: either(codenames.change),
    delete: either(codenames.delete),
    requires: { view: null, add: codenames.add, change: null, delete: null },
  };
}

/**
 * Whether a row is within a verdict.
 *
 * @param verdict - a rule's answer
 * @param row - the row, by column
 */
export function allows(verdict: Verdict, row: Readonly<Record<string, unknown>>): boolean {
  if (typeof verdict === 'boolean') return verdict;
  return Object.entries(verdict).every(([column, value]) => sameValue(row[column], value));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null) return (a ?? null) === b;
  return String(a) === String(b);
}

/**
 * Narrows a query to a verdict's rows (nothing for `false`).
 *
 * @param builder - a query of the resource's table
 * @param table - the table's name or alias, to qualify the columns
 */
export function narrow(builder: Knex.QueryBuilder, verdict: Verdict, table: string): Knex.QueryBuilder {
  if (verdict === true) return builder;
  if (verdict === false) return builder.whereRaw('false');
  for (const [column, value] of Object.entries(verdict)) {
    if (value === null) builder.whereNull(`${table}.${column}`);
    else builder.where(`${table}.${column}`, value);
  }
  return builder;
}
