/**
 * A declared resource's HTML form and list cells: one input per writable field, chosen by the
 * field's type (a reference as a `<select>` of the rows it may name, a many-to-many field as
 * checkboxes of its slugs), the submitted form read back into the body the resource's
 * `writeSchema` validates (as DRF reads an HTML form), and a representation's values shown in
 * inputs and table cells.
 *
 * @module
 */
import type { Field, SlugsField } from '../resources/fields.js';
import { fieldLabel, type Resource } from '../resources/resource.js';
import type { Actor } from '../permissions/policy.js';
import { checked } from './form.js';
import { CHOICES_LIMIT, type Choice, type NoChoices, type RelatedRows } from './related.js';
import { adminWording } from './render.js';

/**
 * The HTML control of a field: `select` for a reference, `checkboxes` for a many-to-many field
 * (a `textarea` of one slug a line when its choices are not listed).
 */
export type Widget = 'text' | 'textarea' | 'number' | 'checkbox' | 'date' | 'datetime-local' | 'select' | 'checkboxes';

/** What an input's value is: text, a ticked box, or the slugs of a many-to-many field. */
export type InputValue = string | boolean | readonly string[];

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
  /** The choices of a `select` or `checkboxes` (value and text); none for the other widgets. */
  readonly choices: readonly Choice[];
  /** Whether it is a many-to-many field's (its value is a list of slugs). */
  readonly many: boolean;
}

/** A field's label as a form shows it: `due at` → `Due at`. */
function capitalised(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** The step of a decimal's number input: `0.01` for two places. */
function stepOf(decimalPlaces: number): string {
  return decimalPlaces === 0 ? '1' : `0.${'0'.repeat(decimalPlaces - 1)}1`;
}

/** The hint of a reference or many-to-many field whose choices are not listed. */
function unlisted(what: string, why: NoChoices): string {
  return why === 'too-many' ? `${what}; more than ${CHOICES_LIMIT} to list` : what;
}

function inputOf(name: string, label: string, declared: Field, refChoices: readonly Choice[] | NoChoices): FormInput {
  const required: [string, string][] = declared.optional ? [] : [['required', '']];
  const input = (
    widget: Widget,
    attributes: [string, string][],
    hint: string | null = null,
    choices: readonly Choice[] = [],
  ): FormInput => ({ name, label, widget, attributes, hint, choices, many: false });
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
      // Django's empty label: a required reference must be chosen, an optional one may be cleared.
      if (typeof refChoices !== 'string') return input('select', required, null, [['', '---------'], ...refChoices]);
      return input(
        'number',
        [['min', '1'], ['step', '1'], ...required],
        unlisted(`the id of a ${declared.model}`, refChoices),
      );
  }
}

function manyInputOf(
  name: string,
  label: string,
  declared: SlugsField,
  slugs: readonly string[] | NoChoices,
): FormInput {
  const input = { name, label, attributes: [], many: true } as const;
  if (typeof slugs !== 'string')
    return { ...input, widget: 'checkboxes', hint: null, choices: slugs.map((slug) => [slug, slug] as const) };
  return { ...input, widget: 'textarea', hint: unlisted(`one ${declared.slug} a line`, slugs), choices: [] };
}

/** The writable fields of a resource, by name, in their declaration's order. */
function writableFields(resource: Resource): [string, Field][] {
  return Object.entries(resource.fields).filter(([, declared]) => !declared.readOnly);
}

/**
 * The inputs of a resource's add and change form: one per writable field, by its type, then one
 * per many-to-many field; a reference's and a many-to-many field's choices are the rows the staff
 * member may see ({@link RelatedRows}).
 *
 * @param related - the related rows, looked up for `actor`
 * @example
 * await formInputs(projects, related, actor); // [{ name: 'name', widget: 'text', attributes: [['maxlength', '100'], ['required', '']] }, …]
 */
export async function formInputs(resource: Resource, related: RelatedRows, actor: Actor): Promise<FormInput[]> {
  const inputs: FormInput[] = [];
  for (const [name, declared] of writableFields(resource)) {
    const choices = declared.kind === 'ref' ? await related.refChoices(actor, declared) : [];
    inputs.push(inputOf(name, capitalised(adminWording(fieldLabel(resource, name))), declared, choices));
  }
  for (const [name, declared] of Object.entries(resource.manyToMany))
    inputs.push(
      manyInputOf(name, capitalised(name.replaceAll('_', ' ')), declared, await related.slugChoices(actor, declared)),
    );
  return inputs;
}

/**
 * The inputs with the values they show among their choices: a reference or a slug the staff
 * member may not see (or beyond the choices listed) is kept as a choice of its own, so that
 * saving the form never drops it unasked.
 *
 * @param values - what the inputs show ({@link inputValues})
 */
export function withShownValues(
  inputs: readonly FormInput[],
  values: Readonly<Record<string, InputValue>>,
): FormInput[] {
  return inputs.map((input) => {
    if (input.widget !== 'select' && input.widget !== 'checkboxes') return input;
    const listed = new Set(input.choices.map(([value]) => value));
    const shown = [values[input.name] ?? []]
      .flat()
      .filter((value): value is string => typeof value === 'string' && value !== '');
    const extra = shown.filter((value) => !listed.has(value));
    if (!extra.length) return input;
    const label = (value: string) => (input.many ? value : `#${value}`);
    return { ...input, choices: [...input.choices, ...extra.map((value) => [value, label(value)] as const)] };
  });
}

/**
 * A submitted form as the body `resource.writeSchema` validates, as DRF reads an HTML form: an
 * unticked checkbox is `false`; an empty input of a type that is not text is `null` when the field
 * is optional and missing (`This field is required.`) when it is not; text is given as typed, and
 * a text input not sent at all is missing. A many-to-many field is the slugs ticked (none ticked:
 * an empty set, as DRF reads a form), or those of its text area, one a line.
 *
 * @param form - the submitted form
 * @param inputs - the form's inputs ({@link formInputs}), which say how a many-to-many field was asked
 * @returns the body, every writable field named (`undefined` for a missing one)
 */
export function bodyOfForm(
  resource: Resource,
  form: URLSearchParams,
  inputs: readonly FormInput[],
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const input of inputs) {
    if (!input.many) continue;
    const sent = form.getAll(input.name);
    body[input.name] =
      input.widget === 'checkboxes'
        ? sent
        : sent.flatMap((lines) => lines.split(/\r?\n/).map((line) => line.trim())).filter((line) => line !== '');
  }
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
 * @returns the value of each writable field: a string, or a boolean for a checkbox; then the
 *   slugs of each many-to-many field
 */
export function inputValues(
  resource: Resource,
  source: URLSearchParams | Readonly<Record<string, unknown>>,
): Record<string, InputValue> {
  const values: Record<string, InputValue> = {};
  for (const name of Object.keys(resource.manyToMany)) {
    const value = source instanceof URLSearchParams ? source.getAll(name) : source[name];
    values[name] = Array.isArray(value) ? value.map(String) : [];
  }
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

/**
 * The read-only fields of a row (an owner, say), labelled, for the change page.
 *
 * @param texts - the text of the references, by field and id ({@link RelatedRows.refLabels}); an
 *   id without one is shown as it is
 */
export function readOnlyValues(
  resource: Resource,
  json: Readonly<Record<string, unknown>>,
  texts: ReadonlyMap<string, ReadonlyMap<number, string>> = new Map(),
): { label: string; value: string }[] {
  return Object.entries(resource.fields)
    .filter(([, declared]) => declared.readOnly)
    .map(([name]) => ({
      label: capitalised(adminWording(fieldLabel(resource, name))),
      value: cellOf(json, name, texts),
    }));
}

/**
 * A field of a representation as a cell shows it ({@link cellText}), a reference as the text of
 * the row it names where there is one.
 *
 * @param texts - the text of the references, by field and id
 */
export function cellOf(
  json: Readonly<Record<string, unknown>>,
  name: string,
  texts: ReadonlyMap<string, ReadonlyMap<number, string>>,
): string {
  const value = json[name];
  return (typeof value === 'number' ? texts.get(name)?.get(value) : undefined) ?? cellText(value);
}

/** A column's header: the field's label, capitalised. */
export function columnLabel(resource: Resource, name: string): string {
  return capitalised(adminWording(fieldLabel(resource, name)));
}
