/**
 * A declared resource's HTML form and list cells: one input per writable field, chosen by the
 * field's type, the submitted form read back into the body the resource's `writeSchema` validates
 * (as DRF reads an HTML form), and a representation's values shown in inputs and table cells.
 *
 * @module
 */
import type { Field } from '../resources/fields.js';
import { fieldLabel, type Resource } from '../resources/resource.js';
import { checked } from './form.js';

/** The HTML control of a field. */
export type Widget = 'text' | 'textarea' | 'number' | 'checkbox' | 'date' | 'datetime-local';

/** One input of a resource's form. */
export interface FormInput {
  /** The field's name, which is also the input's. */
  readonly name: string;
  /** Its label, the field's (`_` as spaces), capitalised. */
  readonly label: string;
  readonly widget: Widget;
  /** Its attributes besides `name`, `type` and `value` (`maxlength`, `min`, `step`, `required`, …). */
  readonly attributes: readonly (readonly [string, string])[];
  /** A hint shown beside the label (the time zone of a date and time, what a reference names). */
  readonly hint: string | null;
}

/** A field's label as a form shows it: `due at` → `Due at`. */
function capitalised(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** The step of a decimal's number input: `0.01` for two places. */
function stepOf(decimalPlaces: number): string {
  return decimalPlaces === 0 ? '1' : `0.${'0'.repeat(decimalPlaces - 1)}1`;
}

function inputOf(name: string, label: string, declared: Field): FormInput {
  const required: [string, string][] = declared.optional ? [] : [['required', '']];
  const input = (widget: Widget, attributes: [string, string][], hint: string | null = null): FormInput => ({
    name,
    label,
    widget,
    attributes,
    hint,
  });
  switch (declared.kind) {
    case 'string':
      return input('text', [['maxlength', String(declared.maxLength)], ...required]);
    case 'text':
      return input('textarea', required);
    case 'integer':
      return input('number', [
        ['min', String(declared.min)],
        ['max', String(declared.max)],
        ['step', '1'],
        ...required,
      ]);
    case 'decimal':
      return input('number', [['step', stepOf(declared.decimalPlaces)], ...required]);
    case 'boolean':
      return input('checkbox', []);
    case 'date':
      return input('date', required);
    case 'datetime':
      return input('datetime-local', [['step', '1'], ...required], 'UTC');
    case 'ref':
      return input('number', [['min', '1'], ['step', '1'], ...required], `the id of a ${declared.model}`);
  }
}

/** The writable fields of a resource, by name, in their declaration's order. */
function writableFields(resource: Resource): [string, Field][] {
  return Object.entries(resource.fields).filter(([, declared]) => !declared.readOnly);
}

/**
 * The inputs of a resource's add and change form: one per writable field, by its type.
 *
 * @example
 * formInputs(projects); // [{ name: 'name', widget: 'text', attributes: [['maxlength', '100'], ['required', '']] }, …]
 */
export function formInputs(resource: Resource): FormInput[] {
  return writableFields(resource).map(([name, declared]) =>
    inputOf(name, capitalised(fieldLabel(resource, name)), declared),
  );
}

/**
 * A submitted form as the body `resource.writeSchema` validates, as DRF reads an HTML form: an
 * unticked checkbox is `false`; an empty input of a type that is not text is `null` when the field
 * is optional and missing (`This field is required.`) when it is not; text is given as typed, and
 * a text input not sent at all is missing.
 *
 * @param form - the submitted form
 * @returns the body, every writable field named (`undefined` for a missing one)
 */
export function bodyOfForm(resource: Resource, form: URLSearchParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, declared] of writableFields(resource)) {
    if (declared.kind === 'boolean') {
      body[name] = checked(form, name);
      continue;
    }
    const raw = form.get(name);
    const textual = declared.kind === 'string' || declared.kind === 'text';
    if (raw === null) body[name] = declared.optional && !textual ? null : undefined;
    else if (raw.trim() === '' && !textual) body[name] = declared.optional ? null : undefined;
    else body[name] = raw;
  }
  return body;
}

/**
 * What a form's inputs show: of a submitted form, what was typed; of a row, its representation as
 * the input takes it (a time in UTC without its zone, an empty input for `null`).
 *
 * @param source - the submitted form, or a row's representation
 * @returns the value of each writable field: a string, or a boolean for a checkbox
 */
export function inputValues(
  resource: Resource,
  source: URLSearchParams | Readonly<Record<string, unknown>>,
): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const [name, declared] of writableFields(resource)) {
    if (source instanceof URLSearchParams) {
      values[name] = declared.kind === 'boolean' ? checked(source, name) : (source.get(name) ?? '');
      continue;
    }
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    if (declared.kind === 'boolean') values[name] = value === true;
    else if (value === null || value === undefined) values[name] = '';
    else if (declared.kind === 'datetime') values[name] = String(value).slice(0, 19);
    else values[name] = String(value);
  }
  return values;
}

/**
 * A value of a representation as a list's cell or a read-only field shows it: `Yes`/`No` for a
 * boolean, `-` for nothing (as Django admin's empty value).
 */
export function cellText(value: unknown): string {
  if (value === true) return 'Yes';
  if (value === false) return 'No';
  if (value === null || value === undefined || value === '') return '-';
  return String(value);
}

/** The read-only fields of a row (an owner, say), labelled, for the change page. */
export function readOnlyValues(
  resource: Resource,
  json: Readonly<Record<string, unknown>>,
): { label: string; value: string }[] {
  return Object.entries(resource.fields)
    .filter(([, declared]) => declared.readOnly)
    .map(([name]) => ({ label: capitalised(fieldLabel(resource, name)), value: cellText(json[name]) }));
}

/** A column's header: the field's label, capitalised. */
export function columnLabel(resource: Resource, name: string): string {
  return capitalised(fieldLabel(resource, name));
}
