/**
 * The application logger: pino, JSON lines in production, pretty lines in debug on a terminal.
 *
 * Credentials never reach a log line: the headers and body fields that carry them are redacted,
 * and errors are written by {@link serializeError}, which keeps what identifies an error and
 * nothing that can carry a value (PostgreSQL's `detail` quotes the failing row, tokens and
 * password hashes included).
 *
 * @module
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger } from 'pino';

/** Paths pino censors wherever a request, response or error object is logged. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.old_password',
  '*.refresh',
  '*.access',
  '*.token',
  'secretKey',
];

/** The fields of a PostgreSQL error that name things (codes, objects), never values. */
const DATABASE_FIELDS = ['code', 'severity', 'constraint', 'table', 'schema', 'column', 'dataType', 'routine'] as const;
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const NESTING = 3;

/** How long a buffered log line may wait for a quiet process to write it. */
export const FLUSH_INTERVAL_MS = 1000;

/**
 * The one way an error reaches a log line (pino's `err` serializer): its type, its message with
 * every quoted value and byte sequence masked, its stack frames, and of a database error the
 * SQLSTATE, severity, constraint, table, schema, column, data type and routine — an allowlist, so
 * that `detail` (the failing row), `where`, `hint`, the query and its parameters can never follow.
 * A `cause` and the errors of an `AggregateError` are written the same way.
 *
 * @param error - anything thrown
 * @returns a plain object for the log line
 * @example
 * serializeError(uniqueViolation);
 * // { type: 'error', message: 'duplicate key value violates unique constraint "auth_user_username_key"',
 * //   code: '23505', constraint: 'auth_user_username_key', table: 'auth_user', … }
 */
export function serializeError(error: unknown): Record<string, unknown> {
  return serialize(error, 0);
}

function serialize(error: unknown, depth: number): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: `[a thrown ${typeof error}, not written]` };
  // objection wraps a driver's error in a db-errors class (`nativeError`) without its fields.
  const native = (error as { nativeError?: unknown }).nativeError;
  const fields = (native instanceof Error ? native : error) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { type: error.constructor?.name || error.name };
  const names: string[] = [];
  for (const field of DATABASE_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string' && (field !== 'code' || CODE.test(value))) {
      out[field] = value;
      if (field !== 'code' && field !== 'severity' && field !== 'routine') names.push(value);
    }
  }
  const message = withoutValues(databaseMessage(native instanceof Error ? native : error), names);
  out.message = message;
  if (typeof error.stack === 'string') {
    const frames = error.stack.split('\n').filter((line) => /^\s+at /.test(line));
    out.stack = [`${String(out.type)}: ${message}`, ...frames].join('\n');
  }
  if (depth < NESTING) {
    if (error.cause !== undefined) out.cause = serialize(error.cause, depth + 1);
    if (error instanceof AggregateError)
      out.errors = error.errors.slice(0, 5).map((e: unknown) => serialize(e, depth + 1));
  }
  return out;
}

/** A database error's own message: knex puts the statement in front of it (`<sql> - <message>`). */
function databaseMessage(error: Error): string {
  const isDatabaseError =
    typeof (error as { routine?: unknown }).routine === 'string' ||
    typeof (error as { severity?: unknown }).severity === 'string';
  const cut = error.message.lastIndexOf(' - ');
  return isDatabaseError && cut !== -1 ? error.message.slice(cut + 3) : error.message;
}

/**
 * Masks what a message may quote of a value: PostgreSQL quotes values (`invalid input syntax for
 * type integer: "…"`, `value "…" is out of range`) as it quotes names, so only the names the error
 * carries in its own fields stay; byte sequences (`0xe3 0x81`) go too.
 */
function withoutValues(message: string, names: readonly string[]): string {
  return message
    .replace(/"(?:[^"]|"")*"/g, (quoted) =>
      names.includes(quoted.slice(1, -1).replaceAll('""', '"')) ? quoted : '"…"',
    )
    .replace(/\b0x[0-9a-f]{2}(?:\s+0x[0-9a-f]{2})*/gi, '0x…');
}

/**
 * Creates the process logger.
 *
 * @param config - `logLevel` sets the level; `debug` with a terminal on stdout switches to pretty lines
 * @param destination - where lines go instead of standard output (tests capture them)
 * @returns a pino logger whose child loggers carry the request id
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'debug'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  if (destination) return pino(options, destination);
  if (config.debug && process.stdout.isTTY) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
    });
  }
  // Buffered asynchronous writes, as pino's "Asynchronous Logging" page sets them: lines gather up to
  // 4 KiB and leave in one system call (one per request cost 5 % of a worker's CPU under load,
  // docs/md/benchmarks.md). A quiet process flushes every FLUSH_INTERVAL_MS, so that a line waits
  // at most that long; pino flushes the rest when the process exits.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      stdout.flush();
    } catch {
      // Closed: the process is exiting, and pino has written what was left.
    }
  }, FLUSH_INTERVAL_MS).unref();
  return pino(options, stdout);
}
