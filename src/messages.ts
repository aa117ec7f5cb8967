/**
 * DRF's default field messages to the letter, and the Python type names they quote. The domain
 * (services' field errors) and the HTTP layer (the zod field builders) word their errors with
 * them, so the vocabulary sits below both.
 *
 * @module
 */

/** DRF's default messages, shared by every field. */
export const MESSAGES = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  string: 'Not a valid string.',
  boolean: 'Must be a valid boolean.',
  email: 'Enter a valid email address.',
  /** DRF's `max_length` message for a limit of `n` characters. */
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  /** DRF's `not_a_list` message naming the Python type of what came instead. */
  notAList: (input: unknown) => `Expected a list of items but got type "${pythonType(input)}".`,
  invalidValue: 'Invalid value.',
  /** Django's `ProhibitNullCharactersValidator`, which every DRF `CharField` carries. */
  nullCharacters: 'Null characters are not allowed.',
  /** DRF's `ProhibitSurrogateCharactersValidator` for a lone UTF-16 surrogate, e.g. `U+D800`. */
  surrogateCharacters: (codePoint: number) =>
    `Surrogate characters are not allowed: U+${codePoint.toString(16).toUpperCase()}.`,
  /** `SlugRelatedField`'s `does_not_exist` message, e.g. `Object with name=x does not exist.` */
  doesNotExist: (slug: string, value: string) => `Object with ${slug}=${value} does not exist.`,
} as const;

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
