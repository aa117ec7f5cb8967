/**
 * A resource's rows in the database: the query a list pages through (many-to-many slugs
 * included), one row looked up inside the actor's scope, the checks that need the database
 * (unique values, references and slugs that must exist), and the writes — each taking the
 * transaction its caller opened. The API's writes ({@link insertRow}, {@link updateRow},
 * {@link deleteRow}) write their audit entry in it (Django's `LogEntry`: the action, the object's
 * name, the fields changed); the same writes without the entry ({@link createRow},
 * {@link changeRow}, {@link removeRow}) serve the use-cases whose callers record their own, or
 * none (seeds).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAction, type AuditActor } from '../db/audit.js';
import type { Deps } from '../deps.js';
import { isUniqueViolation } from '../db/classify-error.js';
import { notFound, permissionDenied, validationError, type FieldErrors } from '../errors.js';
import { text, type Message, type Wording } from '../i18n/translate.js';
import type { Actor } from '../permissions/policy.js';
import { allows, narrow, type Rule, type Verdict } from './access.js';
import { represent, type Fields, type ManyToManyFields } from './fields.js';
import type { RefCheck } from './list-query.js';
import { relatedSlugs, replaceRelated, resolveSlugs } from './relations.js';
import { fieldLabel, type AnswerContext, type Resource, type ResourceRow, type WriteFields } from './resource.js';

/** A row as the API represents it. */
export type Representation = Readonly<Record<string, unknown>>;

/** A row's `id`: an integer, or a UUID for a resource keyed so. */
export type RowId = number | string;

/** A row's id as its resource's key has it (a UUID as text, an integer as a number). */
export function rowIdOf(resource: Resource, row: Readonly<Record<string, unknown>>): RowId {
  return resource.key === 'uuid' ? String(row.id) : Number(row.id);
}

/**
 * The row's columns as selected: dates as text, so that no driver shifts them by a time zone; then
 * each many-to-many field's slugs.
 */
function selectColumns(knex: Knex, resource: Resource): (string | Knex.Raw | Knex.QueryBuilder)[] {
  return [
    ...[...resource.columns].map(([name, column]) =>
      resource.fields[name]?.kind === 'date'
        ? knex.raw('??::text as ??', [`${resource.table}.${column}`, column])
        : `${resource.table}.${column}`,
    ),
    ...Object.entries(resource.manyToMany).map(([name, declared]) =>
      relatedSlugs(knex, resource.table, name, declared),
    ),
    ...resource.internal.map((column) => `${resource.table}.${column}`),
  ];
}

/**
 * The rows an actor may see, selected for {@link present}; the list applies its filters, search
 * and ordering on top, and pagination counts and slices it.
 */
export function rowsQuery(knex: Knex | Knex.Transaction, resource: Resource, view: Verdict): Knex.QueryBuilder {
  return narrow(knex(resource.table).select(selectColumns(knex as Knex, resource)), view, resource.table);
}

/**
 * A row as the API represents it: `id`, then each field as its type represents it, then each
 * many-to-many field's slugs (computed fields are the router's: they need the request).
 */
export function present(resource: Resource, row: Readonly<Record<string, unknown>>): Representation {
  const json: Record<string, unknown> = { id: rowIdOf(resource, row) };
  for (const [name, column] of resource.columns) {
    if (name !== 'id') json[name] = represent(resource.fields[name]!, row[column]);
  }
  for (const name of Object.keys(resource.manyToMany)) json[name] = [...((row[name] as string[] | null) ?? [])];
  return json;
}

/**
 * Rows as the API answers them: each represented, then its computed fields added (each field's
 * `prepare` run once first).
 *
 * @param resource - the declaration
 * @param rows - the rows as selected (internal columns included)
 * @param answering - the server's parts and the request's origin, made only for computed fields
 * @example
 * ctx.body = (await answerRows(files, [row], () => ({ deps, origin: apiOrigin(ctx) })))[0];
 */
export async function answerRows(
  resource: Resource,
  rows: readonly Readonly<Record<string, unknown>>[],
  answering: () => AnswerContext,
): Promise<Representation[]> {
  const computed = Object.entries(resource.computed);
  if (computed.length === 0) return rows.map((row) => present(resource, row));
  const context = answering();
  for (const [, declared] of computed) await declared.prepare?.(context);
  return Promise.all(
    rows.map(async (row) => {
      const json: Record<string, unknown> = { ...present(resource, row) };
      for (const [name, declared] of computed) json[name] = await declared.value(row, context);
      return json;
    }),
  );
}

/**
 * One row inside a scope, locked for a change when asked.
 *
 * @returns the row by column, or `undefined` when no row of that id is inside the scope
 */
export async function findRow(
  db: Knex | Knex.Transaction,
  resource: Resource,
  view: Verdict,
  id: RowId,
  options: { forUpdate?: boolean } = {},
): Promise<Record<string, unknown> | undefined> {
  const query = rowsQuery(db as Knex, resource, view)
    .where(`${resource.table}.id`, id)
    .first();
  if (options.forUpdate) query.forUpdate();
  return (await query) as Record<string, unknown> | undefined;
}

/**
 * The row of `id` an action may act on, as the API and the admin both look it up: inside the
 * actor's view rule — or anywhere, when the action's rule allows every row (DRF's model
 * permissions do not filter the lookup) — else 404; then 403 unless the action's rule allows it.
 *
 * @param rule - the action's rule (`access.view` for a read)
 * @throws {@link NotFoundError} outside the rows found; {@link PermissionDeniedError} outside the rule
 */
export async function rowForAction(
  db: Knex | Knex.Transaction,
  resource: Resource,
  actor: Actor,
  id: RowId,
  rule: Rule,
  options: { forUpdate?: boolean } = {},
): Promise<Record<string, unknown>> {
  const verdict = rule(actor);
  const row = await findRow(db, resource, verdict === true || resource.access.view(actor), id, options);
  if (!row) throw notFound();
  if (!allows(verdict, row)) throw permissionDenied();
  return row;
}

/**
 * The checks of a body's fields that need the database, as DRF's serializer runs them: a value
 * another row has for a unique field (`project with this name already exists.`), a reference to a
 * row that does not exist (`Invalid pk "9" - object does not exist.`), a slug of a many-to-many
 * field that names no row (`Object with codename=x does not exist.`).
 *
 * @param fields - the body's fields that passed their format checks, by field name
 * @param id - the row being changed (it may keep its own unique values), or `null` for a create
 * @returns the errors, by field (none: `{}`)
 */
export async function checkFields(
  db: Knex | Knex.Transaction,
  resource: Resource,
  fields: Readonly<Record<string, unknown>>,
  id: RowId | null,
): Promise<FieldErrors> {
  return (await inspectFields(db, resource, fields, id)).errors;
}

/** {@link checkFields}'s checks, with the ids each many-to-many field's slugs resolved to. */
async function inspectFields(
  db: Knex | Knex.Transaction,
  resource: Resource,
  fields: Readonly<Record<string, unknown>>,
  id: RowId | null,
): Promise<{ errors: FieldErrors; related: Map<string, number[]> }> {
  const errors: Record<string, Wording[]> = {};
  const related = new Map<string, number[]>();
  for (const [name, value] of Object.entries(fields)) {
    const many = resource.manyToMany[name];
    if (many && Array.isArray(value)) {
      const resolved = await resolveSlugs(db, many, value as string[]);
      if ('error' in resolved) errors[name] = [resolved.error];
      else related.set(name, resolved.ids);
    }
    const declared = resource.fields[name];
    if (!declared || value === undefined || value === null) continue;
    const column = resource.columns.get(name)!;
    if (declared.unique) {
      const other = await db(resource.table)
        .where(column, value as Knex.Value)
        .modify((q) => (id === null ? q : q.whereNot('id', id)))
        .first('id');
      if (other) errors[name] = [uniqueMessage(resource, name)];
    }
    if (
      declared.kind === 'ref' &&
      !(await db(declared.table)
        .where('id', value as number)
        .first('id'))
    )
      errors[name] = [text('pkDoesNotExist', { pk_value: String(value) })];
  }
  return { errors, related };
}

/**
 * The reference filters' ids that name no row, as django-filter's `ModelChoiceFilter` reports them.
 *
 * @returns the errors, by query parameter (none: `{}`)
 */
export async function checkRefFilters(db: Knex, refs: readonly RefCheck[]): Promise<FieldErrors> {
  const errors: Record<string, Wording[]> = {};
  for (const ref of refs) {
    const found = await db(ref.table)
      .whereIn('id', [...ref.ids])
      .pluck('id');
    if (found.length < new Set(ref.ids).size) errors[ref.parameter] = [text('filterChoice')];
  }
  return errors;
}

function uniqueMessage(resource: Resource, name: string): Message {
  return text('uniqueField', { model_name: resource.verboseName, field_label: fieldLabel(resource, name) });
}

/** The body's fields as columns (many-to-many fields are none). */
function columnsOf(resource: Resource, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([name, value]) => value !== undefined && resource.columns.has(name))
      .map(([name, value]) => [resource.columns.get(name)!, value]),
  );
}

/** A unique violation the checks did not see (a concurrent write): the same 400 they give. */
async function uniquely<T>(resource: Resource, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const constraint = (error as { constraint?: string }).constraint ?? '';
    const name = Object.keys(resource.fields).find((f) => constraint.includes(`_${resource.columns.get(f)}_`));
    // A constraint of no declared field (one over several columns) is the table's own: not the body's fault to word.
    if (!name) throw error;
    throw validationError({ [name]: [uniqueMessage(resource, name)] });
  }
}

/**
 * The checks of {@link checkFields}, thrown as one 400 when any fails, then the resource's
 * `authorizeWrite`; returns the ids of the related rows each many-to-many field sent names.
 */
async function assertWrite(
  trx: Knex.Transaction,
  resource: Resource,
  actor: Actor,
  before: Readonly<Record<string, unknown>> | null,
  fields: Readonly<Record<string, unknown>>,
): Promise<Map<string, number[]>> {
  const { errors, related } = await inspectFields(trx, resource, fields, before && rowIdOf(resource, before));
  if (Object.keys(errors).length) throw validationError(errors);
  await resource.authorizeWrite?.({
    db: trx,
    actor,
    before: before && (present(resource, before) as ResourceRow<Fields, ManyToManyFields>),
    fields: fields as WriteFields,
  });
  return related;
}

/** Writes the many-to-many fields a body sent, after their row. */
async function writeRelated(
  trx: Knex.Transaction,
  resource: Resource,
  id: RowId,
  related: ReadonlyMap<string, number[]>,
): Promise<void> {
  for (const [name, ids] of related) await replaceRelated(trx, resource.manyToMany[name]!, id, ids);
}

/** Records an action on a row in the audit log: `add`, `change` or `delete` and the row's `repr`. */
async function recordRow(
  trx: Knex.Transaction,
  resource: Resource,
  actor: AuditActor,
  verb: keyof Resource['codenames'],
  json: Representation,
  details?: Record<string, unknown>,
): Promise<void> {
  const target = { type: resource.model, id: json.id as RowId, repr: resource.repr(json) };
  await recordAction(trx, actor, resource.codenames[verb], target, details);
}

/**
 * Creates a row, without an audit entry, in the caller's transaction: the fields checked (400),
 * then the resource's `authorizeWrite`, then the row and its many-to-many fields written.
 *
 * @param fields - validated, by field name; the owner, if any, is set here to the actor
 * @param columns - columns the use-case sets itself, by column: internal ones, read-only fields
 *   it computed (a file's size); a UUID key is made here unless given
 * @returns the row's representation
 * @throws {@link ValidationFailedError} (400) for a unique value, a reference or a slug the checks
 *   refuse; what `authorizeWrite` throws
 */
export async function createRow(
  trx: Knex.Transaction,
  resource: Resource,
  actor: Actor,
  fields: Readonly<Record<string, unknown>>,
  columns: Readonly<Record<string, unknown>> = {},
): Promise<Representation> {
  const related = await assertWrite(trx, resource, actor, null, fields);
  const values = {
    ...(resource.key === 'uuid' ? { id: randomUUID() } : {}),
    ...columns,
    ...columnsOf(resource, resource.owner ? { ...fields, [resource.owner]: actor.id } : fields),
  };
  const [inserted] = await uniquely(resource, () => trx(resource.table).insert(values).returning('id'));
  const id = rowIdOf(resource, inserted as Record<string, unknown>);
  await writeRelated(trx, resource, id, related);
  return present(resource, (await findRow(trx, resource, true, id))!);
}

/**
 * Creates a row and records it in the audit log, in the caller's transaction ({@link createRow}).
 *
 * @param fields - validated, by field name; the owner, if any, is set here
 * @param columns - columns the use-case sets itself (see {@link createRow})
 * @throws {@link ValidationFailedError} (400) for a unique value, a reference or a slug the checks refuse
 */
export async function insertRow(
  trx: Knex.Transaction,
  resource: Resource,
  actor: Actor & AuditActor,
  fields: Readonly<Record<string, unknown>>,
  columns: Readonly<Record<string, unknown>> = {},
): Promise<Representation> {
  const json = await createRow(trx, resource, actor, fields, columns);
  await recordRow(trx, resource, actor, 'add', json, {
    added: Object.keys(fields).filter((name) => fields[name] !== undefined),
  });
  return json;
}

/**
 * Changes a row (already found inside the actor's scopes, locked), without an audit entry, in the
 * caller's transaction: the fields checked (400), then the resource's `authorizeWrite`, then the
 * columns and the many-to-many fields sent written.
 *
 * @param before - the row as {@link findRow} found it
 * @returns the row's new representation
 * @throws {@link ValidationFailedError} (400) for a unique value, a reference or a slug the checks
 *   refuse; what `authorizeWrite` throws
 */
export async function changeRow(
  trx: Knex.Transaction,
  resource: Resource,
  actor: Actor,
  before: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, unknown>>,
): Promise<Representation> {
  const id = rowIdOf(resource, before);
  const related = await assertWrite(trx, resource, actor, before, fields);
  const values = columnsOf(resource, fields);
  if (Object.keys(values).length) await uniquely(resource, () => trx(resource.table).where({ id }).update(values));
  await writeRelated(trx, resource, id, related);
  return present(resource, (await findRow(trx, resource, true, id))!);
}

/**
 * Changes a row (already found inside the actor's scopes, locked) and records the fields that
 * changed, in the caller's transaction ({@link changeRow}).
 *
 * @throws {@link ValidationFailedError} (400) for a unique value, a reference or a slug the checks refuse
 */
export async function updateRow(
  trx: Knex.Transaction,
  resource: Resource,
  actor: Actor & AuditActor,
  before: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, unknown>>,
): Promise<Representation> {
  const old = present(resource, before);
  const json = await changeRow(trx, resource, actor, before, fields);
  const changed = Object.keys(fields).filter((name) => JSON.stringify(old[name]) !== JSON.stringify(json[name]));
  if (changed.length) await recordRow(trx, resource, actor, 'change', json, { changed });
  return json;
}

/**
 * Deletes a row (found inside the actor's scopes) and its many-to-many pairs, without an audit
 * entry, in the caller's transaction.
 */
export async function removeRow(
  trx: Knex.Transaction,
  resource: Resource,
  row: Readonly<Record<string, unknown>>,
): Promise<void> {
  const id = rowIdOf(resource, row);
  for (const declared of Object.values(resource.manyToMany))
    await trx(declared.through).where(declared.from, id).delete();
  await trx(resource.table).where({ id }).delete();
}

/** Deletes a row (found inside the actor's scopes) and records it, in the caller's transaction ({@link removeRow}). */
export async function deleteRow(
  trx: Knex.Transaction,
  resource: Resource,
  actor: AuditActor,
  row: Readonly<Record<string, unknown>>,
): Promise<void> {
  const json = present(resource, row);
  await removeRow(trx, resource, row);
  await recordRow(trx, resource, actor, 'delete', json);
}

/**
 * Deletes the row of `id` as the API and the admin both do: found inside the actor's scopes (404,
 * then 403, as {@link rowForAction}), the resource's `onDelete.before` run outside any transaction
 * (a store that must answer first), the row locked, deleted and recorded in one transaction, then
 * `onDelete.after` once it is committed.
 *
 * @throws {@link NotFoundError} outside the rows found; {@link PermissionDeniedError} outside the
 *   delete rule; what `onDelete.before` throws
 */
export async function destroyRow(deps: Deps, resource: Resource, actor: Actor & AuditActor, id: RowId): Promise<void> {
  const { knex } = deps;
  const { onDelete } = resource;
  const rule = resource.access.delete;
  if (onDelete?.before) await onDelete.before(deps, await rowForAction(knex, resource, actor, id, rule));
  const row = await knex.transaction(async (trx) => {
    const found = await rowForAction(trx, resource, actor, id, rule, { forUpdate: true });
    await deleteRow(trx, resource, actor, found);
    return found;
  });
  await onDelete?.after?.(deps, row);
}
