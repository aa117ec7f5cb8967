/**
 * The environment's schema: one zod entry per variable, built on zod's own coercions
 * (`z.stringbool()`, `z.coerce.number()`, `z.enum()`, `z.url()`); each entry's message names what
 * is wrong, and the loader puts the variable's name in front. The table of `docs/md/configuration.md`
 * documents the same variables, row for row (a drift test compares them with {@link CONFIG_VARIABLES}).
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

/** A value that is absent or blank takes the variable's default. */
const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const got = (issue: { input?: unknown }) => `got "${String(issue.input)}"`;

const bool = (fallback: boolean) =>
  z
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

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(blankIsUnset, wholeNumber(min, max).optional()).transform((n) => n ?? fallback);

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

const duration = (fallback: string, { allowOff = false } = {}) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      if (allowOff && /^\s*(?:0|off)\s*$/i.test(value)) return 0;
      const seconds = parseDuration(value);
      if (seconds !== null) return seconds;
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration such as 300, 5m, 12h or 7d${allowOff ? ', or off' : ''}, got "${value}"`,
      });
      return z.NEVER;
    });

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

const rate = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const parsed = parseRate(value);
      if (parsed !== undefined) return parsed;
      ctx.addIssue({ code: 'custom', message: `must be N/s, N/m, N/h, N/d or off, got "${value}"` });
      return z.NEVER;
    });

/** Trimmed text; blank or absent is `fallback`. */
const text = (fallback: string) =>
  z.preprocess(blankIsUnset, z.string().trim().optional()).transform((v) => v ?? fallback);

/** Trimmed text; blank or absent is `null`. */
const optionalText = () => z.preprocess(blankIsUnset, z.string().trim().optional()).transform((v) => v ?? null);

/** An optional URL with one of the given schemes (`postgres`, `https`, …); blank is unset. */
const url = (schemes: readonly string[]) =>
  z.preprocess(
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

/** A case-insensitive choice among `values`, `fallback` when unset. */
const choice = <const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
  message: (issue: { input?: unknown }) => string,
) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .default(fallback)
    .pipe(z.enum(values, { error: message }));

const LANGUAGE_CODES = ['en', 'ru'] as const;

/** `LANGUAGES`: a comma-separated subset of the languages; unset or empty turns negotiation off. */
const languages = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const list = (value ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const unknown = list.find((language) => !(LANGUAGE_CODES as readonly string[]).includes(language));
    if (unknown !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must list languages among ${LANGUAGE_CODES.join(', ')}, got "${unknown}"`,
      });
      return z.NEVER;
    }
    return [...new Set(list)] as (typeof LANGUAGE_CODES)[number][];
  });

const origins = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const list = (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const origin of list) {
      const parsed = URL.parse(origin);
      if (!parsed || parsed.origin !== origin.replace(/\/$/, '')) {
        ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin such as https://app.example.com` });
        return z.NEVER;
      }
    }
    return list.map((o) => o.replace(/\/$/, ''));
  });

/**
 * `ALLOWED_HOSTS`: Django's host patterns, comma-separated — an exact name (`api.example.com`, an
 * address, `[::1]`), a leading-dot pattern (`.example.com`: the domain and every subdomain), or `*`.
 * Lower-cased; a port is not part of a pattern.
 */
const allowedHosts = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const list = (value ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    for (const pattern of list) {
      if (pattern !== '*' && !/^(?:\.?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[a-f0-9:.]+\])$/.test(pattern)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${pattern}" is not a host name, .domain pattern or * (no scheme, no port)`,
        });
        return z.NEVER;
      }
    }
    return list;
  });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `TRUST_PROXY`'s old boolean spelling: `true` is the one proxy of the shipped setup. */
const trustProxy = z
  .string()
  .trim()
  .toLowerCase()
  .default('0')
  .transform((v) => (v === 'true' ? '1' : v === 'false' || v === '' ? '0' : v))
  .pipe(
    wholeNumber(
      0,
      10,
      (issue) => `must be the number of proxies in front of the app (0, 1 for the shipped nginx, ...), ${got(issue)}`,
    ),
  );

/** The environment's schema; its keys are every variable the application reads. */
export const EnvSchema = z.object({
  DEBUG: bool(false),
  HOST: text('127.0.0.1'),
  PORT: int(8000, 0, 65535),
  SECRET_KEY: z.string({ error: 'is required (generate one with `npm run cli -- generate-secret-key`)' }),
  DATA_DIR: text('./data'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  DATABASE_POOL_MAX: int(10, 1, 1000),
  DATABASE_STATEMENT_TIMEOUT: duration('30s', { allowOff: true }),
  POSTGRES_HOST: optionalText(),
  POSTGRES_PORT: int(5432, 1, 65535),
  POSTGRES_DB: text('postgres'),
  POSTGRES_USER: text('postgres'),
  POSTGRES_PASSWORD: text(''),
  MINIO_SERVER_URL: url(['http', 'https']),
  MINIO_ROOT_USER: optionalText(),
  MINIO_ROOT_PASSWORD: optionalText(),
  MINIO_BUCKET: text('backoffice'),
  MINIO_PUBLIC_URL: url(['http', 'https']),
  MINIO_REGION: text('us-east-1'),
  MINIO_CREATE_BUCKET: bool(true),
  MEDIA_ROOT: optionalText(),
  FILE_URL_LIFETIME: duration('5m'),
  CORS_ALLOWED_ORIGINS: origins,
  COOKIE_SAMESITE: choice(['none', 'lax', 'strict'], 'lax', (issue) => `must be None, Lax or Strict, ${got(issue)}`),
  COOKIE_SECURE: bool(false),
  ACCESS_TOKEN_LIFETIME: duration('5m'),
  REFRESH_TOKEN_LIFETIME: duration('1d'),
  ROTATE_REFRESH_TOKENS: bool(true),
  BLACKLIST_AFTER_ROTATION: bool(true),
  TOKEN_BLACKLIST: bool(true),
  REFRESH_REUSE_LEEWAY: duration('5s', { allowOff: true }),
  SESSION_MAX_LIFETIME: duration('30d'),
  BROWSABLE_API: bool(true),
  WEB_CONCURRENCY: int(1, 1, 64),
  METRICS_PORT: int(0, 0, 65535),
  METRICS_HOST: text('127.0.0.1'),
  TRUST_PROXY: trustProxy,
  ALLOWED_HOSTS: allowedHosts,
  USE_X_FORWARDED_HOST: bool(false),
  UPLOAD_MAX_BYTES: int(50 * 1024 * 1024, 1),
  LANGUAGE_CODE: choice(LANGUAGE_CODES, 'en', (issue) => `must be en or ru, ${got(issue)}`),
  LANGUAGES: languages,
  LOG_LEVEL: choice(LOG_LEVELS, 'info', (issue) => `must be one of ${LOG_LEVELS.join(', ')}, ${got(issue)}`),
  REDIS_URL: url(['redis', 'rediss']),
  CACHE_TTL: duration('1m', { allowOff: true }),
  THROTTLE_LOGIN_PER_IP: rate('20/m'),
  THROTTLE_LOGIN_PER_USER: rate('5/m'),
  THROTTLE_USER: rate('1000/m'),
  THROTTLE_ANON: rate('100/m'),
  SUPERUSER_PASSWORD: optionalText(),
  EMAIL_BACKEND: z.preprocess(
    blankIsUnset,
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['console', 'file', 'smtp'], { error: (issue) => `must be console, file or smtp, ${got(issue)}` }))
      .optional(),
  ),
  EMAIL_FILE_PATH: optionalText(),
  EMAIL_HOST: text('localhost'),
  EMAIL_PORT: int(25, 1, 65535),
  EMAIL_HOST_USER: text(''),
  EMAIL_HOST_PASSWORD: text(''),
  EMAIL_USE_TLS: bool(false),
  EMAIL_USE_SSL: bool(false),
  EMAIL_TIMEOUT: duration('10s'),
  DEFAULT_FROM_EMAIL: text('webmaster@localhost'),
  PASSWORD_RESET_URL: text('http://localhost:5173/reset/{uid}/{token}/'),
  PASSWORD_RESET_TIMEOUT: duration('259200'),
  THROTTLE_PASSWORD_RESET_PER_IP: rate('10/h'),
  THROTTLE_PASSWORD_RESET_PER_EMAIL: rate('3/h'),
  MALLOC_ARENA_MAX: text('1'),
  WORKER_MAX_SEMI_SPACE_MB: int(4, 0, 1024),
  WORKER_HEAP_GROWING_PERCENT: int(10, 0, 1000),
});

/** Every environment variable the application reads, for documentation and drift tests. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);
