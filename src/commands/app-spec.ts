/**
 * What `startapp` is asked to make, parsed and checked before anything is written: the resource's
 * names (plural, model, table) and its fields from `<name>:<type>[:unique][:optional]` arguments.
 * Pure: the project's own names (folders, tables, routes) are checked by the command.
 *
 * @module
 */

/** The type of a field as `startapp` takes it, with its parameters. */
export type FieldType =
  | { readonly kind: 'string'; readonly maxLength: number }
  | { readonly kind: 'text' | 'integer' | 'boolean' | 'date' | 'datetime' }
  | { readonly kind: 'decimal'; readonly maxDigits: number; readonly decimalPlaces: number }
  | {
      readonly kind: 'ref';
      /** `user`, or the name of a declared resource (or of the resource being made). */
      readonly target: string;
      readonly table: string;
      readonly model: string;
    };

/** One field of the resource being made. */
export interface FieldSpec {
  /** Its name in bodies and representations (snake_case); a reference's column adds `_id`. */
  readonly name: string;
  readonly type: FieldType;
  readonly unique: boolean;
  readonly optional: boolean;
}

/** The resource `startapp` makes. */
export interface AppSpec {
  /** The folder, feature and resource name, and the path segment: `projects`, `order-items`. */
  readonly plural: string;
  /** The model: the permissions' suffix (`add_project`), lower-case letters and digits. */
  readonly model: string;
  /** The table: the plural with `_` for `-`. */
  readonly table: string;
  /** The exported constant of its declaration: the plural in camelCase. */
  readonly identifier: string;
  readonly fields: readonly FieldSpec[];
  /** Whether rows have an owner (the creating user) who may act on them without the model permissions. */
  readonly owner: boolean;
}

/** A declared resource a `ref:<resource>` may name. */
export interface RefTarget {
  readonly name: string;
  readonly table: string;
  readonly model: string;
}

/** The default length of a `string` field, as Django's `CharField` is usually declared. */
export const DEFAULT_MAX_LENGTH = 255;
/** The default digits of a `decimal` field: in total, and after the point. */
export const DEFAULT_DECIMAL = { maxDigits: 12, decimalPlaces: 2 } as const;

/** The field types, as the usage line and the errors name them. */
export const TYPE_NAMES =
  'string, string(N), text, integer, decimal, decimal(P,S), boolean, date, datetime, ref:<resource>, ref:user';

/** Names a list request reads from the query string, or that every representation has. */
const RESOURCE_WORDS = ['id', 'search', 'ordering', 'page', 'page_size', 'format'];

/** Words JavaScript reserves, or that objects already have: no field, model or constant takes them. */
// prettier-ignore
const JS_WORDS = [
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'constructor', 'continue', 'debugger',
  'default', 'delete', 'do', 'else', 'enum', 'eval', 'export', 'extends', 'false', 'finally', 'for',
  'function', 'if', 'implements', 'import', 'in', 'instanceof', 'interface', 'let', 'new', 'null',
  'package', 'private', 'protected', 'prototype', 'public', 'return', 'static', 'super', 'switch', 'this',
  'throw', 'true', 'try', 'typeof', 'undefined', 'var', 'void', 'while', 'with', 'yield',
];

/** PostgreSQL's reserved key words (also those reserved but as a function or type name). */
// prettier-ignore
const SQL_WORDS = [
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'authorization', 'binary',
  'both', 'case', 'cast', 'check', 'collate', 'collation', 'column', 'concurrently', 'constraint', 'create',
  'cross', 'current_catalog', 'current_date', 'current_role', 'current_schema', 'current_time',
  'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do', 'else', 'end',
  'except', 'false', 'fetch', 'for', 'foreign', 'freeze', 'from', 'full', 'grant', 'group', 'having', 'ilike',
  'in', 'initially', 'inner', 'intersect', 'into', 'is', 'isnull', 'join', 'lateral', 'leading', 'left', 'like',
  'limit', 'localtime', 'localtimestamp', 'natural', 'not', 'notnull', 'null', 'offset', 'on', 'only', 'or',
  'order', 'outer', 'overlaps', 'placing', 'primary', 'references', 'returning', 'right', 'select',
  'session_user', 'similar', 'some', 'symmetric', 'system_user', 'table', 'tablesample', 'then', 'to',
  'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'verbose', 'when', 'where', 'window',
  'with',
];

/** The names the generated modules import or declare, which the resource's constant must not shadow. */
// prettier-ignore
const GENERATED_NAMES = [
  'api', 'bearer', 'defineFeature', 'defineResource', 'expect', 'feature', 'field', 'makeGroup', 'makeUser',
  'ownerRules', 'testKnex',
];

const RESERVED_FIELDS = new Set([...RESOURCE_WORDS, ...JS_WORDS, ...SQL_WORDS]);
const RESERVED_NAMES = new Set([...JS_WORDS, ...SQL_WORDS, ...GENERATED_NAMES]);

const PLURAL = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MODEL = /^[a-z][a-z0-9]*$/;
const FIELD = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** PostgreSQL's identifiers are cut at 63 bytes; a reference's column adds `_id`. */
const MAX_NAME = 59;

/**
 * The model of a plural: English's regular plurals undone, `-` dropped (`order-items` → `orderitem`).
 *
 * @returns the singular, or `null` when the plural has no regular ending (`--model` must say it)
 */
export function singularOf(plural: string): string | null {
  const word = plural.replaceAll('-', '');
  if (/[^aeiou]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(?:s|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (/[^s]s$/.test(word)) return word.slice(0, -1);
  return null;
}

/** The camelCase of a plural: `order-items` → `orderItems`. */
function camelCase(plural: string): string {
  return plural.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * Checks that a plural can name a folder, a path segment and a table.
 *
 * @throws Error unless it is lower-case words of letters and digits joined by `-`
 */
export function checkPlural(plural: string): void {
  if (!PLURAL.test(plural) || plural.length > MAX_NAME)
    throw new Error(
      `plural "${plural}": lower-case letters and digits, words joined by "-" (projects, order-items), at most ${MAX_NAME} characters`,
    );
}

/**
 * Reads the plural and the model.
 *
 * @throws Error naming what is wrong: a plural that is not a lower-case path segment, one with no
 *   regular singular and no `--model`, a model or name that is a reserved word
 */
export function parseNames(plural: string, model?: string): Pick<AppSpec, 'plural' | 'model' | 'table' | 'identifier'> {
  checkPlural(plural);
  const singular = model ?? singularOf(plural);
  if (singular === null)
    throw new Error(`plural "${plural}": not a regular English plural; name the model with --model <singular>`);
  if (!MODEL.test(singular) || singular.length > MAX_NAME)
    throw new Error(`model "${singular}": lower-case letters and digits, as Django names a model (orderitem)`);
  const table = plural.replaceAll('-', '_');
  const identifier = camelCase(plural);
  for (const [what, name] of [
    ['plural', plural],
    ['table', table],
    ['constant', identifier],
    ['model', singular],
  ] as const)
    if (RESERVED_NAMES.has(name))
      throw new Error(
        `${what} "${name}": a reserved word of JavaScript or SQL${what === 'model' ? ' (choose another with --model)' : ''}`,
      );
  return { plural, model: singular, table, identifier };
}

/** Reads the type part of a field argument. */
function parseType(
  name: string,
  type: string,
  target: string | undefined,
  own: RefTarget,
  known: readonly RefTarget[],
) {
  const sized = /^(string|decimal)\((\d+)(?:,\s*(\d+))?\)$/.exec(type);
  if (type === 'string') return { kind: 'string', maxLength: DEFAULT_MAX_LENGTH } as const;
  if (type === 'decimal') return { kind: 'decimal', ...DEFAULT_DECIMAL } as const;
  if (sized?.[1] === 'string' && sized[3] === undefined) {
    const maxLength = Number(sized[2]);
    if (maxLength < 1 || maxLength > 10_485_760)
      throw new Error(`field "${name}": a string's length is from 1 to 10485760 (PostgreSQL's varchar)`);
    return { kind: 'string', maxLength } as const;
  }
  if (sized?.[1] === 'decimal' && sized[3] !== undefined) {
    const [maxDigits, decimalPlaces] = [Number(sized[2]), Number(sized[3])];
    if (maxDigits < 1 || maxDigits > 1000 || decimalPlaces > maxDigits)
      throw new Error(`field "${name}": decimal(P,S) needs 1 <= P <= 1000 and S <= P (PostgreSQL's numeric)`);
    return { kind: 'decimal', maxDigits, decimalPlaces } as const;
  }
  if (['text', 'integer', 'boolean', 'date', 'datetime'].includes(type))
    return { kind: type as 'text' | 'integer' | 'boolean' | 'date' | 'datetime' } as const;
  if (type === 'ref') {
    if (!target) throw new Error(`field "${name}": ref needs its target, ref:user or ref:<resource>`);
    if (target === 'user') return { kind: 'ref', target, table: 'auth_user', model: 'user' } as const;
    const found = [own, ...known].find((resource) => resource.name === target);
    if (!found) {
      const names = known.map((resource) => resource.name).join(', ') || 'none';
      throw new Error(
        `field "${name}": no declared resource "${target}" to refer to (declared: ${names}; or ref:user)`,
      );
    }
    return { kind: 'ref', target, table: found.table, model: found.model } as const;
  }
  throw new Error(`field "${name}": unknown type "${type}" (${TYPE_NAMES})`);
}

/**
 * Reads the field arguments.
 *
 * @param args - `name:string:unique`, `notes:text:optional`, `category:ref:categories`, …
 * @param own - the resource being made (a reference to it must be optional)
 * @param known - the declared resources a reference may name
 * @param owner - whether `--owner` adds an `owner` field
 * @throws Error naming the argument and what is wrong with it
 */
export function parseFields(
  args: readonly string[],
  own: RefTarget,
  known: readonly RefTarget[],
  owner: boolean,
): FieldSpec[] {
  if (args.length === 0) throw new Error('no fields: give at least one, e.g. name:string');
  const fields: FieldSpec[] = [];
  for (const arg of args) {
    const [name = '', type, ...rest] = arg.split(':');
    if (!FIELD.test(name) || name.length > MAX_NAME)
      throw new Error(`field "${name}": snake_case (lower-case letters and digits, words joined by "_")`);
    if (RESERVED_FIELDS.has(name))
      throw new Error(`field "${name}": a reserved word (of the list query, JavaScript or SQL)`);
    if (owner && name === 'owner') throw new Error('field "owner": --owner adds it; leave it out');
    if (type === undefined || type === '') throw new Error(`field "${name}": give a type, e.g. ${name}:string`);
    const target = type === 'ref' ? rest.shift() : undefined;
    const parsed: FieldType = parseType(name, type, target, own, known);
    const modifiers = new Set<string>();
    for (const modifier of rest) {
      if (modifier !== 'unique' && modifier !== 'optional')
        throw new Error(`field "${name}": unknown modifier "${modifier}" (unique, optional)`);
      modifiers.add(modifier);
    }
    if (parsed.kind === 'ref' && name.endsWith('_id'))
      throw new Error(`field "${name}": name a reference without "_id" (its column adds it)`);
    if (parsed.kind === 'ref' && parsed.target === own.name && !modifiers.has('optional'))
      throw new Error(`field "${name}": a reference to ${own.name} itself must be optional (the first row has none)`);
    fields.push({ name, type: parsed, unique: modifiers.has('unique'), optional: modifiers.has('optional') });
  }
  const columns = new Set<string>(owner ? ['owner_id'] : []);
  for (const spec of fields) {
    const column = spec.type.kind === 'ref' ? `${spec.name}_id` : spec.name;
    if (columns.has(column) || fields.filter((other) => other.name === spec.name).length > 1)
      throw new Error(`field "${spec.name}": given twice (or its column ${column} is another field's)`);
    columns.add(column);
  }
  return fields;
}
