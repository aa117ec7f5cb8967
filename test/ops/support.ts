/**
 * Helpers of the operations tests: host tools, free loopback ports, child processes, HTTP over
 * loopback, scratch PostgreSQL databases.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knex from 'knex';

/** The project root (the folder holding package.json). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Whether a command is on PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Skips the current suite when a host tool is missing, with a one-line reason; under `CI=true`
 * a missing tool fails instead (CI installs them, see .ci/run).
 *
 * @example
 * before(function () { requireTools(this, 'nginx', 'openssl'); });
 */
export function requireTools(ctx: Mocha.Context, ...names: string[]): void {
  const missing = names.filter((name) => !hasTool(name));
  if (missing.length === 0) return;
  const reason = `needs ${missing.join(', ')} (Debian package${missing.length > 1 ? 's' : ''}: apt-get install -y ${missing.join(' ')})`;
  if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  process.stdout.write(`      skipped: ${reason}\n`);
  ctx.skip();
}

export { freePort } from '../support/processes.js';

/** An answer read whole. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  agent?: http.Agent | false;
  /** For https: the certificate to trust. */
  ca?: string;
  servername?: string;
  timeoutMs?: number;
}

/** One HTTP(S) request, answered whole; rejects on a network error or timeout. */
export function request(url: string, options: RequestOptions = {}): Promise<Answer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent,
        ca: options.ca,
        servername: options.servername,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls a URL until it answers `status` (200 by default) or the time is up. */
export async function waitForStatus(
  url: string,
  {
    status = 200,
    timeoutMs = 30_000,
    ca,
    child,
  }: { status?: number; timeoutMs?: number; ca?: string; child?: ChildProcess } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`the process exited (${child.exitCode}) before ${url} answered`);
    try {
      const answer = await request(url, { ca, timeoutMs: 2_000 });
      if (answer.status === status) return;
      last = `${answer.status} ${answer.body.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

/** A child process whose output is kept for error messages. */
export interface Running {
  child: ChildProcess;
  output: () => string;
  /** Sends a signal and resolves with the exit code (null when killed by a signal). */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | null>;
}

/** Starts a long-running process, collecting its stdout and stderr. */
export function start(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Running {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The environment of a child process: ours without the database and storage settings. */
export function cleanEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['DATABASE_URL', 'POSTGRES_HOST', 'MINIO_SERVER_URL', 'TEST_DATABASE_URL', 'NODE_OPTIONS'])
    delete env[key];
  return { ...env, ...overrides };
}

/** The PostgreSQL server the ops tests use for scratch databases (trust auth on loopback). */
export const PG_ADMIN_URL = process.env.OPS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether that server answers. */
export async function postgresAvailable(): Promise<boolean> {
  const db = knex({
    client: 'pg',
    connection: { connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2_000 },
    pool: { min: 0, max: 1 },
  });
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await db.destroy();
  }
}

/**
 * Skips the suite when no PostgreSQL server answers at {@link PG_ADMIN_URL}; fails under `CI=true`.
 */
export async function requirePostgres(ctx: Mocha.Context): Promise<void> {
  if (await postgresAvailable()) return;
  const reason = `needs a PostgreSQL server at ${new URL(PG_ADMIN_URL).host} (set OPS_TEST_POSTGRES_URL)`;
  if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  process.stdout.write(`      skipped: ${reason}\n`);
  ctx.skip();
}

/** Creates a scratch database with a unique name and returns its URL and a dropper. */
export async function scratchDatabase(
  prefix: string,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const db = knex({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await db.raw(sql);
  } finally {
    await db.destroy();
  }
}
