/**
 * zod builders for DRF's serializer fields, with DRF's default messages to the letter.
 *
 * A schema built from these rejects input the way a DRF serializer would, so a frontend written
 * against Django sees the same 400 bodies.
 *
 * @module
 */
import { z } from 'zod';
import { loneSurrogate, MESSAGES } from '../drf-wordings.js';
import { zodError, type Message } from '../i18n/translate.js';

/** An error map answering "required" for an absent value, "may not be null" for null, else `message`. */
function typeError(message: Message) {
  return (issue: { input?: unknown }) =>
    zodError(issue.input === undefined ? MESSAGES.required : issue.input === null ? MESSAGES.null : message);
}

/**
 * The validators every DRF `CharField` appends after its length checks: no NUL (which
 * PostgreSQL cannot store in text) and no lone surrogate. Every message is listed, as DRF runs
 * all of a field's validators.
 */
function textValidators(schema: z.ZodString): z.ZodString {
  return schema.check(
    z.refine((v: string) => !v.includes('\0'), { error: zodError(MESSAGES.nullCharacters) }),
    z.superRefine((v: string, ctx) => {
      const lone = loneSurrogate(v);
      if (lone !== null)
        ctx.addIssue({ code: 'custom', message: zodError(MESSAGES.surrogateCharacters(lone)), input: v });
    }),
  );
}

/**
 * DRF's `CharField`: a string, trimmed, not blank unless allowed, at most `maxLength` characters,
 * without NUL or lone surrogates.
 *
 * @example
 * const name = charField({ maxLength: 150 });
 */
export function charField(options: { maxLength?: number; allowBlank?: boolean } = {}) {
  let schema = z.string({ error: typeError(MESSAGES.string) }).trim();
  if (!options.allowBlank) schema = schema.min(1, { error: zodError(MESSAGES.blank), abort: true });
  if (options.maxLength !== undefined)
    schema = schema.max(options.maxLength, { error: zodError(MESSAGES.maxLength(options.maxLength)) });
  return textValidators(schema);
}

/** A password field: a string kept exactly as typed (DRF's `trim_whitespace=False`), not blank, as a `CharField` otherwise. */
export function passwordField() {
  return textValidators(
    z
      .string({ error: typeError(MESSAGES.string) })
      .min(1, { error: zodError(MESSAGES.blank), abort: true })
      .max(4096, { error: zodError(MESSAGES.maxLength(4096)) }),
  );
}

/** Django's `EmailField(blank=True)` through DRF: blank allowed, at most 254 characters, a valid address. */
export function emailField() {
  return charField({ maxLength: 254, allowBlank: true }).refine((v) => v === '' || z.email().safeParse(v).success, {
    error: zodError(MESSAGES.email),
  });
}

const TRUE_VALUES = new Set<unknown>([
  true,
  'true',
  'True',
  'TRUE',
  'on',
  'On',
  'ON',
  '1',
  1,
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  't',
  'T',
]);
const FALSE_VALUES = new Set<unknown>([
  false,
  'false',
  'False',
  'FALSE',
  'off',
  'Off',
  'OFF',
  '0',
  0,
  'n',
  'N',
  'no',
  'No',
  'NO',
  'f',
  'F',
]);

/** DRF's `BooleanField`: `true`/`false` and the strings and numbers DRF accepts for them. */
export function booleanField() {
  return z.preprocess(
    (v) => (TRUE_VALUES.has(v) ? true : FALSE_VALUES.has(v) ? false : v),
    z.boolean({ error: typeError(MESSAGES.boolean) }),
  );
}

/**
 * DRF's `SlugRelatedField(many=True)` shape: a list of strings naming related objects. Whether
 * each exists is the service's check (it needs the database), which also answers DRF's
 * `Invalid value.` for a name with NUL.
 */
export function slugListField() {
  return z.array(z.string({ error: zodError(MESSAGES.invalidValue) }), {
    error: (issue) => typeError(MESSAGES.notAList(issue.input))(issue),
  });
}
