/**
 * What a list request may ask of a resource — django-filter's lookups, DRF's `SearchFilter` and
 * `OrderingFilter` — declared once: the same declaration gives the OpenAPI parameters, parses the
 * query string into a typed {@link ListQuery} (django-filter's messages on bad values, a 400 past
 * the bounds on what one request may cost), and applies it to a knex query.
 *
 * @module
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import { validationError, type FieldErrors } from '../errors.js';
import type { QueryParameters } from '../http/params.js';
import { text, type Message, type Wording } from '../i18n/translate.js';
import { MESSAGES } from '../drf-wordings.js';
import {
  columnOf,
  parseDate,
  parseDateTime,
  valueSchemaOf,
  type Field,
  type Fields,
  type ManyToManyFields,
  type SlugsField,
} from './fields.js';

/** A django-filter lookup: `?name=` is `exact`, `?name__icontains=` the others. */
export type Lookup = 'exact' | 'iexact' | 'icontains' | 'in' | 'gt' | 'gte' | 'lt' | 'lte' | 'isnull';

/**
 * What a list declares: the lookups of each filtered field, the filters through its many-to-many
 * fields, the searched fields, the sortable ones.
 */
export interface ListDeclaration<F extends Fields, R extends ManyToManyFields = ManyToManyFields> {
  /** The lookups each field may be filtered by. */
  readonly filters?: { readonly [K in keyof F & string]?: readonly Lookup[] };
  /**
   * Filters through a many-to-many field, by query parameter: `{ group: 'groups' }` reads
   * `?group=staff` as django-filter's `CharFilter(field_name='groups__name')` — only the rows
   * related to a row whose slug is `staff` (empty: no filter; NUL: its 400).
   */
  readonly relatedFilters?: { readonly [parameter: string]: keyof R & string };
  /** Fields `?search=` looks in (`icontains`, any of them per term, every term). */
  readonly search?: readonly (keyof F & string)[];
  /**
   * Fields `?ordering=` may sort by (`id` always may; `[]`: `id` alone). Without it there is no
   * `?ordering=` (DRF's view without `OrderingFilter`): the list keeps `defaultOrdering`.
   */
  readonly ordering?: readonly (keyof F & string)[];
  /** The order without `?ordering=`, e.g. `['-id']`, of any fields; ties are always broken by `id`. */
  readonly defaultOrdering?: readonly string[];
  /**
   * The OpenAPI document's description of a query parameter, by name, in place of the generated
   * one: what the filter means in the feature's words (`Only members of the group of this name.`).
   */
  readonly parameterDescriptions?: { readonly [parameter: string]: string };
}

/** How much one list request may ask. Past a bound the request is refused (400), never cut short. */
export const LIST_LIMITS = {
  /** Characters of any query value. */
  valueLength: 200,
  /** Terms of `?search=`. */
  searchTerms: 10,
  /** Values of an `__in` filter. */
  inValues: 50,
} as const;

/** One condition of a parsed list query. */
export interface FilterCondition {
  /** The column of the list's table, or of the related table's slug when `through` is set. */
  readonly column: string;
  readonly lookup: Lookup;
  /** The typed value: a string, number, boolean, date string, `Date`, or a list of them for `in`. */
  readonly value: unknown;
  /** A condition on related rows: some row related through this many-to-many field meets it. */
  readonly through?: SlugsField;
}

/** A list request, parsed and bounded. */
export interface ListQuery {
  readonly filters: readonly FilterCondition[];
  readonly terms: readonly string[];
  readonly ordering: readonly { readonly column: string; readonly descending: boolean }[];
}

/** A reference filter's ids, for the caller to check exist (django-filter's `ModelChoiceFilter`). */
export interface RefCheck {
  readonly parameter: string;
  readonly table: string;
  readonly ids: readonly number[];
}

interface FilterParameter {
  readonly name: string;
  readonly field: string;
  readonly declared: Field;
  readonly lookup: Lookup;
  /** The many-to-many field of a related filter (`declared` is then its slug, a text). */
  readonly through?: SlugsField;
}

/** The parameters the reader keeps for itself and pagination: no filter is named so. */
const RESERVED_PARAMETERS = new Set(['search', 'ordering', 'page', 'page_size', 'format']);

/** A related filter's slug as a django-filter `CharFilter` reads it: a text, exact. */
const SLUG: Field = { kind: 'text' };

/**
 * The query parameters of a list and how each is read, built once per list: a declared resource's
 * (`defineResource`), or a hand-written feature's ({@link defineListQuery}).
 */
export class ListQueryReader {
  readonly #filters: readonly FilterParameter[];
  readonly #search: readonly string[];
  /** The sortable fields' columns, `null` when the list takes no `?ordering=`. */
  readonly #ordering: ReadonlyMap<string, string> | null;
  readonly #defaultOrdering: ListQuery['ordering'];
  readonly #descriptions: Readonly<Record<string, string>>;

  /**
   * @param fields - the list's fields
   * @param declaration - its filters, search and ordering
   * @param manyToMany - its many-to-many fields, which `relatedFilters` name
   * @throws Error for a lookup that does not apply to its field's type, a related filter on no
   *   many-to-many field, or two filters of one name (a declaration bug)
   */
  constructor(fields: Fields, declaration: ListDeclaration<Fields>, manyToMany: ManyToManyFields = {}) {
    const filters: FilterParameter[] = Object.entries(declaration.filters ?? {}).flatMap(([name, lookups]) =>
      (lookups ?? []).map((lookup) => {
        const declared = fields[name];
        if (!declared) throw new Error(`filters: no field "${name}"`);
        if (!LOOKUPS_OF[declared.kind].includes(lookup))
          throw new Error(`filters: "${lookup}" does not apply to the ${declared.kind} field "${name}"`);
        return { name: lookup === 'exact' ? name : `${name}__${lookup}`, field: name, declared, lookup };
      }),
    );
    for (const [name, relation] of Object.entries(declaration.relatedFilters ?? {})) {
      const through = Object.hasOwn(manyToMany, relation) ? manyToMany[relation] : undefined;
      if (!through) throw new Error(`relatedFilters: no many-to-many field "${relation}"`);
      filters.push({ name, field: `${relation}__${through.slug}`, declared: SLUG, lookup: 'exact', through });
    }
    const names = new Set<string>();
    for (const { name } of filters) {
      if (names.has(name) || RESERVED_PARAMETERS.has(name) || !/^[a-z][a-z0-9_]*$/.test(name))
        throw new Error(`filters: "${name}" is a reserved, repeated or malformed parameter name`);
      names.add(name);
    }
    this.#filters = filters;
    this.#descriptions = declaration.parameterDescriptions ?? {};
    this.#search = (declaration.search ?? []).map((name) => columnOf(name, fields[name]!));
    this.#ordering = declaration.ordering
      ? new Map([
          ['id', 'id'],
          ...declaration.ordering.map((name): [string, string] => [name, columnOf(name, fields[name]!)]),
        ])
      : null;
    // As Django's `Meta.ordering`, the default order may name any field, sortable by the client or not.
    const every = new Map([
      ['id', 'id'],
      ...Object.entries(fields).map(([name, declared]): [string, string] => [name, columnOf(name, declared)]),
    ]);
    for (const name of declaration.defaultOrdering ?? [])
      if (!every.has(name.replace(/^-/, ''))) throw new Error(`defaultOrdering: no field "${name}"`);
    this.#defaultOrdering = orderingOf(declaration.defaultOrdering ?? [], every);
  }

  /**
   * The query parameters for the OpenAPI document (pagination is the caller's): the filters in
   * their declaration's order, the related filters, then `search` and `ordering`. A text value's
   * schema has the bound every value keeps ({@link LIST_LIMITS}`.valueLength`).
   */
  parameters(): QueryParameters {
    const parameters: Record<string, QueryParameters[string]> = {};
    const described = (name: string, generated: string) => this.#descriptions[name] ?? generated;
    for (const filter of this.#filters) {
      parameters[filter.name] = {
        description: described(filter.name, describeFilter(filter)),
        schema: filterSchema(filter),
        text: true,
        ...(filter.lookup === 'in' ? { commaSeparated: true } : {}),
      };
    }
    if (this.#search.length)
      parameters.search = {
        description: described(
          'search',
          `Terms separated by spaces or commas; a row matches when each term is in one of ${this.#searchFieldNames()} (case-insensitive). At most ${LIST_LIMITS.searchTerms} terms and ${LIST_LIMITS.valueLength} characters, else 400.`,
        ),
        schema: z.string().max(LIST_LIMITS.valueLength),
        text: true,
      };
    if (!this.#ordering) return parameters;
    const sortable = [...this.#ordering.keys()];
    parameters.ordering = {
      description: described(
        'ordering',
        `Fields to sort by, comma-separated, \`-\` before a field for descending; unknown fields are ignored, a repeated one counts once. Ties are broken by \`id\`. At most ${sortable.length} fields and ${LIST_LIMITS.valueLength} characters, else 400.`,
      ),
      schema: z
        .array(z.enum([...sortable, ...sortable.map((f) => `-${f}`)] as [string, ...string[]]))
        .max(sortable.length),
      commaSeparated: true,
      text: true,
    };
    return parameters;
  }

  /**
   * Parses a list request's query values (of a repeated one, the last).
   *
   * @returns the typed query, and the reference ids the caller must find (else django-filter's
   *   "Select a valid choice." under the parameter)
   * @throws {@link ValidationFailedError} (400) with every bad value at once: django-filter's
   *   messages for malformed values, and the bounds of {@link LIST_LIMITS}
   */
  parse(query: Readonly<Record<string, string | string[] | undefined>>): { query: ListQuery; refs: RefCheck[] } {
    const errors: FieldErrors = {};
    const refuse = (name: string, message: Message) =>
      void ((errors[name] as Wording[] | undefined) ??= []).push(message);
    const value = (name: string): string | undefined => {
      const raw = query[name];
      const last = Array.isArray(raw) ? raw.at(-1) : raw;
      if (last !== undefined && last.length > LIST_LIMITS.valueLength)
        refuse(name, MESSAGES.maxLength(LIST_LIMITS.valueLength));
      return last;
    };

    const filters: FilterCondition[] = [];
    const refs: RefCheck[] = [];
    for (const filter of this.#filters) {
      const raw = value(filter.name);
      if (raw === undefined || raw === '' || errors[filter.name]) continue;
      const parsed = parseFilterValue(filter, raw);
      if (parsed.error) refuse(filter.name, parsed.error);
      else if (parsed.value !== undefined) {
        filters.push(
          filter.through
            ? { column: filter.through.slug, lookup: filter.lookup, value: parsed.value, through: filter.through }
            : { column: columnOf(filter.field, filter.declared), lookup: filter.lookup, value: parsed.value },
        );
        if (filter.declared.kind === 'ref' && filter.lookup !== 'isnull')
          refs.push({
            parameter: filter.name,
            table: filter.declared.table,
            ids: [parsed.value].flat() as number[],
          });
      }
    }

    const search = this.#search.length ? value('search') : undefined;
    const terms = (search ?? '')
      .replaceAll('\0', '')
      .split(/[\s,]+/)
      .filter(Boolean);
    if (terms.length > LIST_LIMITS.searchTerms)
      refuse('search', text('listMaxLength', { max_length: LIST_LIMITS.searchTerms }));

    const named = ((this.#ordering && value('ordering')) ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    if (this.#ordering && named.length > this.#ordering.size)
      refuse('ordering', text('listMaxLength', { max_length: this.#ordering.size }));

    if (Object.keys(errors).length) throw validationError(errors);
    const ordering = orderingOf(named, this.#ordering ?? BY_ID);
    return {
      query: { filters, terms, ordering: ordering.length ? ordering : this.#defaultOrdering },
      refs,
    };
  }

  /**
   * Applies a parsed list query to a query of the list's table.
   *
   * @param builder - the query, its table aliased or not; `table` qualifies the columns
   * @param table - the table's name or alias in `builder`, e.g. `u` for `auth_user as u`
   */
  apply(builder: Knex.QueryBuilder, listQuery: ListQuery, table: string): Knex.QueryBuilder {
    const column = (name: string) => `${table}.${name}`;
    for (const { column: name, lookup, value, through } of listQuery.filters) {
      if (through) applyRelatedFilter(builder, column('id'), through, lookup, value);
      else applyFilter(builder, column(name), lookup, value);
    }
    for (const term of listQuery.terms) {
      const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      builder.where((q) => {
        for (const name of this.#search) q.orWhereRaw(`?? ILIKE ? ESCAPE '\\'`, [column(name), pattern]);
      });
    }
    for (const { column: name, descending } of listQuery.ordering)
      builder.orderBy(column(name), descending ? 'desc' : 'asc');
    return builder.orderBy(column('id'), 'asc');
  }

  #searchFieldNames(): string {
    return this.#search.map((name) => `\`${name}\``).join(', ');
  }
}

/**
 * The reader of a list that is no declared resource: a hand-written feature's, from a declaration
 * of the fields its list filters, searches and sorts by (each field's column has its name).
 *
 * @param fields - the list's fields (those the declaration names suffice)
 * @param declaration - its filters, related filters, search, ordering and parameter descriptions
 * @param manyToMany - the many-to-many fields its related filters go through
 * @throws Error for a declaration that cannot work, as {@link ListQueryReader}'s constructor
 * @example
 * const userList = defineListQuery(
 *   { username: field.string(150), is_active: field.boolean() },
 *   { filters: { is_active: ['exact'] }, relatedFilters: { group: 'groups' }, search: ['username'] },
 *   { groups: field.slugs({ table: 'auth_group', slug: 'name', through: 'auth_user_groups', from: 'user_id', to: 'group_id' }) },
 * );
 */
export function defineListQuery<
  const F extends Fields,
  const R extends ManyToManyFields = Readonly<Record<never, never>>,
>(fields: F, declaration: ListDeclaration<F, R>, manyToMany?: R): ListQueryReader {
  for (const name of [...(declaration.search ?? []), ...(declaration.ordering ?? [])])
    if (!Object.hasOwn(fields, name)) throw new Error(`no field "${name}" to search or sort by`);
  return new ListQueryReader(fields, declaration as ListDeclaration<Fields>, manyToMany);
}

/** The sortable columns of a list that takes no `?ordering=`: its default ordering may name `id`. */
const BY_ID: ReadonlyMap<string, string> = new Map([['id', 'id']]);

/** The columns of the sortable fields named (`-` for descending), unknown and repeated ones left out. */
function orderingOf(named: readonly string[], sortable: ReadonlyMap<string, string>): ListQuery['ordering'] {
  const ordering = new Map<string, boolean>();
  for (const name of named) {
    const column = sortable.get(name.replace(/^-/, ''));
    if (column !== undefined && !ordering.has(column)) ordering.set(column, name.startsWith('-'));
  }
  return [...ordering].map(([column, descending]) => ({ column, descending }));
}

/** The lookups each field type takes. */
const LOOKUPS_OF: Readonly<Record<Field['kind'], readonly Lookup[]>> = {
  string: ['exact', 'iexact', 'icontains', 'in', 'isnull'],
  text: ['exact', 'iexact', 'icontains', 'isnull'],
  integer: ['exact', 'in', 'gt', 'gte', 'lt', 'lte', 'isnull'],
  decimal: ['exact', 'in', 'gt', 'gte', 'lt', 'lte', 'isnull'],
  boolean: ['exact', 'isnull'],
  date: ['exact', 'gt', 'gte', 'lt', 'lte', 'isnull'],
  datetime: ['exact', 'gt', 'gte', 'lt', 'lte', 'isnull'],
  ref: ['exact', 'in', 'isnull'],
};

const BOOLEAN_VALUES: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

/**
 * One value as django-filter's form field reads it: `{ value }` (`undefined`: ignored, as its
 * `BooleanWidget` ignores what is not a boolean), or `{ error }` with the form field's message.
 */
function parseFilterValue(filter: FilterParameter, raw: string): { value?: unknown; error?: Message } {
  if (filter.lookup === 'isnull') return { value: BOOLEAN_VALUES.get(raw.toLowerCase()) };
  if (filter.lookup === 'in') {
    const values = raw.split(',');
    if (values.length > LIST_LIMITS.inValues)
      return { error: text('listMaxLength', { max_length: LIST_LIMITS.inValues }) };
    const parsed = values.map((one) => parseOne(filter.declared, one));
    const failed = parsed.find((one) => one.error);
    return failed ?? { value: parsed.map((one) => one.value) };
  }
  return parseOne(filter.declared, raw);
}

function parseOne(declared: Field, raw: string): { value?: unknown; error?: Message } {
  switch (declared.kind) {
    // Only a text field (a form `CharField`) refuses NUL; the others read it as a malformed value.
    case 'string':
    case 'text':
      return raw.includes('\0') ? { error: MESSAGES.nullCharacters } : { value: raw };
    case 'boolean':
      return { value: BOOLEAN_VALUES.get(raw.toLowerCase()) };
    case 'integer':
    case 'decimal': {
      const trimmed = raw.trim();
      return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(trimmed) ? { value: trimmed } : { error: text('filterNumber') };
    }
    case 'ref': {
      const trimmed = raw.trim();
      return /^\d{1,9}$/.test(trimmed) ? { value: Number(trimmed) } : { error: text('filterChoice') };
    }
    case 'date': {
      const date = parseDate(raw.trim());
      return date ? { value: date } : { error: text('filterDate') };
    }
    case 'datetime': {
      const at = parseDateTime(raw.trim());
      return at ? { value: at } : { error: text('filterDatetime') };
    }
  }
}

const COMPARISONS: Readonly<Partial<Record<Lookup, string>>> = { exact: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

function applyFilter(builder: Knex.QueryBuilder, column: string, lookup: Lookup, value: unknown): void {
  switch (lookup) {
    case 'isnull':
      if (value) builder.whereNull(column);
      else builder.whereNotNull(column);
      return;
    case 'in':
      builder.whereIn(column, value as Knex.Value[]);
      return;
    case 'iexact':
      builder.whereRaw('upper(??) = upper(?)', [column, value as string]);
      return;
    case 'icontains':
      builder.whereRaw(`?? ILIKE ? ESCAPE '\\'`, [
        column,
        `%${(value as string).replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      ]);
      return;
    default:
      builder.where(column, COMPARISONS[lookup]!, value as Knex.Value);
  }
}

/** Keeps the rows some related row of which (through `through`) meets the condition on its slug. */
function applyRelatedFilter(
  builder: Knex.QueryBuilder,
  id: string,
  through: SlugsField,
  lookup: Lookup,
  value: unknown,
): void {
  const pairs = `${through.through}__through`;
  const related = `${through.through}__related`;
  builder.whereExists((sub) => {
    sub
      .select(`${pairs}.${through.from}`)
      .from({ [pairs]: through.through })
      .join({ [related]: through.table }, `${related}.id`, `${pairs}.${through.to}`)
      .whereRaw('?? = ??', [`${pairs}.${through.from}`, id]);
    applyFilter(sub, `${related}.${through.slug}`, lookup, value);
  });
}

function describeFilter(filter: FilterParameter): string {
  if (filter.through)
    return `Only rows related to a \`${filter.field.split('__')[0]}\` row whose \`${filter.through.slug}\` is the value; empty: no filter.`;
  const what: Record<Lookup, string> = {
    exact: 'equal to',
    iexact: 'equal, ignoring case, to',
    icontains: 'containing, ignoring case,',
    in: 'one of (comma-separated)',
    gt: 'greater than',
    gte: 'greater than or equal to',
    lt: 'less than',
    lte: 'less than or equal to',
    isnull: 'empty (`true`) or not (`false`) —',
  };
  const bad =
    filter.lookup === 'isnull' || filter.declared.kind === 'boolean'
      ? 'a value that is not a boolean is ignored'
      : filter.declared.kind === 'ref'
        ? 'an id that does not exist is 400'
        : filter.declared.kind === 'string' || filter.declared.kind === 'text'
          ? 'empty: no filter'
          : 'a malformed value is 400';
  return `Only rows whose \`${filter.field}\` is ${what[filter.lookup]} the value; ${bad}.`;
}

function filterSchema(filter: FilterParameter): z.ZodType {
  if (filter.lookup === 'isnull') return z.boolean();
  const { kind } = filter.declared;
  const one =
    kind === 'string' || kind === 'text' ? z.string().max(LIST_LIMITS.valueLength) : valueSchemaOf(filter.declared);
  return filter.lookup === 'in' ? z.array(one) : one;
}
