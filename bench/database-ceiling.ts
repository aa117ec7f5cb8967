/**
 * The database ceiling of the writes: `pgbench` replaying the statements one refresh and one login
 * execute — the same SQL text, the same parameters in the same places, fresh token ids in every
 * transaction, as many client connections as the app's pools hold — against the bench database.
 * A refresh or a login cannot commit faster than PostgreSQL commits these alone, so their rate is
 * reported as a share of it.
 *
 * The scripts are built from the code the app runs (`ROTATION_SQL`, the objection queries of a
 * login), and `test/bench/database-ceiling.test.ts` checks them against the statements a real
 * refresh and login send.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { ROTATION_SQL } from '../src/auth/rotation.js';
import { OutstandingToken, User } from '../src/db/models.js';

const execFileAsync = promisify(execFile);

/** Fresh token ids per transaction: client `c`'s `i`-th transaction spends token `BASE + c × STRIDE + i`. */
const JTI_BASE = 1_000_000_000_000;
/** The most transactions one client may run before it would reach the next client's tokens. */
export const JTI_STRIDE = 1_000_000;
/** Added to a spent token's id to name its successor (and, in the login script, a new session's token). */
const NEW_JTI_OFFSET = 500_000_000_000;

/** The pgbench binary of the newest PostgreSQL server package (Debian's layout), or null. */
export function pgbenchBinary(): string | null {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, 'bin/pgbench')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0]!, 'bin/pgbench') : null;
}

/**
 * The pgbench script of one refresh: `ROTATION_SQL` as the app sends it (pgbench's `:name` variables
 * are knex's named bindings), with a fresh spent token and successor per transaction; the other
 * bindings are constants given with `-D` (see {@link refreshConstants}).
 */
export function refreshScript(): string {
  return [
    '\\set i :i + 1',
    `\\set jti ${JTI_BASE} + :client_id * ${JTI_STRIDE} + :i`,
    `\\set newJti :jti + ${NEW_JTI_OFFSET}`,
    `${ROTATION_SQL.trim()};`,
    '',
  ].join('\n');
}

/** pg's text form of a bound value (a `Date` as `pg` sends it), for pgbench's `-D`. */
const asText = (value: Date | string | number | boolean) => (value instanceof Date ? pgDate(value) : String(value));

/** `pg`'s serialisation of a `Date` parameter: local time with its offset. */
function pgDate(date: Date): string {
  const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    `${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}

/**
 * The refresh bindings that do not change per transaction, as the app binds them with rotation and
 * blacklist-after-rotation on: the user, the flags, a signed token of the real length, its times.
 */
export function refreshConstants(options: {
  userId: number;
  token: string;
  lifetimeS: number;
}): Record<string, string> {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  return {
    userId: String(options.userId),
    checkBlacklist: 'true',
    blacklistOld: 'true',
    issue: 'true',
    sessionMaxLifetime: String(30 * 86_400), // SESSION_MAX_LIFETIME's default
    newToken: options.token,
    createdAt: asText(now),
    expiresAt: asText(new Date(now.getTime() + options.lifetimeS * 1000)),
  };
}

/**
 * The login's write as knex sends it: in one transaction, `last_login` set (its trigger notifies
 * every worker) and the new session's refresh token recorded; the same objection calls as
 * `obtainTokenPair`.
 */
export function loginStatements(knex: Knex): { sql: string; variables: string[] }[] {
  const update = User.query(knex).findById(0).patch({ last_login: knex.fn.now() }).toKnexQuery().toSQL().toNative();
  const insert = OutstandingToken.query(knex)
    .insert({
      user_id: 0,
      jti: '',
      token: '',
      created_at: new Date(),
      expires_at: new Date(),
      session_id: '00000000-0000-0000-0000-000000000000',
    })
    .toKnexQuery()
    .toSQL()
    .toNative();
  // knex orders an insert's columns by name: map each placeholder to the pgbench variable it takes.
  const byColumn: Record<string, string> = {
    created_at: 'createdAt',
    expires_at: 'expiresAt',
    jti: 'jti',
    session_id: 'sessionId',
    token: 'token',
    user_id: 'uid',
  };
  const columns = /\(([^)]*)\) values/
    .exec(insert.sql)![1]!
    .split(', ')
    .map((c) => c.replace(/"/g, ''));
  return [
    { sql: 'BEGIN', variables: [] },
    { sql: update.sql, variables: ['uid'] },
    { sql: insert.sql, variables: columns.map((c) => byColumn[c]!) },
    { sql: 'COMMIT', variables: [] },
  ];
}

/** Replaces `$1`, `$2`, … with the pgbench variables in order. */
export function withVariables(sql: string, variables: readonly string[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => `:${variables[Number(n) - 1]!}`);
}

/**
 * The pgbench script of one login's write: a random bench user, a fresh token id per transaction.
 * One constant session id for every row (pgbench cannot make a UUID per transaction): the index on
 * `session_id` takes duplicates, which PostgreSQL's B-tree deduplicates, at about the cost of
 * distinct keys.
 */
export function loginScript(knex: Knex, users: number): string {
  return [
    `\\set uid random(1, ${users})`,
    '\\set i :i + 1',
    `\\set jti ${JTI_BASE + NEW_JTI_OFFSET * 2} + :client_id * ${JTI_STRIDE} + :i`,
    ...loginStatements(knex).map((s) => `${withVariables(s.sql, s.variables)};`),
    '',
  ].join('\n');
}

/** The login bindings that do not change per transaction. */
export function loginConstants(options: {
  token: string;
  sessionId: string;
  lifetimeS: number;
}): Record<string, string> {
  // objection hands knex dates as ISO strings in an insert (what the capture shows).
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  return {
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + options.lifetimeS * 1000).toISOString(),
    sessionId: options.sessionId,
    token: options.token,
  };
}

/**
 * Records the tokens the refresh replay spends, as the bench's own pool is recorded: outstanding,
 * each its own session, of one user; `perClient` for each of `clients` clients.
 */
export async function recordCeilingTokens(
  knex: Knex,
  options: { userId: number; token: string; clients: number; perClient: number; lifetimeS: number },
  // perClient covers the warm-up's and the measured run's budgets together
): Promise<void> {
  if (options.perClient > JTI_STRIDE) throw new Error(`at most ${JTI_STRIDE} tokens per client`);
  const created = new Date();
  const expires = new Date(created.getTime() + options.lifetimeS * 1000);
  // pgbench numbers its clients from 0; client c's first transaction spends i = 1.
  for (let c = 0; c < options.clients; c++) {
    await knex.raw(
      `INSERT INTO ${OutstandingToken.tableName} (user_id, jti, token, created_at, expires_at, session_id)
       SELECT ?, (CAST(? AS bigint) + i)::text, ?, ?, ?, gen_random_uuid() FROM generate_series(1, ?) AS i`,
      [options.userId, JTI_BASE + c * JTI_STRIDE, options.token, created, expires, options.perClient],
    );
  }
  await knex.raw(`ANALYZE ${OutstandingToken.tableName}`);
}

/** What one pgbench replay measured. */
export interface DatabaseCeiling {
  /** `refresh` or `login`. */
  readonly name: string;
  /** The script pgbench ran (SQL with its variables). */
  readonly script: string;
  /** pgbench's `-M`: `prepared` for a named statement, `extended` for knex's unnamed ones. */
  readonly mode: 'prepared' | 'extended';
  readonly clients: number;
  readonly threads: number;
  /** Transactions per second, without the connection time. */
  readonly transactionsPerSecond: number;
  readonly transactions: number;
  readonly failed: number;
  readonly latencyMs: { p50: number; p99: number; mean: number };
  /** WAL written per transaction (bytes), from `pg_current_wal_lsn()` before and after. */
  readonly walBytesPerTransaction: number;
}

/**
 * Runs a pgbench script for `durationS` (after `warmupS` unmeasured) and reads its rate and, from
 * its per-transaction log, the latency percentiles.
 *
 * Each client's counter `i` runs from 0 in the warm-up and from `warmupBudget` in the measured
 * run, so that no token is spent twice; a client that would go past its budget (the tokens recorded
 * for it) makes the run fail rather than replay spent tokens.
 *
 * @param options.url - the database (`postgres://user@host:port/name`)
 * @param options.variables - `-D` constants
 */
export async function runPgbench(options: {
  binary: string;
  url: string;
  name: string;
  script: string;
  mode: 'prepared' | 'extended';
  clients: number;
  threads: number;
  durationS: number;
  warmupS: number;
  variables: Record<string, string>;
  /** Transactions per client the warm-up may run; the measured run may run `budget`. */
  warmupBudget: number;
  budget: number;
  walLsn: () => Promise<bigint>;
}): Promise<DatabaseCeiling> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pgbench-'));
  try {
    const scriptFile = path.join(dir, `${options.name}.sql`);
    fs.writeFileSync(scriptFile, options.script);
    const url = new URL(options.url);
    const env = {
      PATH: process.env.PATH,
      // A Unix socket's directory comes percent-encoded in the host (postgres://user@%2Fvar%2Frun%2Fpostgresql/db).
      PGHOST: decodeURIComponent(url.hostname),
      PGPORT: url.port || '5432',
      PGUSER: decodeURIComponent(url.username) || 'postgres',
      ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
      PGDATABASE: decodeURIComponent(url.pathname.slice(1)),
    };
    const defines = Object.entries(options.variables).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
    const common = ['-n', '-M', options.mode, '-c', String(options.clients), '-j', String(options.threads), ...defines];
    const pgbench = async (seconds: number, start: number, prefix: string) => {
      const { stdout } = await execFileAsync(
        options.binary,
        [
          ...common,
          '-D',
          `i=${start}`,
          '-T',
          String(seconds),
          '-l',
          '--log-prefix',
          path.join(dir, prefix),
          '-f',
          scriptFile,
        ],
        { env, maxBuffer: 16 * 2 ** 20 },
      );
      const log = readTransactionLog(dir, prefix);
      const most = Math.max(0, ...log.perClient.values());
      const budget = prefix === 'warm' ? options.warmupBudget : options.budget;
      if (most > budget)
        throw new Error(`pgbench ${options.name}: a client ran ${most} transactions, past its ${budget} tokens`);
      return { stdout, latencies: log.latencies };
    };
    if (options.warmupS > 0) await pgbench(options.warmupS, 0, 'warm');
    const before = await options.walLsn();
    const { stdout, latencies } = await pgbench(options.durationS, options.warmupBudget, 'tx');
    const wal = (await options.walLsn()) - before;
    const summary = parsePgbenchSummary(stdout);
    return {
      name: options.name,
      script: options.script,
      mode: options.mode,
      clients: options.clients,
      threads: options.threads,
      transactionsPerSecond: Math.round(summary.tps),
      transactions: summary.transactions,
      failed: summary.failed,
      latencyMs: {
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        mean: Math.round((latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)) * 100) / 100,
      },
      walBytesPerTransaction: summary.transactions ? Math.round(Number(wal) / summary.transactions) : 0,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads pgbench's summary: the rate without connection time, the transactions processed and
 * failed.
 */
export function parsePgbenchSummary(stdout: string): { tps: number; transactions: number; failed: number } {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
  if (!tps || !processed) throw new Error(`pgbench printed no summary:\n${stdout}`);
  const failed = /number of failed transactions: (\d+)/.exec(stdout);
  return { tps: Number(tps[1]), transactions: Number(processed[1]), failed: failed ? Number(failed[1]) : 0 };
}

/**
 * pgbench's per-transaction logs (`-l`, lines `client transaction_no latency_us …`): the latencies
 * (ms) and each client's transaction count.
 */
function readTransactionLog(dir: string, prefix: string): { latencies: number[]; perClient: Map<number, number> } {
  const latencies: number[] = [];
  const perClient = new Map<number, number>();
  for (const file of fs.readdirSync(dir).filter((f) => f.startsWith(`${prefix}.`))) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const fields = line.split(' ');
      if (fields.length < 3) continue;
      latencies.push(Number(fields[2]) / 1000);
      const client = Number(fields[0]);
      perClient.set(client, Math.max(perClient.get(client) ?? 0, Number(fields[1]) + 1));
    }
  }
  return { latencies, perClient };
}

/** The `q` quantile of some numbers (nearest rank), rounded to 0.01. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[rank]! * 100) / 100;
}
