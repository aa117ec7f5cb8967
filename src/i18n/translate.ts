/**
 * Messages from where they are raised to the edge that words them. A service, a field or a guard
 * raises a {@link Message} — a catalogue key and its arguments, `text('maxLength', { max_length: 150 })`
 * — and carries it in its error; the edge words it in the language it serves: the HTTP error
 * writer in the request's ({@link wordBody}), the admin and the CLI in English. Nothing is
 * worded twice and nothing is parsed back: a message reworded in one catalogue keeps its key,
 * and so its translations.
 *
 * A message serialises as its English text (`toJSON`, `toString`), the wording of logs, the CLI
 * and a body that goes out in English untouched.
 *
 * @module
 */
import { render, type Template } from './catalogue.js';
import { en, type Catalogue, type MessageKey } from './en.js';
import { ru } from './ru.js';

/** A language the API speaks. */
export type Language = 'en' | 'ru';

/** The languages, in the order `LANGUAGES` is documented. */
export const LANGUAGES = ['en', 'ru'] as const satisfies readonly Language[];

/** Each language's catalogue: English gives every key, the others every key or `null` (sent in English). */
const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, ru };

/**
 * The arguments of a message, by placeholder name. An argument that is itself a message (a model's
 * verbose name in `{model_name} with this {field_label} already exists.`) is worded in the same
 * language first, as Django translates a verbose name before it formats the sentence.
 */
export type MessageArgs = Readonly<Record<string, string | number | Message>>;

/** A message on its way to the edge: which catalogue entry, with which arguments. */
export class Message {
  /**
   * @param key - the catalogue key
   * @param args - the placeholder values
   */
  constructor(
    readonly key: MessageKey,
    readonly args: MessageArgs = {},
  ) {
    Object.freeze(this);
  }

  /**
   * The message worded in a language; English where that language's catalogue leaves it
   * untranslated (gettext's fallback to the msgid).
   *
   * @example
   * text('notFound').in('ru'); // 'Страница не найдена.'
   */
  in(language: Language): string {
    const template: Template = CATALOGUES[language][this.key] ?? en[this.key];
    const args: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(this.args))
      args[name] = value instanceof Message ? value.in(language) : value;
    return render(template, args);
  }

  /** The English wording (logs, the CLI, an error's `message`). */
  toString(): string {
    return this.in('en');
  }

  /** The English wording, so that a body serialised as it is reads as DRF's. */
  toJSON(): string {
    return this.in('en');
  }
}

/**
 * What a client is shown: a catalogue {@link Message}, or a text no catalogue holds (a parser's
 * own reason, a name a resource declares), shown as it is in every language.
 */
export type Wording = Message | string;

/**
 * A message of the catalogue, to raise.
 *
 * @param key - the catalogue key (a typo is a compile error)
 * @param args - the placeholder values
 * @returns the message, worded by the edge that shows it
 * @example
 * throw fieldError('name', text('maxLength', { max_length: 150 }));
 */
export function text(key: MessageKey, args?: MessageArgs): Message {
  return new Message(key, args);
}

/**
 * A wording in a language.
 *
 * @example
 * word(text('notFound'), 'en'); // 'Not found.'
 * word('a parser reason', 'ru'); // 'a parser reason'
 */
export function word(wording: Wording, language: Language): string {
  return typeof wording === 'string' ? wording : wording.in(language);
}

/**
 * A DRF error body with every message worded in a language: `detail`, field errors (nested ones
 * too) and simplejwt's `messages[].message`. Codes and names are plain strings and stay as they
 * are. In English the body is returned as it is: serialising it words each message (`toJSON`).
 *
 * @param body - the body, with messages
 * @param language - the request's language
 * @returns the same body when English, otherwise a worded copy
 * @example
 * wordBody({ username: [text('required')] }, 'ru'); // { username: ['Обязательное поле.'] }
 */
export function wordBody<T>(body: T, language: Language): T {
  if (language === 'en') return body;
  const walk = (value: unknown): unknown => {
    if (value instanceof Message) return value.in(language);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item)]));
    }
    return value;
  };
  return walk(body) as T;
}

/**
 * Marks zod's carried messages: zod keeps one string per issue, so a schema's message travels to
 * {@link issueWording} as this mark, then its key and arguments in JSON. No message text starts
 * with a NUL character.
 */
const CARRIED = '\u0000';

/**
 * A message as a zod schema's `error`: zod keeps a string per issue, so the key and arguments
 * travel inside it and {@link issueWording} takes them out again at the edge of validation.
 *
 * @param message - the message; its arguments are plain values
 * @returns the string zod carries
 * @example
 * z.string().max(150, { error: zodError(text('maxLength', { max_length: 150 })) });
 */
export function zodError(message: Message): string {
  return CARRIED + JSON.stringify([message.key, message.args]);
}

/**
 * The wording of a zod issue's message: the message {@link zodError} packed, or zod's own text as it is.
 *
 * @param message - `issue.message`
 * @returns the message, or the text
 */
export function issueWording(message: string): Wording {
  if (!message.startsWith(CARRIED)) return message;
  const [key, args] = JSON.parse(message.slice(CARRIED.length)) as [MessageKey, MessageArgs];
  return new Message(key, args);
}
