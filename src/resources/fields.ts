/**
 * The fields a resource declares, with DRF's semantics: what a body may send for each (a zod
 * schema whose messages are DRF's to the letter), how a row's value is represented, and what the
 * OpenAPI document says of both. One declaration per field; the router, the filters and the
 * document all read it.
 *
 * @module
 */
import { z } from 'zod';
import { charField, booleanField, slugListField } from '../http/fields.js';
import { text, zodError, type Message, type Wording } from '../i18n/translate.js';
import { MESSAGES, pythonType } from '../drf-wordings.js';

/** What every field may say besides its type. */
export interface FieldOptions {
  /** The field's label in messages (`project with this name already exists.`); the field's name by default, `_` as spaces. */
  readonly label?: Wording;
  /**
   * Not required in a body: a string or text then defaults to `''` (Django's `blank=True`), any
   * other type to `null` (`null=True`).
   */
  readonly optional?: boolean;
  /** Never written by a body: set by the server (an owner), shown in the representation. */
  readonly readOnly?: boolean;
  /** No two rows share a value: `<model> with this <label> already exists.` */
  readonly unique?: boolean;
  /** One line for the OpenAPI document. */
  readonly description?: string;
}

/** DRF's `CharField(max_length=…)` over a `varchar`. */
export interface StringField extends FieldOptions {
  readonly kind: 'string';
  readonly maxLength: number;
}
/** DRF's `CharField()` over `text`: no length bound. */
export interface TextField extends FieldOptions {
  readonly kind: 'text';
}
/** DRF's `IntegerField` over a PostgreSQL `integer` (its range, unless narrowed). */
export interface IntegerField extends FieldOptions {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
}
/** DRF's `DecimalField(max_digits, decimal_places)` over `numeric`: a string in JSON, as DRF answers it. */
export interface DecimalField extends FieldOptions {
  readonly kind: 'decimal';
  readonly maxDigits: number;
  readonly decimalPlaces: number;
}
/** DRF's `BooleanField`. */
export interface BooleanField extends FieldOptions {
  readonly kind: 'boolean';
}
/** DRF's `DateField`: `YYYY-MM-DD`. */
export interface DateField extends FieldOptions {
  readonly kind: 'date';
}
/** DRF's `DateTimeField`: ISO 8601 in, UTC out. */
export interface DateTimeField extends FieldOptions {
  readonly kind: 'datetime';
}
/** DRF's `PrimaryKeyRelatedField`: the id of a row of another table (a resource's, or `auth_user`). */
export interface RefField extends FieldOptions {
  readonly kind: 'ref';
  /** The table referred to, e.g. `auth_user`. */
  readonly table: string;
  /** Its model name, in messages and the document, e.g. `user`. */
  readonly model: string;
}

/** Any field. */
export type Field =
  StringField | TextField | IntegerField | DecimalField | BooleanField | DateField | DateTimeField | RefField;

/** A resource's fields by name (the column has the same name; a `ref` column ends in `_id`). */
export type Fields = Readonly<Record<string, Field>>;

/**
 * DRF's `SlugRelatedField(slug_field=…, many=True)` over Django's `ManyToManyField`: the related
 * rows named by a unique column of theirs (`["add_user", "view_user"]`), answered sorted. It is no
 * column of the resource's table but a table of pairs, so a declaration lists it under
 * `manyToMany`: selected with the rows in the same statement, written after the row in the same
 * transaction.
 */
export interface SlugsField {
  readonly kind: 'slugs';
  /** The related table, e.g. `auth_permission`; its primary key is an integer `id`. */
  readonly table: string;
  /** Its unique column that names a row, e.g. `codename` (`Object with codename=x does not exist.`). */
  readonly slug: string;
  /** The table of the pairs, e.g. `auth_group_permissions`. */
  readonly through: string;
  /** Its column holding the resource's row id, e.g. `group_id`. */
  readonly from: string;
  /** Its column holding the related row id, e.g. `permission_id`. */
  readonly to: string;
  /** Not required in a body: a create without it relates nothing, a change without it keeps the set. */
  readonly optional?: boolean;
  /** One line for the OpenAPI document. */
  readonly description?: string;
}

/** A resource's many-to-many fields by name. */
export type ManyToManyFields = Readonly<Record<string, SlugsField>>;

/** The JSON value of a field in a representation: `null` possible when it is optional (and not text), or a read-only reference. */
export type FieldValue<F extends Field> = F extends StringField | TextField
  ? string
  : F extends BooleanField
    ? boolean
    : | (F extends IntegerField | RefField ? number : string)
      | (true extends F['optional'] ? null : never)
      | (F extends RefField ? (true extends F['readOnly'] ? null : never) : never);

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

/**
 * The field builders a declaration uses.
 *
 * @example
 * fields: { name: field.string(100, { unique: true }), budget: field.decimal(12, 2, { optional: true }) }
 */
export const field = {
  /** A `varchar` of at most `maxLength` characters. */
  string: <const O extends FieldOptions>(maxLength: number, options?: O) =>
    ({ kind: 'string', maxLength, ...options }) as StringField & O,
  /** A `text`, of any length. */
  text: <const O extends FieldOptions>(options?: O) => ({ kind: 'text', ...options }) as TextField & O,
  /** An `integer`, within `min` and `max` (PostgreSQL's range by default). */
  integer: <const O extends FieldOptions & { min?: number; max?: number }>(options?: O) =>
    ({ kind: 'integer', ...options, min: options?.min ?? INT_MIN, max: options?.max ?? INT_MAX }) as IntegerField & O,
  /** A `numeric(maxDigits, decimalPlaces)`. */
  decimal: <const O extends FieldOptions>(maxDigits: number, decimalPlaces: number, options?: O) =>
    ({ kind: 'decimal', maxDigits, decimalPlaces, ...options }) as DecimalField & O,
  /** A `boolean`. */
  boolean: <const O extends FieldOptions>(options?: O) => ({ kind: 'boolean', ...options }) as BooleanField & O,
  /** A `date`. */
  date: <const O extends FieldOptions>(options?: O) => ({ kind: 'date', ...options }) as DateField & O,
  /** A `timestamptz`. */
  datetime: <const O extends FieldOptions>(options?: O) => ({ kind: 'datetime', ...options }) as DateTimeField & O,
  /** A reference to a user (`auth_user`), by id. */
  user: <const O extends FieldOptions>(options?: O) =>
    ({ kind: 'ref', table: 'auth_user', model: 'user', ...options }) as RefField & O,
  /** A reference to a row of another resource's table, by id. */
  ref: <const O extends FieldOptions>(target: { readonly table: string; readonly model: string }, options?: O) =>
    ({ kind: 'ref', table: target.table, model: target.model, ...options }) as RefField & O,
  /**
   * A many-to-many relation by slug, for a declaration's `manyToMany`.
   *
   * @example
   * permissions: field.slugs({ table: 'auth_permission', slug: 'codename', through: 'auth_group_permissions', from: 'group_id', to: 'permission_id' })
   */
  slugs: <const O extends Omit<SlugsField, 'kind'>>(declaration: O) =>
    ({ kind: 'slugs', ...declaration }) as SlugsField & O,
} as const;

/** The column of a field: its name, with `_id` after a reference's (Django's `ForeignKey`). */
export function columnOf(name: string, declared: Field): string {
  return declared.kind === 'ref' ? `${name}_id` : name;
}

/** The label of a field in messages: its own, or its name with spaces. */
export function labelOf(name: string, declared: Field): Wording {
  return declared.label ?? name.replaceAll('_', ' ');
}

/**
 * The body schema of a many-to-many field: a list of strings (`Expected a list of items but got
 * type "str".`), required unless optional; whether each names a row is the database check's.
 */
export function slugsInputSchemaOf(declared: SlugsField): z.ZodType {
  return declared.optional ? slugListField().optional() : slugListField();
}

/** The JSON schema of a many-to-many field in a representation: the slugs, sorted. */
export function slugsOutputSchemaOf(declared: SlugsField): z.ZodType {
  const schema = z.array(z.string());
  return declared.description ? schema.meta({ description: declared.description }) : schema;
}

/** A value that is not there: the field's `required` or `null` message. */
const absent = (input: unknown) => (input === undefined ? MESSAGES.required : MESSAGES.null);

/** Reports a field's message to zod, which carries it to the 400's field errors. */
function report(ctx: z.RefinementCtx, message: Message): void {
  ctx.addIssue({ code: 'custom', message: zodError(message) });
}

/** DRF's `IntegerField.to_internal_value`: an integer, or a string of one (`"12"`, `"12.0"`). */
function integerOf(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const match = /^\s*([+-]?\d+)(?:\.0*)?\s*$/.exec(input);
  return match ? Number(match[1]) : undefined;
}

function integerSchema(declared: IntegerField) {
  return z.unknown().transform((input, ctx) => {
    if (input === undefined || input === null) {
      report(ctx, absent(input));
      return z.NEVER;
    }
    const value = integerOf(input);
    if (value === undefined || !Number.isSafeInteger(value)) {
      report(ctx, text('integer'));
      return z.NEVER;
    }
    if (value > declared.max) report(ctx, text('maxValue', { max_value: declared.max }));
    if (value < declared.min) report(ctx, text('minValue', { min_value: declared.min }));
    return value;
  });
}

/** A decimal's digits as Python's `Decimal.as_tuple()` counts them. */
function decimalDigits(value: string): { total: number; places: number } | undefined {
  const match = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) return undefined;
  const fraction = match[2] ?? '';
  const digits = (match[1]! + fraction).replace(/^0+/, '') || '0';
  const exponent = Number(match[3] ?? 0) - fraction.length;
  if (exponent >= 0) return { total: digits.length + exponent, places: 0 };
  const places = -exponent;
  return { total: Math.max(digits.length, places), places };
}

function decimalSchema(declared: DecimalField) {
  const wholeDigits = declared.maxDigits - declared.decimalPlaces;
  return z.unknown().transform((input, ctx) => {
    if (input === undefined || input === null) {
      report(ctx, absent(input));
      return z.NEVER;
    }
    const raw = typeof input === 'number' && Number.isFinite(input) ? String(input) : input;
    const value = typeof raw === 'string' ? raw.trim() : undefined;
    const digits = value === undefined ? undefined : decimalDigits(value);
    if (value === undefined || !digits) {
      report(ctx, text('number'));
      return z.NEVER;
    }
    // DRF stops at the first bound a value exceeds, in this order.
    const exceeded =
      digits.total > declared.maxDigits
        ? text('maxDigits', { max_digits: declared.maxDigits })
        : digits.places > declared.decimalPlaces
          ? text('maxDecimalPlaces', { max_decimal_places: declared.decimalPlaces })
          : digits.total - digits.places > wholeDigits
            ? text('maxWholeDigits', { max_whole_digits: wholeDigits })
            : null;
    if (exceeded) {
      report(ctx, exceeded);
      return z.NEVER;
    }
    return value;
  });
}

const DATE_FORMAT = 'YYYY-MM-DD';
const DATETIME_FORMAT = 'YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]';

/** A calendar date of `YYYY-MM-DD` (Django's `parse_date`), normalised, or `undefined`. */
export function parseDate(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(input);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

/**
 * An ISO 8601 date and time (Django's `parse_datetime`: `T` or a space, seconds and fractions
 * optional, `Z` or an offset; without one, UTC), or a date alone (midnight UTC), or `undefined`.
 */
export function parseDateTime(input: unknown): Date | undefined {
  if (typeof input !== 'string') return undefined;
  const dateOnly = parseDate(input);
  if (dateOnly) return new Date(`${dateOnly}T00:00:00Z`);
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      input,
    );
  if (!match) return undefined;
  const day = parseDate(`${match[1]}-${match[2]}-${match[3]}`);
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6] ?? 0)];
  if (!day || hour > 23 || minute > 59 || second > 59) return undefined;
  const micro = (match[7] ?? '').padEnd(6, '0').slice(0, 3);
  const zone = match[8] ?? 'Z';
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(3).replace(':', '') || '00'}`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const parsed = new Date(`${day}T${pad(hour)}:${pad(minute)}:${pad(second)}.${micro || '000'}${offset}`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function formatSchema<T>(parse: (input: unknown) => T | undefined, message: Message) {
  return z.unknown().transform((input, ctx) => {
    if (input === undefined || input === null) {
      report(ctx, absent(input));
      return z.NEVER;
    }
    const value = parse(input);
    if (value === undefined) {
      report(ctx, message);
      return z.NEVER;
    }
    return value;
  });
}

/**
 * DRF's `PrimaryKeyRelatedField.to_internal_value` up to the lookup: an integer id, or its
 * `incorrect_type` message (the lookup, in the database check, gives `Invalid pk "9" - object
 * does not exist.`).
 */
function refSchema() {
  return z.unknown().transform((input, ctx) => {
    if (input === undefined || input === null) {
      report(ctx, absent(input));
      return z.NEVER;
    }
    const id = typeof input === 'boolean' ? undefined : integerOf(input);
    if (id === undefined) {
      report(ctx, text('pkIncorrectType', { data_type: pythonType(input) }));
      return z.NEVER;
    }
    return id;
  });
}

/**
 * The body schema of fields (the writable ones of a resource, or an extra action's body), each as
 * {@link inputSchemaOf} validates it, then the many-to-many ones, each as {@link slugsInputSchemaOf}.
 */
export function bodySchemaOf(fields: Fields, manyToMany: ManyToManyFields = {}): z.ZodObject {
  return z.object({
    ...Object.fromEntries(
      Object.entries(fields)
        .filter(([, declared]) => !declared.readOnly)
        .map(([name, declared]) => [name, inputSchemaOf(declared)]),
    ),
    ...Object.fromEntries(Object.entries(manyToMany).map(([name, declared]) => [name, slugsInputSchemaOf(declared)])),
  });
}

/**
 * The body schema of one field, as DRF's field for it validates: required unless optional, `null`
 * accepted for an optional field that is not text, `''` for an optional text.
 *
 * @param declared - the field
 * @returns its zod schema; its output is the value written to the column
 */
export function inputSchemaOf(declared: Field): z.ZodType {
  const schema = requiredSchemaOf(declared);
  if (!declared.optional) return schema;
  return declared.kind === 'string' || declared.kind === 'text' ? schema.optional() : schema.nullable().optional();
}

function requiredSchemaOf(declared: Field): z.ZodType {
  switch (declared.kind) {
    case 'string':
      return charField({ maxLength: declared.maxLength, allowBlank: declared.optional ?? false });
    case 'text':
      return charField({ allowBlank: declared.optional ?? false });
    case 'integer':
      return integerSchema(declared).meta({ type: 'integer', minimum: declared.min, maximum: declared.max });
    case 'decimal':
      return decimalSchema(declared).meta({
        type: 'string',
        format: 'decimal',
        pattern: `^-?\\d{0,${declared.maxDigits - declared.decimalPlaces}}(?:\\.\\d{0,${declared.decimalPlaces}})?$`,
      });
    case 'boolean':
      return booleanField();
    case 'date':
      return formatSchema(parseDate, text('dateFormat', { format: DATE_FORMAT })).meta({
        type: 'string',
        format: 'date',
      });
    case 'datetime':
      return formatSchema(parseDateTime, text('datetimeFormat', { format: DATETIME_FORMAT })).meta({
        type: 'string',
        format: 'date-time',
      });
    case 'ref':
      return refSchema().meta({ type: 'integer', description: `The id of a ${declared.model}.` });
  }
}

/**
 * The JSON schema of a field's value in a representation.
 *
 * @param declared - the field
 * @returns its zod schema (for the OpenAPI document and the tests that hold answers to it)
 */
export function outputSchemaOf(declared: Field): z.ZodType {
  const schema = declared.kind === 'integer' ? z.int().min(declared.min).max(declared.max) : valueSchemaOf(declared);
  const nullable = declared.kind !== 'string' && declared.kind !== 'text' && declared.kind !== 'boolean';
  const described = declared.description ? schema.meta({ description: declared.description }) : schema;
  // A read-only reference loses its row (an owner deleted: `SET NULL`); other read-only values the server sets.
  const absent = declared.optional || (declared.readOnly && declared.kind === 'ref');
  return nullable && absent ? described.nullable() : described;
}

/**
 * The JSON schema of one value of a field's type, as a representation has it and a filter takes
 * it: a decimal as a string, a date as `YYYY-MM-DD`, a time in ISO 8601, a reference as its id.
 *
 * @param declared - the field
 */
export function valueSchemaOf(declared: Field): z.ZodType {
  switch (declared.kind) {
    case 'string':
    case 'text':
      return z.string();
    case 'integer':
      return z.int();
    case 'decimal':
      return z.string().meta({ format: 'decimal' });
    case 'boolean':
      return z.boolean();
    case 'date':
      return z.iso.date();
    case 'datetime':
      return z.iso.datetime({ offset: true });
    case 'ref':
      return z.int().meta({ description: `The id of a ${declared.model}.` });
  }
}

/**
 * A column's value as the API represents it: a decimal as the database's string (padded to its
 * places), a date as `YYYY-MM-DD`, a time in UTC ISO 8601, a reference as its id.
 *
 * @param declared - the field
 * @param value - the value as the driver returned it (the list selects dates as text)
 */
export function represent(declared: Field, value: unknown): unknown {
  if (value === null || value === undefined)
    return declared.kind === 'string' || declared.kind === 'text' ? '' : declared.kind === 'boolean' ? false : null;
  switch (declared.kind) {
    case 'integer':
    case 'ref':
      return Number(value);
    case 'decimal':
      return String(value);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
    case 'datetime':
      return new Date(value as string | Date).toISOString();
    default:
      return value;
  }
}
