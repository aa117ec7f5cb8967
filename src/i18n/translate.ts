/**
 * Messages in the request's language: the English text every layer words its errors with
 * ({@link text}), and the translation the error writer applies to a body on its way out
 * ({@link translateBody}). English is the msgid, as in gettext: a service throws
 * `text('required')`, the writer looks the English up and renders the language's template with
 * the same arguments. With English the writer does nothing, so the feature costs nothing when off.
 *
 * @module
 */
import { render, type MessageArgs, type Template } from './catalogue.js';
import { en, type Catalogue, type MessageKey } from './en.js';
import { ru } from './ru.js';

/** A language the API speaks. */
export type Language = 'en' | 'ru';

/** The languages, in the order `LANGUAGES` is documented. */
export const LANGUAGES = ['en', 'ru'] as const satisfies readonly Language[];

const CATALOGUES: Readonly<Record<Exclude<Language, 'en'>, Catalogue>> = { ru };

/**
 * A message in English, the wording the code and the logs use.
 *
 * @param key - the catalogue key
 * @param args - the placeholder values
 * @returns the English text
 * @example
 * text('maxLength', { max_length: 150 }); // 'Ensure this field has no more than 150 characters.'
 */
export function text(key: MessageKey, args?: MessageArgs): string {
  return render(en[key], args);
}

interface Matcher {
  readonly key: MessageKey;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** English texts without placeholders, and patterns for the others, built on first use. */
let lookup: { exact: Map<string, MessageKey>; matchers: Matcher[] } | null = null;

function englishLookup(): NonNullable<typeof lookup> {
  if (lookup) return lookup;
  const exact = new Map<string, MessageKey>();
  const matchers: Matcher[] = [];
  for (const key of Object.keys(en) as MessageKey[]) {
    const template: Template = en[key];
    for (const form of typeof template === 'string' ? [template] : template.forms) {
      if (!form.includes('{')) {
        exact.set(form, key);
        continue;
      }
      const names: string[] = [];
      const source = form
        .split(/(\{\w+\})/)
        .map((part) => {
          const name = /^\{(\w+)\}$/.exec(part)?.[1];
          if (!name) return escape(part);
          names.push(name);
          return '([^]*?)';
        })
        .join('');
      matchers.push({ key, pattern: new RegExp(`^${source}$`), names });
    }
  }
  return (lookup = { exact, matchers });
}

/**
 * Finds the key and arguments of an English message.
 *
 * @param message - a text made by {@link text}
 * @returns the key and its arguments, or `undefined` for a text that is no catalogue message
 * @example
 * parseMessage('Method "PUT" not allowed.'); // { key: 'methodNotAllowed', args: { method: 'PUT' } }
 */
export function parseMessage(message: string): { key: MessageKey; args: MessageArgs } | undefined {
  const { exact, matchers } = englishLookup();
  const key = exact.get(message);
  if (key) return { key, args: {} };
  for (const matcher of matchers) {
    const match = matcher.pattern.exec(message);
    if (match)
      return { key: matcher.key, args: Object.fromEntries(matcher.names.map((n, i) => [n, match[i + 1] ?? ''])) };
  }
  return undefined;
}

/**
 * An English message in another language; a text that is no catalogue message, or one the
 * catalogue leaves untranslated, stays as it is (gettext's fallback).
 *
 * @param message - the English text
 * @param language - the language wanted
 * @returns the text in that language
 * @example
 * translate('Not found.', 'ru'); // 'Страница не найдена.'
 */
export function translate(message: string, language: Language): string {
  if (language === 'en') return message;
  const parsed = parseMessage(message);
  const template = parsed && CATALOGUES[language][parsed.key];
  if (!template || !parsed) return message;
  const args = Object.fromEntries(
    Object.entries(parsed.args).map(([name, value]) => [
      name,
      VERBOSE_NAMES.has(name) ? translateName(String(value), language) : value,
    ]),
  );
  return render(template, args);
}

/**
 * Placeholders that hold a model's or a field's verbose name, which Django translates before it
 * formats the message: `{model_name} with this {field_label} already exists.`
 */
const VERBOSE_NAMES = new Set(['model_name', 'field_label']);

/** A verbose name in another language, when the catalogue holds it (`group` → `группа`); else as it is. */
function translateName(name: string, language: Exclude<Language, 'en'>): string {
  const key = englishLookup().exact.get(name);
  const template = key && CATALOGUES[language][key];
  return typeof template === 'string' ? template : name;
}

/** Keys whose values are codes or names, never messages. */
const CODE_KEYS = new Set(['code', 'token_class', 'token_type']);

/**
 * A DRF error body with every message translated: `detail`, field errors (nested ones too) and
 * simplejwt's `messages[].message`; codes stay as they are.
 *
 * @param body - the body in English
 * @param language - the request's language
 * @returns the same body when English, otherwise a translated copy
 * @example
 * translateBody({ username: ['This field is required.'] }, 'ru'); // { username: ['Обязательное поле.'] }
 */
export function translateBody<T>(body: T, language: Language): T {
  if (language === 'en') return body;
  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return key !== undefined && CODE_KEYS.has(key) ? value : translate(value, language);
    if (Array.isArray(value)) return value.map((item) => walk(item));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(body) as T;
}
