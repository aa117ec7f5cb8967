/**
 * A resource declared once: its table, fields, list options, access rules and representation.
 * {@link defineResource} checks the declaration and derives what the router, the OpenAPI
 * document, the permissions and the audit log need from it.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Knex } from 'knex';
import type { Deps } from '../deps.js';
import type { Actor } from '../permissions/policy.js';
import type { Wording } from '../i18n/translate.js';
import { codenamesOf, modelPermissions, type AccessRules, type ModelCodenames, type Rule } from './access.js';
import {
  bodySchemaOf,
  columnOf,
  labelOf,
  outputSchemaOf,
  slugsOutputSchemaOf,
  type Field,
  type FieldValue,
  type Fields,
  type ManyToManyFields,
} from './fields.js';
import { ListQueryReader, type ListDeclaration } from './list-query.js';

/** The actions a resource may offer, as DRF's `ModelViewSet` names them. */
export type ResourceAction = 'list' | 'retrieve' | 'create' | 'update' | 'partial_update' | 'destroy';

/** Every action, the default. */
export const ALL_ACTIONS: readonly ResourceAction[] = [
  'list',
  'retrieve',
  'create',
  'update',
  'partial_update',
  'destroy',
];

/** No many-to-many field: the default of a declaration. */
export type NoManyToMany = Readonly<Record<never, never>>;

/** A declaration, as a resource's module writes it. */
export interface ResourceDeclaration<
  M extends string,
  F extends Fields,
  R extends ManyToManyFields = NoManyToMany,
> extends ListDeclaration<F, R> {
  /** The path segment and OpenAPI tag: `projects` serves `/api/projects/`. */
  readonly name: string;
  /** The model's name, singular and lower case: the permissions are `add_<model>`, … */
  readonly model: M;
  /**
   * The model's name in messages (`project with this name already exists.`); `model` by default.
   * A message of the catalogue (`text('groupVerboseName')`) is worded in the message's language.
   */
  readonly verboseName?: Wording;
  /** The table; its primary key is `id`. */
  readonly table: string;
  /**
   * The type of `id`: an integer the database assigns (the default), or a UUID the server makes
   * (a row whose id must not be guessed, as a file's).
   */
  readonly key?: 'integer' | 'uuid';
  /**
   * Columns selected with a row but never represented nor written by a body (an object's key in
   * the store): use-cases read them and set them through `createRow`'s `columns`.
   */
  readonly internal?: readonly string[];
  /**
   * Fields computed when a row is answered (DRF's `SerializerMethodField`), represented after the
   * declared ones: a signed URL, a count. Read-only; neither filtered, searched nor sorted by.
   */
  readonly computed?: Readonly<Record<string, ComputedField>>;
  /**
   * What a deletion does beyond the row: `before`, once the row is found and allowed and before
   * the transaction opens (a store that must answer first); `after`, once the deletion is
   * committed (removing what the database cannot, as an object in the store).
   */
  readonly onDelete?: DeleteHooks;
  /** One line for the OpenAPI tag. */
  readonly description: string;
  readonly fields: F;
  /** Its many-to-many fields (Django's `ManyToManyField`), represented after `fields`. */
  readonly manyToMany?: R;
  /** A row as one line of text (Django's `__str__`): the audit log's object name. */
  repr(row: ResourceRow<F, R>): string;
  /**
   * A check of a create or change that needs more than the rules' scopes: who acts, the row as it
   * was and the body's fields (`a non-superuser grants only what it holds`). It runs in the
   * write's transaction after the body passed every field check (400 first), before anything is
   * written; it throws to refuse, e.g. `authorize(actor, …)`'s 403.
   */
  authorizeWrite?(input: WriteInput<F, R>): void | Promise<void>;
  /** The actions offered; all by default. */
  readonly actions?: readonly ResourceAction[];
  /** The API reference's description of an action, in place of the generic one (what the action does beyond a model's). */
  readonly descriptions?: { readonly [A in ResourceAction]?: string };
  /** Who may do what; Django's model permissions by default. */
  readonly access?: AccessRules;
  /** A `ref` to the user set to the creating user (read-only in bodies). */
  readonly owner?: keyof F & string;
  /** Routes beyond the six of a model (DRF's `@action`), by name: `/api/<name>/{id}/<action>/`. */
  readonly extraActions?: Readonly<Record<string, ExtraAction<F>>>;
  /**
   * How the generic admin shows it; `false` when its feature serves admin pages of its own for it
   * (a link of the feature's `admin`, as the groups' permission picker).
   */
  readonly admin?: AdminOptions<F> | false;
}

/** What a computed field is given: the server's parts and the request's origin. */
export interface AnswerContext {
  readonly deps: Deps;
  /** The API's origin as the client reached it, for absolute URLs. */
  readonly origin: string;
}

/** A field computed when a row is answered. */
export interface ComputedField {
  /** Its value's schema, for the OpenAPI document and the tests. */
  readonly schema: z.ZodType;
  /** Runs once per answer, before any value (e.g. the store answers, or 503). */
  prepare?(context: AnswerContext): Promise<void>;
  /** Its value for a row, as selected (by column, internal columns included). */
  value(row: Readonly<Record<string, unknown>>, context: AnswerContext): unknown;
}

/** What a deletion does beyond the row; each hook is given the row as selected (internal columns included). */
export interface DeleteHooks {
  /** Before the transaction: throw to refuse (nothing is deleted). */
  before?(deps: Deps, row: Readonly<Record<string, unknown>>): Promise<void>;
  /** After the commit; it should not throw (the row is gone), but log what it could not do. */
  after?(deps: Deps, row: Readonly<Record<string, unknown>>): Promise<void>;
}

/** An extra action's answer that is a file: streamed as an attachment with its name and type. */
export class Attachment {
  /**
   * @param body - the bytes
   * @param fileName - the name the client saves it under (`Content-Disposition`)
   * @param contentType - its media type
   * @param size - its length in bytes
   */
  constructor(
    readonly body: Readable,
    readonly fileName: string,
    readonly contentType: string,
    readonly size: number,
  ) {}
}

/** How the generic admin shows a resource (Django's `ModelAdmin` options). */
export interface AdminOptions<F extends Fields> {
  /** The list's columns after the representation (`list_display`); the first four fields by default. */
  readonly columns?: readonly (keyof F & string)[];
}

/** What a resource's `authorizeWrite` is given. */
export interface WriteInput<F extends Fields = Fields, R extends ManyToManyFields = ManyToManyFields> {
  /** The write's transaction. */
  readonly db: Knex.Transaction;
  /** Who writes. */
  readonly actor: Actor;
  /** The row before the change, as represented (locked); `null` for a create. */
  readonly before: ResourceRow<F, R> | null;
  /** The body's fields, validated and checked; those not sent are absent. */
  readonly fields: WriteFields<F, R>;
}

/** The fields of a write by name: a many-to-many one as its slugs, the others as validated. */
export type WriteFields<F extends Fields = Fields, R extends ManyToManyFields = ManyToManyFields> = Readonly<
  Partial<Record<keyof F & string, unknown> & Record<keyof R & string, readonly string[]>>
>;

/** What an extra action's handler is given. */
export interface ExtraActionInput<F extends Fields> {
  /** The server's parts (the store, the configuration). */
  readonly deps: Deps;
  /** The transaction of a `POST` (the audit entry goes in it too), the database for a `GET`. */
  readonly db: Knex | Knex.Transaction;
  /** Who asks. */
  readonly actor: Actor;
  /** The row, locked for a `POST`, of a detail action. */
  readonly row: ResourceRow<F> | null;
  /** The same row as selected, by column, internal columns included. */
  readonly record: Readonly<Record<string, unknown>> | null;
  /** The body, validated by the action's `body` schema (`{}` without one). */
  readonly body: Readonly<Record<string, unknown>>;
  /**
   * Changes fields of the row of a detail `POST` in its transaction, with the audit entry naming
   * the fields changed (unique values and references checked), and returns the new representation.
   */
  change(fields: Readonly<Partial<Record<keyof F & string, unknown>>>): Promise<ResourceRow<F>>;
}

/**
 * A route beyond the model's six (DRF's `@action`): on one object (`detail`) or on the list. The
 * object is looked up inside the `view` rule (404 outside) and must be within the action's rule
 * (403 outside), exactly as a change is; a `POST` runs in one transaction.
 */
export interface ExtraAction<F extends Fields> {
  /** `true`: `/api/<name>/{id}/<action>/`; `false`: `/api/<name>/<action>/`. */
  readonly detail: boolean;
  readonly method: 'get' | 'post';
  /** Which of the resource's rules decides (`change` for most writes), or a rule of its own. */
  readonly rule: 'view' | 'change' | 'delete' | Rule;
  /** The permission the OpenAPI document names (the rule decides; this only documents it). */
  readonly permission?: string;
  /** The fields of the body it takes (a `POST`), declared as a resource's are; validated with DRF's messages. */
  readonly body?: Fields;
  /** Its summary and description in the API reference. */
  readonly summary: string;
  readonly description: string;
  /**
   * Its answer: status, description, and the schema of its body — `'row'` for the resource's
   * representation; none for an empty answer (204); `mediaType` for an {@link Attachment}.
   */
  readonly response: {
    readonly status: number;
    readonly description: string;
    readonly schema?: z.ZodType | 'row';
    readonly mediaType?: string;
  };
  /** Does the work and returns the answer's body (an {@link Attachment} for a file). */
  run(input: ExtraActionInput<F>): Promise<unknown>;
}

/** A row as the API represents it: `id`, every field, then each many-to-many field's sorted slugs. */
export type ResourceRow<F extends Fields, R extends ManyToManyFields = NoManyToMany> = {
  readonly id: number | string;
} & {
  readonly [K in keyof F]: FieldValue<F[K]>;
} & { readonly [K in keyof R]: readonly string[] };

/** A declared resource, with what is derived from its declaration. */
export interface Resource<
  M extends string = string,
  F extends Fields = Fields,
  R extends ManyToManyFields = ManyToManyFields,
> extends Omit<
  ResourceDeclaration<M, F, R>,
  'repr' | 'extraActions' | 'admin' | 'manyToMany' | 'authorizeWrite' | 'key' | 'internal' | 'computed'
> {
  /** The type of `id`. */
  readonly key: 'integer' | 'uuid';
  /** Columns selected with a row, never represented. */
  readonly internal: readonly string[];
  /** Fields computed when a row is answered (none: `{}`). */
  readonly computed: Readonly<Record<string, ComputedField>>;
  /** How the generic admin shows it, defaults applied; `null` when its feature's own pages do. */
  readonly admin: { readonly columns: readonly string[] } | null;
  /** Its extra actions, by name. */
  readonly extraActions: Readonly<Record<string, ExtraAction<Fields>>>;
  /** A representation as one line of text: the declaration's `repr`. */
  readonly repr: (row: Readonly<Record<string, unknown>>) => string;
  /** Its many-to-many fields by name (none: `{}`). */
  readonly manyToMany: R;
  /** The declaration's check of a write, if any. */
  readonly authorizeWrite?: (input: WriteInput) => void | Promise<void>;
  readonly verboseName: Wording;
  readonly actions: readonly ResourceAction[];
  readonly access: AccessRules;
  /** Its four permission codenames. */
  readonly codenames: ModelCodenames<M>;
  /** The body of a create or a `PUT`: the writable fields and the many-to-many ones, required unless optional. */
  readonly writeSchema: z.ZodObject;
  /** The body of a `PATCH`: the writable fields, none required. */
  readonly patchSchema: z.ZodObject;
  /** The representation. */
  readonly jsonSchema: z.ZodObject;
  /** The list's query parameters and their parsing. */
  readonly listQuery: ListQueryReader;
  /** Field name → column, `id` first. */
  readonly columns: ReadonlyMap<string, string>;
}

const RESERVED = new Set(['id', 'search', 'ordering', 'page', 'page_size', 'format']);

/**
 * Declares a resource.
 *
 * @param declaration - table, fields, list options, access rules, representation
 * @returns the resource, which `resourceRoutes` serves
 * @throws Error for a declaration that cannot work: a reserved field name, an owner that is not a
 *   reference to the user, a filter or sort field that does not exist
 * @example
 * export const projects = defineResource({
 *   name: 'projects', model: 'project', table: 'projects', description: 'Projects.',
 *   fields: { name: field.string(100, { unique: true }) },
 *   search: ['name'], ordering: ['name'], repr: (p) => p.name,
 * });
 */
export function defineResource<
  const M extends string,
  const F extends Fields,
  const R extends ManyToManyFields = NoManyToMany,
>(declaration: ResourceDeclaration<M, F, R>): Resource<M, F, R> {
  const { fields } = declaration;
  const manyToMany = declaration.manyToMany ?? ({} as R);
  if (!/^[a-z][a-z0-9]*$/.test(declaration.model))
    throw new Error(`model "${declaration.model}": lower-case letters and digits`);
  if (!/^[a-z][a-z0-9-]*$/.test(declaration.name))
    throw new Error(`name "${declaration.name}": a path segment in lower case`);
  for (const name of [...Object.keys(fields), ...Object.keys(manyToMany)]) {
    if (RESERVED.has(name) || !/^[a-z][a-z0-9_]*$/.test(name))
      throw new Error(`field "${name}": a reserved word or not a snake_case name`);
  }
  const computed = declaration.computed ?? {};
  for (const name of Object.keys(manyToMany))
    if (Object.hasOwn(fields, name)) throw new Error(`field "${name}": declared in both fields and manyToMany`);
  for (const name of Object.keys(computed))
    if (Object.hasOwn(fields, name) || Object.hasOwn(manyToMany, name) || RESERVED.has(name))
      throw new Error(`computed field "${name}": its name is taken`);
  for (const name of declaration.internal ?? [])
    if (
      !/^[a-z][a-z0-9_]*$/.test(name) ||
      RESERVED.has(name) ||
      Object.hasOwn(fields, name) ||
      Object.hasOwn(manyToMany, name) ||
      Object.hasOwn(computed, name)
    )
      throw new Error(`internal column "${name}": not a snake_case name, or the name of a field`);
  for (const name of Object.keys(declaration.extraActions ?? {}))
    if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new Error(`action "${name}": a path segment in lower case`);
  for (const name of [
    ...(declaration.search ?? []),
    ...(declaration.ordering ?? []),
    ...((declaration.admin || undefined)?.columns ?? []),
  ])
    if (!Object.hasOwn(fields, name)) throw new Error(`no field "${name}" to search, sort by or show`);
  const owner = declaration.owner;
  if (owner !== undefined) {
    const declared: Field | undefined = fields[owner];
    if (declared?.kind !== 'ref' || declared.table !== 'auth_user' || !declared.readOnly)
      throw new Error(`owner "${owner}": must be a read-only reference to the user (field.user({ readOnly: true }))`);
  }

  const writeSchema = bodySchemaOf(fields, manyToMany);
  const key = declaration.key ?? 'integer';
  const jsonSchema = z.strictObject({
    id: key === 'uuid' ? z.uuid() : z.int(),
    ...Object.fromEntries(Object.entries(fields).map(([name, declared]) => [name, outputSchemaOf(declared)])),
    ...Object.fromEntries(Object.entries(manyToMany).map(([name, declared]) => [name, slugsOutputSchemaOf(declared)])),
    ...Object.fromEntries(Object.entries(computed).map(([name, declared]) => [name, declared.schema])),
  });
  const { authorizeWrite } = declaration;
  return {
    ...declaration,
    key,
    internal: declaration.internal ?? [],
    computed,
    repr: (row) => declaration.repr(row as ResourceRow<F, R>),
    manyToMany,
    authorizeWrite: authorizeWrite && ((input) => authorizeWrite.call(declaration, input as WriteInput<F, R>)),
    admin:
      declaration.admin === false ? null : { columns: declaration.admin?.columns ?? Object.keys(fields).slice(0, 4) },
    extraActions: (declaration.extraActions ?? {}) as Readonly<Record<string, ExtraAction<Fields>>>,
    verboseName: declaration.verboseName ?? declaration.model,
    actions: declaration.actions ?? ALL_ACTIONS,
    access: declaration.access ?? modelPermissions(declaration.model),
    codenames: codenamesOf(declaration.model),
    writeSchema,
    patchSchema: writeSchema.partial(),
    jsonSchema,
    listQuery: new ListQueryReader(fields, declaration as ListDeclaration<Fields>, manyToMany),
    columns: new Map([
      ['id', 'id'],
      ...Object.entries(fields).map(([name, declared]): [string, string] => [name, columnOf(name, declared)]),
    ]),
  };
}

/** The label of a field of a resource, for messages. */
export function fieldLabel(resource: Resource, name: string): Wording {
  return labelOf(name, resource.fields[name]!);
}
