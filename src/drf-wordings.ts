/**
 * DRF's default field messages to the letter, and the Python type names they quote. The domain
 * (services' field errors) and the HTTP layer (the zod field builders) word their errors with
 * them, so the vocabulary sits below both.
 *
 * @module
 */
import { text } from './i18n/translate.js';

/** DRF's default messages, shared by every field. */
export const MESSAGES = {
  required: text('required'),
  null: text('null'),
  blank: text('blank'),
  string: text('string'),
  boolean: text('boolean'),
  email: text('email'),
  /** DRF's `max_length` message for a limit of `n` characters. */
  maxLength: (n: number) => text('maxLength', { max_length: n }),
  /** DRF's `not_a_list` message naming the Python type of what came instead. */
  notAList: (input: unknown) => text('notAList', { input_type: pythonType(input) }),
  invalidValue: text('invalidValue'),
  /** Django's `ProhibitNullCharactersValidator`, which every DRF `CharField` carries. */
  nullCharacters: text('nullCharacters'),
  /** DRF's `ProhibitSurrogateCharactersValidator` for a lone UTF-16 surrogate, e.g. `U+D800`. */
  surrogateCharacters: (codePoint: number) =>
    text('surrogateCharacters', { code_point: codePoint.toString(16).toUpperCase() }),
  /** `SlugRelatedField`'s `does_not_exist` message, e.g. `Object with name=x does not exist.` */
  doesNotExist: (slug: string, value: string) => text('doesNotExist', { slug_name: slug, value }),
} as const;

/** A UTF-16 surrogate that is not half of a pair (the `u` flag reads pairs as one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * The first lone UTF-16 surrogate of a string, as the code point DRF's
 * `ProhibitSurrogateCharactersValidator` names, or null. A JSON body can carry one (`"\udfff"`),
 * and no database text can hold or match it: UTF-8 has no encoding for it.
 *
 * @example
 * loneSurrogate('a\udfff'); // 0xdfff
 * loneSurrogate('😀'); // null: a pair
 */
export function loneSurrogate(value: string): number | null {
  return LONE_SURROGATE.exec(value)?.[0].charCodeAt(0) ?? null;
}

/**
 * The name Python would give a JSON value's type, as DRF puts it in messages.
 *
 * @example
 * pythonType([1]); // 'list'
 */
export function pythonType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'object':
      return 'dict';
    default:
      return typeof value;
  }
}
