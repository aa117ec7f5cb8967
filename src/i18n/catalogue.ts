/**
 * The shape of a message catalogue, and the two renderings every language shares: a template
 * with `{name}` placeholders filled from arguments, and a plural template whose form is chosen
 * by the catalogue's `Plural-Forms` rule.
 *
 * @module
 */

/** A message with several forms; `plural(n)` picks the form for the `count` argument. */
export interface PluralTemplate {
  /** The argument that counts, e.g. `min_length`. */
  readonly count: string;
  /** The forms in the catalogue's order (`msgstr[0]`, `msgstr[1]`, …). */
  readonly forms: readonly string[];
  /** The catalogue's `Plural-Forms` expression: the index of the form for `n`. */
  readonly plural: (n: number) => number;
}

/** A message: a string with `{name}` placeholders, or one with plural forms. */
export type Template = string | PluralTemplate;

/** The values of a template's placeholders, by name (a message's arguments, worded). */
export type TemplateArgs = Readonly<Record<string, string | number>>;

/** gettext's English rule: `nplurals=2; plural=(n != 1)`. */
export const englishPlural = (n: number): number => (n === 1 ? 0 : 1);

/** Django's, DRF's and Django's auth Russian rule (`nplurals=4`), as their catalogues declare it. */
export const russianPlural = (n: number): number =>
  n % 10 === 1 && n % 100 !== 11
    ? 0
    : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14)
      ? 1
      : n % 10 === 0 || (n % 10 >= 5 && n % 10 <= 9) || (n % 100 >= 11 && n % 100 <= 14)
        ? 2
        : 3;

/**
 * Fills a template's placeholders, choosing the plural form first.
 *
 * @param template - the catalogue entry
 * @param args - the placeholder values
 * @returns the message
 * @example
 * render('Method "{method}" not allowed.', { method: 'PUT' }); // 'Method "PUT" not allowed.'
 */
export function render(template: Template, args: TemplateArgs = {}): string {
  const text =
    typeof template === 'string'
      ? template
      : (template.forms[template.plural(Number(args[template.count]))] ?? template.forms.at(-1) ?? '');
  return text.includes('{') ? text.replace(/\{(\w+)\}/g, (whole, name: string) => String(args[name] ?? whole)) : text;
}

/**
 * A plural template.
 *
 * @param count - the argument that counts
 * @param rule - the catalogue's `Plural-Forms` rule
 * @param forms - the forms, in the catalogue's order
 * @returns the template
 * @example
 * plural('wait', englishPlural, ['{wait} second.', '{wait} seconds.']);
 */
export function plural(count: string, rule: (n: number) => number, forms: readonly string[]): PluralTemplate {
  return { count, forms, plural: rule };
}
