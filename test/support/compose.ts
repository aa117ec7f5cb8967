/**
 * The Compose model of the shipped files, without Docker: reading and merging compose files the
 * way Compose does (`!override` included), interpolating `${VAR}` from the project environment,
 * and computing the environment a service's container starts with.
 *
 * The compose tests check the files with it; the production rehearsal (`npm run rehearse`) starts
 * each service as the real program it runs, with the environment {@link serviceEnvironment}
 * computes. The rules follow the Compose specification and Docker's documentation:
 *
 * - merge (<https://docs.docker.com/reference/compose-file/merge/>): mappings merge key by key;
 *   sequences append, except `command`, `entrypoint` and `healthcheck.test`, which the later file
 *   replaces, and `volumes`, where a later entry for the same container path replaces the earlier
 *   one; a value tagged `!override` replaces whatever was there;
 * - interpolation (<https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/>):
 *   `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
 *   `${VAR:+alternative}`, `${VAR+alternative}`; `$$` is a literal `$`; the values come from the
 *   shell, then the project's `.env` (the shell wins);
 * - precedence (<https://docs.docker.com/compose/how-tos/environment-variables/envvars-precedence/>):
 *   the image's `ENV`, then each `env_file` in order (a later file wins), then `environment:`;
 *   an `environment:` entry without a value takes the variable from the interpolation environment,
 *   and is left out when that does not hold it;
 * - env files (<https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/#env-file-syntax>):
 *   `KEY=VALUE` lines, `#` comments (inline only after whitespace in an unquoted value), blank
 *   lines, an optional `export ` prefix; single quotes are literal; double quotes know `\n`, `\t`,
 *   `\\`, `\"`, `\$`; unquoted and double-quoted values are interpolated from the lines before and
 *   the interpolation environment.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';

/** A JSON value, as a compose file parses to. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An `env_file` entry: a path, or the long form with `required`. */
export type EnvFileEntry = string | { path: string; required?: boolean };

/** One service of a compose file, with the keys the tests and the rehearsal read typed. */
export type ComposeService = Record<string, Json> & {
  image?: string;
  volumes?: string[];
  env_file?: EnvFileEntry[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: string[];
  command?: string[] | string;
  entrypoint?: string[] | string;
};

/** A compose file (or a merged model): services and named volumes. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, Json>;
  [key: string]: Json | Record<string, ComposeService> | undefined;
}

/** A value tagged `!override` in a compose file: it replaces instead of merging. */
export class Override {
  /** @param value - the tagged value */
  constructor(readonly value: unknown) {}
}

const overrideTag = (kind: 'seq' | 'map') => ({
  tag: '!override',
  collection: kind,
  resolve: (node: YAMLSeq | YAMLMap) => new Override(node.toJSON() as Json),
});

/**
 * Parses a compose file as written: no interpolation, `!override` values kept as {@link Override}
 * markers for {@link mergeCompose}.
 *
 * @param file - the file's path
 */
export function readComposeFile(file: string): unknown {
  return parse(readFileSync(file, 'utf8'), {
    customTags: [
      overrideTag('seq'),
      overrideTag('map'),
      { tag: '!override', resolve: (value: string | Scalar) => new Override(String(value)) },
    ],
  });
}

/**
 * Replaces every {@link Override} marker by its value, as for a file read alone.
 *
 * @param value - a parsed compose file or part of one
 */
export function plain(value: unknown): Json {
  if (value instanceof Override) return plain(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value as Json;
}

const REPLACED = new Set(['command', 'entrypoint', 'test']);
const volumeTarget = (entry: Json) => String(entry).split(':')[1];

/**
 * Merges an override into a base by the Compose merge rules (see the module's description).
 *
 * @param base - the earlier file (or part of it)
 * @param override - the later file, which wins
 * @param key - the key both values sit under (merge rules depend on it)
 * @returns the merged value, without {@link Override} markers
 */
export function mergeCompose(base: unknown, override: unknown, key = ''): Json {
  if (override instanceof Override) return plain(override.value);
  if (REPLACED.has(key)) return plain(override);
  if (Array.isArray(base) && Array.isArray(override)) {
    if (key === 'volumes') {
      const replaced = new Set(override.map(volumeTarget));
      return [...base.filter((entry) => !replaced.has(volumeTarget(entry))), ...override].map(plain);
    }
    return [...base, ...override].map(plain);
  }
  if (isMap(base) && isMap(override)) {
    const result: Record<string, Json> = { ...(plain(base) as Record<string, Json>) };
    for (const [k, v] of Object.entries(override)) result[k] = k in base ? mergeCompose(base[k], v, k) : plain(v);
    return result;
  }
  return plain(override);
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Override);

/** Thrown for `${VAR:?error}` on an unset variable, and for malformed interpolation. */
export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

/**
 * Interpolates a string the way Compose interpolates compose files (see the module's description).
 *
 * @param text - the text, e.g. `"https://${DOMAIN:-localhost}"`
 * @param vars - the interpolation environment
 * @returns the text with every reference replaced and every `$$` turned into `$`
 * @throws {@link InterpolationError} for `${VAR:?message}` when VAR is unset or empty, `${VAR?message}` when unset
 * @example
 * interpolate('$${A} ${B:-b}', {}); // '${A} b'
 */
export function interpolate(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(text, i + 2);
      out += substitute(text.slice(i + 2, end), vars);
      i = end + 1;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (!name) {
        out += '$';
        i++;
      } else {
        out += vars[name] ?? '';
        i += 1 + name.length;
      }
    }
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from` (defaults may nest `${...}`). */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  throw new InterpolationError(`unclosed \${ in "${text}"`);
}

function substitute(body: string, vars: Readonly<Record<string, string | undefined>>): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(body);
  if (!match) throw new InterpolationError(`invalid interpolation format for "\${${body}}"`);
  const [, name, colon, op, rest = ''] = match;
  const value = vars[name!];
  const unset = colon ? value === undefined || value === '' : value === undefined;
  if (!op) return value ?? '';
  if (op === '-') return unset ? interpolate(rest, vars) : value!;
  if (op === '+') return unset ? '' : interpolate(rest, vars);
  if (unset) throw new InterpolationError(`required variable ${name} is missing a value: ${interpolate(rest, vars)}`);
  return value!;
}

/** Applies {@link interpolate} to every string of a parsed compose file, keeping {@link Override} markers. */
function interpolateTree(value: unknown, vars: Readonly<Record<string, string | undefined>>): unknown {
  if (value instanceof Override) return new Override(interpolateTree(value.value, vars));
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((v) => interpolateTree(v, vars));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateTree(v, vars)]));
  return value;
}

/**
 * Parses an env file (Compose's syntax, see the module's description).
 *
 * @param text - the file's content
 * @param vars - the interpolation environment for `$VAR` references the file's own lines do not define
 * @returns the variables in file order; a later line for the same name wins
 * @throws Error naming the line for a line that is not `KEY=VALUE`
 * @example
 * parseEnvFile('A=1\nB="${A}2" # two\n', {}); // { A: '1', B: '12' }
 */
export function parseEnvFile(
  text: string,
  vars: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*([\s\S]*)$/.exec(line);
    if (!match) throw new Error(`line ${n + 1}: not KEY=VALUE: ${line}`);
    const [, key, raw] = match as unknown as [string, string, string];
    const lookup = { ...vars, ...result };
    if (raw.startsWith("'")) {
      const end = raw.indexOf("'", 1);
      if (end < 0) throw new Error(`line ${n + 1}: unclosed single quote`);
      result[key] = raw.slice(1, end);
    } else if (raw.startsWith('"')) {
      let value = '';
      let i = 1;
      let closed = false;
      for (; i < raw.length; i++) {
        const c = raw[i]!;
        if (c === '\\' && i + 1 < raw.length) {
          const e = raw[++i]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === '$' ? '$$' : e;
        } else if (c === '"') {
          closed = true;
          break;
        } else value += c;
      }
      if (!closed) throw new Error(`line ${n + 1}: unclosed double quote`);
      result[key] = interpolate(value, lookup);
    } else {
      const value = raw.replace(/\s+#.*$/, '').trim();
      result[key] = interpolate(value, lookup);
    }
  }
  return result;
}

/**
 * The interpolation environment of a project: the project folder's `.env` (when present), with
 * the shell's variables winning over it.
 *
 * @param dir - the project folder
 * @param shell - the shell environment Compose would run in (`{}` for none)
 */
export function projectEnvironment(
  dir: string,
  shell: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  let dotenv: Record<string, string> = {};
  try {
    dotenv = parseEnvFile(readFileSync(path.join(dir, '.env'), 'utf8'), shell);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fromShell = Object.fromEntries(
    Object.entries(shell).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return { ...dotenv, ...fromShell };
}

/** Options of {@link loadCompose}. */
export interface LoadOptions {
  /** The project folder: files, `.env` and relative `env_file` paths are relative to it. */
  dir: string;
  /** The interpolation environment; {@link projectEnvironment} of `dir` with an empty shell by default. */
  vars?: Readonly<Record<string, string | undefined>>;
}

/**
 * Loads compose files the way `docker compose -f a -f b` (or compose.yml with compose.override.yml)
 * does: each file interpolated, then merged in order.
 *
 * @param files - the files in order, relative to `options.dir`
 * @returns the merged model, with `$$` already turned into `$`
 * @example
 * const model = loadCompose(['compose.yml', '_compose.override.yml'], { dir: ROOT });
 * model.services.app.env_file; // ['.env', 'compose.env', 'prod.env']
 */
export function loadCompose(files: readonly string[], options: LoadOptions): ComposeFile {
  const vars = options.vars ?? projectEnvironment(options.dir);
  let merged: unknown = {};
  for (const file of files)
    merged = mergeCompose(merged, interpolateTree(readComposeFile(path.join(options.dir, file)), vars));
  return merged as ComposeFile;
}

/** Options of {@link serviceEnvironment}. */
export interface ServiceEnvironmentOptions {
  /** The project folder (relative `env_file` paths). */
  dir: string;
  /** The interpolation environment; {@link projectEnvironment} of `dir` with an empty shell by default. */
  vars?: Readonly<Record<string, string | undefined>>;
  /** The image's `ENV` (lowest precedence), e.g. `NODE_ENV=production` of the runtime stage. */
  image?: Readonly<Record<string, string>>;
  /** Where to read an env file; `dir`-relative files from disk by default (a test passes fixtures). */
  readFile?: (file: string) => string;
}

/**
 * The environment a service's container starts with, by Compose's precedence: image `ENV`, then
 * each `env_file` in order, then `environment:` (see the module's description).
 *
 * @param model - a model from {@link loadCompose}
 * @param service - the service's name
 * @returns the variables the container sees (without the ones Docker itself adds, such as `HOSTNAME`)
 * @throws Error for an unknown service or a missing required env file
 * @example
 * const env = serviceEnvironment(model, 'app', { dir: ROOT });
 * env.TRUST_PROXY; // what .env, compose.env and prod.env make of it
 */
export function serviceEnvironment(
  model: ComposeFile,
  service: string,
  options: ServiceEnvironmentOptions,
): Record<string, string> {
  const definition = model.services[service];
  if (!definition) throw new Error(`no service "${service}"`);
  const vars = options.vars ?? projectEnvironment(options.dir);
  const read = options.readFile ?? ((file: string) => readFileSync(path.resolve(options.dir, file), 'utf8'));
  const env: Record<string, string> = { ...options.image };
  const files =
    definition.env_file === undefined
      ? []
      : Array.isArray(definition.env_file)
        ? definition.env_file
        : [definition.env_file];
  for (const entry of files) {
    const { path: file, required = true } = typeof entry === 'string' ? { path: entry } : entry;
    let text: string;
    try {
      text = read(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) continue;
      throw new Error(`env file ${file} of service ${service}: ${(error as Error).message}`, { cause: error });
    }
    Object.assign(env, parseEnvFile(text, vars));
  }
  const environment = definition.environment;
  const entries: [string, string | undefined][] = Array.isArray(environment)
    ? environment.map((item) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, vars[item]] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(environment ?? {}).map(([key, value]) => [key, value === null ? vars[key] : String(value)]);
  for (const [key, value] of entries) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
