/**
 * The vocabulary of the configuration's declaration: one builder per kind of value (boolean, whole
 * number, duration, throttle rate, text, URL, choice, list), each a zod schema built on zod's own
 * coercions together with what the documentation says of it — the values it accepts, its default
 * — and {@link section}, which gathers a section's variables with the part of `Config` it
 * builds from them. A builder's message names what is wrong; the loader puts the variable's name
 * in front.
 *
 * @module
 */
import { z } from 'zod';

/** A throttle rate in DRF's syntax (`100/m`), or `null` when the limit is off. */
export interface ThrottleRate {
  /** Requests allowed per window. */
  readonly limit: number;
  /** The window length in seconds. */
  readonly seconds: number;
}

/**
 * The one true/false vocabulary of configuration values (any case, surrounding blanks ignored);
 * an empty value is false. The API's query and body booleans keep DRF's own spellings instead
 * (`src/http/fields.ts`, the users filter).
 */
export const CONFIG_BOOLEAN = { truthy: ['1', 'true', 'yes', 'on'], falsy: ['0', 'false', 'no', 'off', ''] } as const;

/**
 * One environment variable: its schema (which holds its default and bounds) and what the table of
 * `docs/md/configuration.md` says of it.
 *
 * @typeParam T - the value the schema gives the loader
 */
export class Variable<T> {
  /**
   * @param schema - validates the raw value (a string, or `undefined` when unset) into `T`
   * @param accepts - the values it accepts, as the table shows them
   * @param shownDefault - its default, as the table shows it
   * @param doc - its meaning, the table's last column
   */
  constructor(
    readonly schema: z.ZodType<T>,
    readonly accepts: string,
    readonly shownDefault: string,
    readonly doc = '',
  ) {}

  /**
   * The variable with its meaning, one line of Markdown for the table.
   *
   * @param doc - what the variable does, as `docs/md/configuration.md` says it
   */
  means(doc: string): Variable<T> {
    return new Variable(this.schema, this.accepts, this.shownDefault, doc);
  }

  /**
   * The variable with its default worded for the table, where the value alone would mislead
   * (a default that depends on another variable, a unit to spell out).
   *
   * @param text - the table's default cell, Markdown
   */
  shownAs(text: string): Variable<T> {
    return new Variable(this.schema, this.accepts, text, this.doc);
  }
}

/** A section's variables by name. */
export type Variables = Readonly<Record<string, Variable<unknown>>>;

/** The values a section's variables give, by name, once validated. */
export type Values<V extends Variables> = { readonly [K in keyof V]: V[K] extends Variable<infer T> ? T : never };

/** The sections of the configuration, in the order of `docs/md/configuration.md`. */
export type SectionName = 'server' | 'database' | 'auth' | 'mail' | 'storage' | 'tuning';

/** What every section's builder may read beside its own variables. */
export interface BuildContext {
  /** `DEBUG` (the server section). */
  readonly debug: boolean;
  /** `DATA_DIR`, resolved (the database section): the default home of local files. */
  readonly dataDir: string;
  /**
   * Refuses the configuration.
   *
   * @throws ConfigError naming `variable`, whose message is `message`
   */
  readonly fail: (variable: string, message: string) => never;
}

/**
 * One section of the configuration: its variables, and the part of `Config` it builds from
 * their values (with the checks that concern several of them).
 *
 * @typeParam V - the variables
 * @typeParam C - the part of the configuration it builds
 */
export interface Section<V extends Variables, C> {
  /** Its name; the markers of its table in `docs/md/configuration.md` carry it. */
  readonly name: SectionName;
  /** Its variables, in the order of its table. */
  readonly variables: V;
  /** Its part of the configuration. */
  readonly build: (values: Values<V>, context: BuildContext) => C;
}

/** The part of `Config` a section builds. */
export type SectionConfig<S> = S extends Section<infer _V, infer C> ? C : never;

/** The validated values of a section's variables. */
export type SectionValues<S> = S extends Section<infer V, unknown> ? Values<V> : never;

/** A union's members, intersected: `A | B` as `A & B`. */
export type Intersection<U> = (U extends unknown ? (member: U) => void : never) extends (all: infer I) => void
  ? I
  : never;

/** The configuration a list of sections builds: every section's part, together. */
export type ComposedConfig<S extends readonly unknown[]> = Intersection<SectionConfig<S[number]>>;

/** The validated values of every variable of a list of sections, by name. */
export type ComposedValues<S extends readonly unknown[]> = Intersection<SectionValues<S[number]>>;

/**
 * Declares a section.
 *
 * @param name - the section's name
 * @param variables - its variables, each built with this module's builders and given its meaning
 * @param build - its part of the configuration, from its variables' values
 * @example
 * export const TUNING = section('tuning', { MALLOC_ARENA_MAX: text('1').means('glibc arenas') }, (e) => ({
 *   mallocArenaMax: e.MALLOC_ARENA_MAX,
 * }));
 */
export function section<const V extends Variables, C>(
  name: SectionName,
  variables: V,
  build: (values: Values<V>, context: BuildContext) => C,
): Section<V, C> {
  return { name, variables, build };
}

/** A value that is absent or blank takes the variable's default. */
const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/**
 * The end of a refusal's message: the value refused, quoted.
 *
 * @param issue - zod's issue, whose `input` is the value
 * @example
 * choice(['a', 'b'], 'a', (issue) => `must be a or b, ${got(issue)}`);
 */
export const got = (issue: { input?: unknown }) => `got "${String(issue.input)}"`;

const code = (value: string | number) => `\`${value}\``;

/** `a, b or c`. */
const either = (values: readonly string[]) =>
  values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

/**
 * A boolean in the {@link CONFIG_BOOLEAN} vocabulary.
 *
 * @param fallback - the value when unset
 */
export function bool(fallback: boolean): Variable<boolean> {
  const schema = z
    .string()
    .trim()
    .pipe(
      z.stringbool({
        truthy: [...CONFIG_BOOLEAN.truthy],
        falsy: [...CONFIG_BOOLEAN.falsy],
        error: (issue) => `must be true or false, ${got(issue)}`,
      }),
    )
    .default(fallback);
  return new Variable(schema, 'boolean', code(String(fallback)));
}

/**
 * A whole number of digits only (no sign, exponent or hex), between `min` and `max`; `message`,
 * when given, words every refusal.
 */
const wholeNumber = (min: number, max: number, message?: (issue: { input?: unknown }) => string) => {
  const outOfRange =
    message ?? ((issue: { input?: unknown }) => `must be between ${min} and ${max}, got ${String(issue.input)}`);
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { error: message ?? ((issue) => `must be a whole number, ${got(issue)}`) })
    .pipe(z.coerce.number<string>().int().min(min, { error: outOfRange }).max(max, { error: outOfRange }));
};

/**
 * A whole number between `min` and `max`; blank is unset.
 *
 * @param fallback - the value when unset
 * @param min - the smallest value accepted
 * @param max - the largest value accepted (none when left out)
 */
export function int(fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): Variable<number> {
  const schema = z.preprocess(blankIsUnset, wholeNumber(min, max).optional()).transform((n) => n ?? fallback);
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min}–${max}`;
  return new Variable(schema, `whole number, ${range}`, code(fallback));
}

/**
 * `TRUST_PROXY`: a whole number of proxies, with the old boolean spelling (`true` is the one proxy
 * of the shipped setup).
 *
 * @param max - the largest number accepted
 */
export function proxyCount(max: number): Variable<number> {
  const schema = z
    .string()
    .trim()
    .toLowerCase()
    .default('0')
    .transform((v) => (v === 'true' ? '1' : v === 'false' || v === '' ? '0' : v))
    .pipe(
      wholeNumber(
        0,
        max,
        (issue) => `must be the number of proxies in front of the app (0, 1 for the shipped nginx, ...), ${got(issue)}`,
      ),
    );
  return new Variable(schema, `whole number, 0–${max} (\`true\`: 1, \`false\`: 0)`, code(0));
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration such as `300`, `5m`, `12h` or `7d` into seconds.
 *
 * @param value - digits with an optional unit `s`, `m`, `h` or `d` (seconds when absent)
 * @returns the number of seconds, or `null` when the text is not a duration
 * @example
 * parseDuration('5m'); // 300
 */
export function parseDuration(value: string): number | null {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
  return seconds > 0 ? seconds : null;
}

/**
 * A duration in seconds (`300`, `5m`, `12h`, `7d`).
 *
 * @param fallback - the value when unset, as written
 * @param options - `allowOff`: `0` and `off` are accepted, as `0`; `max`: the longest accepted, as written
 */
export function duration(fallback: string, { allowOff = false, max }: { allowOff?: boolean; max?: string } = {}) {
  const maxSeconds = max === undefined ? Infinity : parseDuration(max)!;
  const schema = z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      if (allowOff && /^\s*(?:0|off)\s*$/i.test(value)) return 0;
      const seconds = parseDuration(value);
      if (seconds === null) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration such as 300, 5m, 12h or 7d${allowOff ? ', or off' : ''}, got "${value}"`,
        });
        return z.NEVER;
      }
      if (seconds > maxSeconds) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${max}` });
        return z.NEVER;
      }
      return seconds;
    });
  const accepts = `duration${max === undefined ? '' : ` up to ${code(max)}`}${allowOff ? ', or `off`' : ''}`;
  return new Variable<number>(schema, accepts, code(fallback));
}

/**
 * Parses a throttle rate in DRF's syntax: `N/s`, `N/m`, `N/h` or `N/d` (the unit's first letter
 * counts, so `100/min` and `1000/day` work too), or `off`.
 *
 * @param value - the rate as written
 * @returns the rate, `null` for `off`, or `undefined` when the text is not a rate
 * @example
 * parseRate('5/m'); // { limit: 5, seconds: 60 }
 */
export function parseRate(value: string): ThrottleRate | null | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'off' || v === 'none') return null;
  const match = /^(\d+)\/([smhd])[a-z]*$/.exec(v);
  if (!match || Number(match[1]) < 1) return undefined;
  return { limit: Number(match[1]), seconds: UNIT_SECONDS[match[2]!]! };
}

/**
 * A throttle rate ({@link parseRate}); `null` when off.
 *
 * @param fallback - the value when unset, as written
 */
export function rate(fallback: string): Variable<ThrottleRate | null> {
  const schema = z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const parsed = parseRate(value);
      if (parsed !== undefined) return parsed;
      ctx.addIssue({ code: 'custom', message: `must be N/s, N/m, N/h, N/d or off, got "${value}"` });
      return z.NEVER;
    });
  return new Variable(schema, 'rate, or `off`', code(fallback));
}

/**
 * Trimmed text; blank or absent is `fallback`.
 *
 * @param fallback - the value when unset or blank
 */
export function text(fallback: string): Variable<string> {
  const schema = z.preprocess(blankIsUnset, z.string().trim().optional()).transform((v) => v ?? fallback);
  return new Variable(schema, 'text', fallback === '' ? 'empty' : code(fallback));
}

/** Trimmed text; blank or absent is `null`. */
export function optionalText(): Variable<string | null> {
  const schema = z.preprocess(blankIsUnset, z.string().trim().optional()).transform((v) => v ?? null);
  return new Variable(schema, 'text', 'unset');
}

/**
 * Text that must be set.
 *
 * @param message - the refusal when it is unset
 */
export function requiredText(message: string): Variable<string> {
  return new Variable(z.string({ error: message }), 'text', 'required');
}

/**
 * An optional URL with one of the given schemes; blank is unset.
 *
 * @param schemes - the schemes accepted (`postgres`, `https`, …)
 */
export function url(schemes: readonly string[]): Variable<string | null> {
  const schema = z.preprocess(
    blankIsUnset,
    z
      .string()
      .trim()
      .pipe(
        z.url({
          protocol: new RegExp(`^(?:${schemes.join('|')})$`),
          error: `must be a ${schemes.map((s) => `${s}:`).join(' or ')}// URL`,
        }),
      )
      .optional()
      .transform((v) => v ?? null),
  );
  return new Variable(schema, `${either(schemes.map((s) => code(`${s}://`)))} URL`, 'unset');
}

/**
 * A case-insensitive choice among `values`.
 *
 * @param values - the values accepted, lower-case
 * @param fallback - the value when unset
 * @param message - the refusal of any other value
 */
export function choice<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
  message: (issue: { input?: unknown }) => string,
): Variable<T[number]> {
  const schema = z
    .string()
    .trim()
    .toLowerCase()
    .default(fallback)
    .pipe(z.enum(values, { error: message }));
  return new Variable<T[number]>(schema, `${either(values.map(code))} (any case)`, code(fallback));
}

/**
 * A case-insensitive choice among `values`, `null` when unset or blank (a default that depends on
 * other variables).
 *
 * @param values - the values accepted, lower-case
 * @param message - the refusal of any other value
 */
export function optionalChoice<const T extends readonly [string, ...string[]]>(
  values: T,
  message: (issue: { input?: unknown }) => string,
): Variable<T[number] | null> {
  const schema = z.preprocess(
    blankIsUnset,
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(values, { error: message }))
      .optional()
      .transform((v) => v ?? null),
  );
  return new Variable<T[number] | null>(schema, `${either(values.map(code))} (any case)`, 'unset');
}

/** A list item's refusal, thrown by `refuse` and caught by {@link list}. */
class Refusal extends Error {}

const refuse = (message: string): never => {
  throw new Refusal(message);
};

/**
 * A comma-separated list, each item trimmed (blank items dropped) and checked; unset or empty is
 * the empty list.
 *
 * @param accepts - what the table says it accepts
 * @param item - turns one item into its value, or calls `refuse` with what is wrong with it
 */
export function list<T>(
  accepts: string,
  item: (value: string, refuse: (message: string) => never) => T,
): Variable<T[]> {
  const schema = z
    .string()
    .optional()
    .transform((value, ctx) => {
      const items = (value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      try {
        return items.map((raw) => item(raw, refuse));
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    });
  return new Variable(schema, accepts, 'empty');
}
