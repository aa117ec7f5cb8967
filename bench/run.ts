/**
 * `npm run bench`: the application in production mode (`node dist/server.js`, `WEB_CONCURRENCY`
 * workers, a real PostgreSQL server, 10,000 users) driven over loopback by autocannon from this
 * process, next to the ceiling — a bare `node:http` server with the same worker count answering the
 * same JSON from memory — measured in the same run. With the generated-resource scenarios (the
 * default), the app is a scratch copy of the project with a resource made by `startapp` and built
 * there (`bench/generated.ts`), so that one build serves the hand-written and the generated
 * endpoints. Prints a table, writes `bench/results/latest.json` and the chart `docs/md/img/bench.svg`.
 *
 * Settings (environment): BENCH_DATABASE_URL, BENCH_DURATION (s per scenario), BENCH_WARMUP (s),
 * BENCH_CONNECTIONS, BENCH_WORKERS, BENCH_USERS, BENCH_LOG_LEVEL, BENCH_NODE_OPTIONS (the app's
 * NODE_OPTIONS, e.g. V8 heap flags), BENCH_APP_ENV (more of the app's environment, space-separated
 * NAME=value, e.g. WORKER_MAX_SEMI_SPACE_MB=8), BENCH_SCENARIOS (comma list of names; a compared
 * scenario brings its baseline: `resource-list` runs `users-list` too), BENCH_SKIP_BUILD=1,
 * BENCH_SKIP_STARTUP=1, BENCH_CPU_PROF=1 (CPU profiles of the workers into
 * bench/results/profile.tmp/), BENCH_OUTPUT (the JSON file).
 */
import autocannon from 'autocannon';
import { verify as argon2Verify } from '@node-rs/argon2';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { ARGON2_PARAMS, hashPassword } from '../src/auth/passwords.js';
import { signToken } from '../src/auth/tokens.js';
import {
  loginConstants,
  loginScript,
  pgbenchBinary,
  recordCeilingTokens,
  refreshConstants,
  refreshScript,
  runPgbench,
  type DatabaseCeiling,
} from './database-ceiling.js';
import {
  GENERATED_COMMAND,
  GENERATED_RESOURCE,
  listMismatches,
  loadGeneratedRows,
  needsGeneratedResource,
  prepareGeneratedProject,
  withBaselines,
  type GeneratedProject,
  type ListPage,
} from './generated.js';
import { hitRatio, MIX, mixedKinds, scrapeCounters } from './mixed.js';
import {
  BENCH_ADMIN,
  BENCH_PASSWORD,
  BENCH_USER,
  LAST_NAMES,
  createScratchDatabase,
  issueRefreshTokens,
  loadUsers,
  openBenchKnex,
} from './dataset.js';
import {
  cpuTimeMs,
  freePort,
  memoryOf,
  run,
  sampleMemory,
  stopChild,
  waitFor200,
  waitForWorkers,
} from './processes.js';
import { BENCHMARKS_PAGE, writeResultsPage } from './page.js';
import {
  renderChart,
  renderTable,
  withRelativeRatios,
  type BenchResults,
  type MixedResult,
  type RunMachine,
  type ScenarioResult,
} from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const settings = {
  databaseUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backoffice_bench',
  duration: Number(env.BENCH_DURATION ?? 10),
  warmup: Number(env.BENCH_WARMUP ?? 2),
  connections: Number(env.BENCH_CONNECTIONS ?? 32),
  workers: Number(env.BENCH_WORKERS ?? 2),
  users: Number(env.BENCH_USERS ?? 10_000),
  logLevel: env.BENCH_LOG_LEVEL ?? 'info',
  only: env.BENCH_SCENARIOS ? withBaselines(new Set(env.BENCH_SCENARIOS.split(',').map((s) => s.trim()))) : null,
  cpuProfile: env.BENCH_CPU_PROF === '1',
  // A run of some scenarios only does not replace the committed full run.
  output: path.resolve(
    env.BENCH_OUTPUT ??
      path.join(ROOT, env.BENCH_SCENARIOS ? 'bench/results/partial.json.tmp' : 'bench/results/latest.json'),
  ),
  /** The app's environment beyond what the bench sets: BENCH_NODE_OPTIONS, then BENCH_APP_ENV. */
  appEnv: {
    ...(env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: env.BENCH_NODE_OPTIONS } : {}),
    ...appEnvOf(env.BENCH_APP_ENV ?? ''),
  },
  /** The mixed scenario's total offered rate (req/s), shared out as `MIX` states. */
  mixRate: Number(env.BENCH_MIX_RATE ?? 600),
  /** Connections of each worker's database pool (the app's DATABASE_POOL_MAX default). */
  poolMax: 10,
};
const SECRET_KEY = 'bench-secret-key-0123456789abcdef-0123456789abcdef';
const SEARCH = 'Smirnova';
const UPLOAD_BYTES = 2 ** 20;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** `BENCH_APP_ENV`'s space-separated `NAME=value` pairs; anything else stops the run before it starts. */
function appEnvOf(pairs: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs.split(/\s+/).filter(Boolean)) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`BENCH_APP_ENV: "${pair}" is not NAME=value`);
    vars[match[1]!] = match[2]!;
  }
  return vars;
}

/** A child environment: PATH and HOME only, plus the given variables (no .env is read: cwd is scratch). */
function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: env.PATH, HOME: env.HOME, NODE_ENV: 'production', ...vars };
}

interface Scenario {
  name: string;
  label: string;
  options: autocannon.Options;
}

async function measure(scenario: Scenario, workerPids: readonly number[]): Promise<Omit<ScenarioResult, 'ratio'>> {
  if (settings.warmup > 0) await autocannon({ ...scenario.options, duration: settings.warmup });
  const memory = sampleMemory(workerPids);
  const cpuBefore = workerPids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0);
  const result = await autocannon({ ...scenario.options, duration: settings.duration });
  const cpuMs = workerPids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0) - cpuBefore;
  const peaks = memory.stop();
  const codes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]),
  );
  return {
    name: scenario.name,
    label: scenario.label,
    requestsPerSecond: Math.round(result.requests.average),
    requests: result.requests.total,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: codes,
    peakRssMiB: workerPids.map((pid) => round1(peaks.get(pid) ?? 0)),
    // Worker CPU per request: unlike req/s, barely moved by other load on the machine.
    workerCpuMsPerRequest: result.requests.total ? Math.round((cpuMs / result.requests.total) * 1000) / 1000 : 0,
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Runs every kind of the mix at once (after a warm-up of all of them) and measures each. */
async function measureMixed(
  kinds: ReturnType<typeof mixedKinds>,
  workerPids: readonly number[],
  metricsPort: number,
): Promise<MixedResult> {
  if (settings.warmup > 0)
    await Promise.all(kinds.map(({ options }) => autocannon({ ...options, duration: settings.warmup })));
  const memory = sampleMemory(workerPids);
  const cpuBefore = workerPids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0);
  const before = await scrapeCounters(metricsPort);
  const measured = await Promise.all(
    kinds.map(({ options }) => autocannon({ ...options, duration: settings.duration })),
  );
  const after = await scrapeCounters(metricsPort);
  const cpuMs = workerPids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0) - cpuBefore;
  const peaks = memory.stop();
  const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
  const total = measured.reduce((sum, r) => sum + r.requests.total, 0);
  return {
    durationS: settings.duration,
    kinds: kinds.map(({ kind, options }, i) => {
      const result = measured[i]!;
      return {
        name: kind.name,
        label: kind.label,
        offeredPerSecond: options.overallRate ?? null,
        connections: kind.connections,
        requestsPerSecond: Math.round(result.requests.average),
        requests: result.requests.total,
        latencyMs: {
          p50: result.latency.p50,
          p99: result.latency.p99,
          mean: result.latency.mean,
          max: result.latency.max,
        },
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        statusCodes: Object.fromEntries(
          Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]),
        ),
      };
    }),
    cacheHitRatio: {
      principal: hitRatio(
        delta('backoffice_principal_cache_hits_total'),
        delta('backoffice_principal_cache_misses_total'),
      ),
      usersList: hitRatio(
        delta('backoffice_users_page_cache_hits_total'),
        delta('backoffice_users_page_cache_misses_total'),
      ),
    },
    peakRssMiB: workerPids.map((pid) => round1(peaks.get(pid) ?? 0)),
    workerCpuMsPerRequest: total ? Math.round((cpuMs / total) * 1000) / 1000 : 0,
  };
}

/** The machine, the versions and the commit, as measured now. */
async function runMachine(knex: Knex, loadAverageStart: number[], pgbench: string | null): Promise<RunMachine> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  let commit = 'unknown';
  try {
    commit =
      git('rev-parse', '--short=12', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? '-dirty' : '');
  } catch {
    // not a git checkout
  }
  const { rows } = await knex.raw<{ rows: { server_version: string }[] }>('SHOW server_version');
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: `PostgreSQL ${rows[0]!.server_version}`,
    pgbench: pgbench ? execFileSync(pgbench, ['--version'], { encoding: 'utf8' }).trim() : null,
    commit,
    loadAverageStart,
    loadAverage: os.loadavg().map(round1),
  };
}

const walLsn = (knex: Knex) => async () => {
  const { rows } = await knex.raw<{ rows: { bytes: string }[] }>(
    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS bytes",
  );
  return BigInt(rows[0]!.bytes);
};

/**
 * pgbench replaying one refresh's statement and one login's write against the bench database,
 * with the app's pool size × workers client connections; null without pgbench.
 */
async function databaseCeilings(databaseUrl: string, knex: Knex, userId: number): Promise<DatabaseCeiling[]> {
  const binary = pgbenchBinary();
  if (!binary) {
    log('pgbench not found (apt-get install postgresql): no database ceiling');
    return [];
  }
  const clients = settings.workers * settings.poolMax;
  // Generous budgets per client (a rate of 20,000/s); a client that would exceed one fails the run.
  const budget = (seconds: number) => Math.ceil((20_000 * seconds) / clients);
  const tokenSettings = { secretKey: SECRET_KEY, accessLifetime: 3600, refreshLifetime: 86_400 };
  const token = signToken(tokenSettings, 'refresh', { userId, sessionId: randomUUID() }).token;
  const common = {
    binary,
    url: databaseUrl,
    clients,
    threads: 1,
    durationS: settings.duration,
    warmupS: settings.warmup,
    warmupBudget: budget(settings.warmup),
    budget: budget(settings.duration),
    walLsn: walLsn(knex),
  };
  const ceilings: DatabaseCeiling[] = [];
  if (wanted('refresh') || wanted('mixed')) {
    await recordCeilingTokens(knex, {
      userId,
      token,
      clients,
      perClient: common.warmupBudget + common.budget,
      lifetimeS: 86_400,
    });
    log(`pgbench: refresh's statement, ${clients} clients (${settings.duration} s)`);
    ceilings.push(
      await runPgbench({
        ...common,
        name: 'refresh',
        script: refreshScript(),
        mode: 'prepared',
        variables: refreshConstants({ userId, token, lifetimeS: 86_400 }),
      }),
    );
  }
  if (wanted('login') || wanted('mixed')) {
    log(`pgbench: login's write, ${clients} clients (${settings.duration} s)`);
    ceilings.push(
      await runPgbench({
        ...common,
        name: 'login',
        script: loginScript(knex, settings.users),
        mode: 'extended',
        variables: loginConstants({ token, sessionId: randomUUID(), lifetimeS: 86_400 }),
      }),
    );
  }
  return ceilings;
}

const wanted = (name: string) => !settings.only || settings.only.has(name);

async function startCeiling(body: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/ceiling.ts')], {
    cwd: ROOT,
    env: childEnv({ PORT: String(port), WEB_CONCURRENCY: String(settings.workers), CEILING_BODY: body }),
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(`${url}/api/health/`, child, 30_000);
  return { child, url };
}

/** The app's working folders (its local file store among them: gigabytes after the upload scenario), removed at the end. */
const appFolders: string[] = [];

/**
 * Starts `dist/server.js` of a built project (this one, or the scratch copy with the generated
 * resource) against the bench database.
 */
async function startApp(
  appRoot: string,
  databaseUrl: string,
  logFile: string,
): Promise<{ child: ChildProcess; url: string; workers: number[]; metricsPort: number }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const out = fs.openSync(logFile, 'w');
  const profileDir = path.join(ROOT, 'bench/results/profile.tmp');
  if (settings.cpuProfile) fs.mkdirSync(profileDir, { recursive: true });
  // Cluster workers inherit the primary's execArgv, so each writes its own profile on exit.
  const profile = settings.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-app-'));
  appFolders.push(cwd);
  const child = spawn(process.execPath, [...profile, path.join(appRoot, 'dist/server.js')], {
    cwd,
    env: childEnv({
      DEBUG: 'false',
      HOST: '127.0.0.1',
      // Production answers only its own host names: here, the address autocannon asks.
      ALLOWED_HOSTS: '127.0.0.1',
      PORT: String(port),
      SECRET_KEY,
      DATABASE_URL: databaseUrl,
      WEB_CONCURRENCY: String(settings.workers),
      LOG_LEVEL: settings.logLevel,
      ACCESS_TOKEN_LIFETIME: '1h',
      THROTTLE_LOGIN_PER_IP: 'off',
      THROTTLE_LOGIN_PER_USER: 'off',
      THROTTLE_USER: 'off',
      THROTTLE_ANON: 'off',
      METRICS_PORT: String(metricsPort),
      COOKIE_SECURE: 'true',
      TRUST_PROXY: '1',
      EMAIL_BACKEND: 'file',
      EMAIL_FILE_PATH: 'mail',
      ...settings.appEnv,
    }),
    stdio: ['ignore', out, out],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(`${url}/api/health/`, child, 60_000);
  return { child, url, workers: await waitForWorkers(child.pid!, settings.workers), metricsPort };
}

async function login(url: string, username: string): Promise<{ access: string; refresh: string }> {
  const res = await fetch(`${url}/api/token/`, {
    method: 'POST' as const,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: BENCH_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login of ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { access: string; refresh: string };
}

/** A `multipart/form-data` body with one `file` part of `bytes` random bytes. */
function multipartBody(bytes: number): { boundary: string; body: Buffer } {
  const boundary = `bench-${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    boundary,
    body: Buffer.concat([Buffer.from(head), randomBytes(bytes), Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

/** Sequential argon2id verifications in this process for `ms`: the cost of one hash on one core. */
async function hashRate(ms: number): Promise<number> {
  const hash = await hashPassword(BENCH_PASSWORD);
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < ms) {
    await argon2Verify(hash, BENCH_PASSWORD);
    n++;
  }
  return round1((n * 1000) / (performance.now() - started));
}

/**
 * Embedded mode (PGlite): ms from spawning the server to its first 200 — on a fresh DATA_DIR
 * (migrations and demo data) and again on the same one — compiled (`node dist/server.js`) and as
 * `npm start` runs it (tsx). Each gets its own DATA_DIR: knex records migrations with their file
 * extension, so a directory migrated by one cannot be opened by the other.
 */
async function startupTimes(): Promise<BenchResults['startup']> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embedded-'));
  const once = async (command: string, args: string[], dataDir: string) => {
    const port = await freePort();
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: folder,
      env: childEnv({
        DEBUG: 'true',
        HOST: '127.0.0.1',
        PORT: String(port),
        SECRET_KEY,
        DATA_DIR: path.join(folder, dataDir),
        LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitFor200(`http://127.0.0.1:${port}/api/health/`, child, 120_000, 20).catch((error: Error) => {
        throw new Error(`${args.join(' ')}: ${error.message}\n${stderr}`);
      });
      return Math.round(performance.now() - started);
    } finally {
      await stopChild(child);
    }
  };
  try {
    const node = process.execPath;
    const server = [path.join(ROOT, 'dist/server.js')];
    // What `npm start` runs.
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const source = [path.join(ROOT, 'src/server.ts')];
    return {
      firstStartMs: await once(node, server, 'compiled'),
      warmStartMs: await once(node, server, 'compiled'),
      firstStartTsxMs: await once(tsx, source, 'tsx'),
      warmStartTsxMs: await once(tsx, source, 'tsx'),
    };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (env.BENCH_SKIP_BUILD !== '1') {
    log('npm run build');
    await run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  }
  fs.mkdirSync(path.dirname(settings.output), { recursive: true });
  // The app of every scenario: this project, or its copy with a resource made by startapp.
  const generated: GeneratedProject | null = needsGeneratedResource(settings.only)
    ? await prepareGeneratedProject(log)
    : null;
  const appRoot = generated?.root ?? ROOT;
  const loadAverageStart = os.loadavg().map(round1);

  log(`scratch database ${new URL(settings.databaseUrl).pathname.slice(1)}; loading ${settings.users} users`);
  const database = await createScratchDatabase(settings.databaseUrl).catch((error: unknown) => {
    generated?.remove();
    throw error;
  });
  const knex = openBenchKnex(database.url);
  const children: ChildProcess[] = [];
  try {
    // The compiled CLI migrates, so that knex records the migrations under the names the compiled server expects.
    await run(process.execPath, [path.join(appRoot, 'dist/cli.js'), 'migrate', 'up'], {
      cwd: os.tmpdir(),
      env: childEnv({ DATABASE_URL: database.url, SECRET_KEY, DEBUG: 'false', LOG_LEVEL: 'warn' }),
    });
    const loadMs = await loadUsers(knex, settings.users);
    log(`users loaded in ${loadMs} ms`);
    let generatedRowId = 0;
    if (generated) {
      generatedRowId = await loadGeneratedRows(knex, settings.users);
      log(`${settings.users} ${GENERATED_RESOURCE.plural} loaded`);
    }
    const mixShare = (name: string) => MIX.find((k) => k.name === name)!.share;
    const refreshPool =
      (wanted('refresh') ? Math.ceil((settings.duration + settings.warmup) * 5_000) : 0) +
      (wanted('mixed')
        ? Math.ceil((settings.duration + settings.warmup) * settings.mixRate * mixShare('refresh') * 1.2)
        : 0);
    const tokenSettings = { secretKey: SECRET_KEY, accessLifetime: 3600, refreshLifetime: 86_400 };
    const refreshTokens = await issueRefreshTokens(knex, tokenSettings, refreshPool);
    if (refreshPool) log(`${refreshPool} refresh tokens issued`);

    const app = await startApp(appRoot, database.url, path.join(ROOT, 'bench/results/server.log.tmp'));
    children.push(app.child);
    log(`app on ${app.url}, workers ${app.workers.join(', ')}`);
    const user = await login(app.url, BENCH_USER);
    const admin = await login(app.url, BENCH_ADMIN);
    const meResponse = await fetch(`${app.url}/api/users/me/`, { headers: { Authorization: `Bearer ${user.access}` } });
    const meBody = await meResponse.text();
    if (meResponse.status !== 200) throw new Error(`/me/: ${meResponse.status} ${meBody}`);

    const benchUserId = (await knex('auth_user').where({ username: BENCH_USER }).first('id')).id as number;
    if (generated) {
      // The lists are compared only if they are alike: the same page size, the same order.
      const page = async (segment: string) => {
        const res = await fetch(`${app.url}/api/${segment}/?page_size=20`, {
          headers: { Authorization: `Bearer ${admin.access}` },
        });
        if (res.status !== 200) throw new Error(`/api/${segment}/: ${res.status} ${await res.text()}`);
        return (await res.json()) as ListPage;
      };
      const problems = listMismatches(
        'users-list',
        await page('users'),
        'resource-list',
        await page(GENERATED_RESOURCE.plural),
        20,
      );
      if (problems.length > 0) throw new Error(`the lists compared are not alike: ${problems.join('; ')}`);
    }
    const mixUsers: string[] = [];
    let editableUserIds: number[] = [];
    if (wanted('mixed')) {
      // The readers of /me log in as users do (one argon2id each, two at a time).
      const names = Array.from({ length: 100 }, (_, i) => `bench${String(i + 1).padStart(5, '0')}`);
      for (let i = 0; i < names.length; i += 2)
        mixUsers.push(...(await Promise.all(names.slice(i, i + 2).map((n) => login(app.url, n)))).map((t) => t.access));
      await knex('auth_group').insert({ name: 'reviewers' });
      editableUserIds = await knex('auth_user').whereBetween('username', ['bench05001', 'bench05100']).pluck('id');
      log(`mixed: ${mixUsers.length} users logged in`);
    }

    const ceilingServer = await startCeiling(meBody);
    children.push(ceilingServer.child);
    const base = { connections: settings.connections };
    const upload = multipartBody(UPLOAD_BYTES);
    let refreshUsed = 0;
    let loginNext = 0;
    const all: Scenario[] = [
      {
        name: 'me-bearer',
        label: 'GET /api/users/me/ (Bearer)',
        options: { ...base, url: `${app.url}/api/users/me/`, headers: { Authorization: `Bearer ${user.access}` } },
      },
      {
        name: 'me-cookie',
        label: 'GET /api/users/me/ (cookie)',
        options: { ...base, url: `${app.url}/api/users/me/`, headers: { Cookie: `access_token=${user.access}` } },
      },
      {
        name: 'users-list',
        label: 'GET /api/users/?page_size=20',
        options: {
          ...base,
          url: `${app.url}/api/users/?page_size=20`,
          headers: { Authorization: `Bearer ${admin.access}` },
        },
      },
      {
        name: 'resource-list',
        label: `GET /api/${GENERATED_RESOURCE.plural}/?page_size=20 (made by startapp)`,
        options: {
          ...base,
          url: `${app.url}/api/${GENERATED_RESOURCE.plural}/?page_size=20`,
          headers: { Authorization: `Bearer ${admin.access}` },
        },
      },
      {
        name: 'users-search',
        label: `GET /api/users/?page_size=20&search=${SEARCH}`,
        options: {
          ...base,
          url: `${app.url}/api/users/?page_size=20&search=${SEARCH}`,
          headers: { Authorization: `Bearer ${admin.access}` },
        },
      },
      {
        name: 'users-retrieve',
        label: 'GET /api/users/{id}/',
        options: {
          ...base,
          url: `${app.url}/api/users/${benchUserId}/`,
          headers: { Authorization: `Bearer ${admin.access}` },
        },
      },
      {
        name: 'resource-retrieve',
        label: `GET /api/${GENERATED_RESOURCE.plural}/{id}/ (made by startapp)`,
        options: {
          ...base,
          url: `${app.url}/api/${GENERATED_RESOURCE.plural}/${generatedRowId}/`,
          headers: { Authorization: `Bearer ${admin.access}` },
        },
      },
      {
        name: 'refresh',
        label: 'POST /api/token/refresh/ (rotating)',
        options: {
          ...base,
          url: app.url,
          requests: [
            {
              method: 'POST' as const,
              path: '/api/token/refresh/',
              headers: { 'Content-Type': 'application/json' },
              setupRequest: (request) => ({
                ...request,
                body: JSON.stringify({ refresh: refreshTokens[Math.min(refreshUsed++, refreshTokens.length - 1)] }),
              }),
            },
          ],
        },
      },
      {
        name: 'login',
        label: 'POST /api/token/ (argon2id)',
        options: {
          ...base,
          url: app.url,
          requests: [
            {
              method: 'POST' as const,
              path: '/api/token/',
              headers: { 'Content-Type': 'application/json' },
              setupRequest: (request) => {
                const n = String((loginNext++ % settings.users) + 1).padStart(5, '0');
                return { ...request, body: JSON.stringify({ username: `bench${n}`, password: BENCH_PASSWORD }) };
              },
            },
          ],
        },
      },
      {
        name: 'upload',
        label: `POST /api/files/ (${UPLOAD_BYTES / 2 ** 20} MiB multipart, local folder store)`,
        options: {
          ...base,
          url: `${app.url}/api/files/`,
          method: 'POST' as const,
          headers: {
            Authorization: `Bearer ${admin.access}`,
            'Content-Type': `multipart/form-data; boundary=${upload.boundary}`,
          },
          body: upload.body,
        },
      },
    ];
    const scenarios = all.filter((s) => wanted(s.name));

    log(`ceiling on ${ceilingServer.url} (${settings.duration} s)`);
    const ceiling = await measure(
      {
        name: 'ceiling',
        label: 'bare node:http, same JSON from memory',
        options: { ...base, url: `${ceilingServer.url}/api/users/me/` },
      },
      await waitForWorkers(ceilingServer.child.pid!, settings.workers),
    );
    await stopChild(ceilingServer.child);

    // Against the same database, while the app idles: what PostgreSQL does with the writes' statements alone.
    const dbCeilings = await databaseCeilings(database.url, knex, benchUserId);
    const dbCeiling = (name: string) => dbCeilings.find((c) => c.name === name)?.transactionsPerSecond ?? null;

    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      log(`${scenario.label} (${settings.duration} s)`);
      const measured = await measure(scenario, app.workers);
      const db = dbCeiling(scenario.name);
      results.push({
        ...measured,
        ratio: Math.round((measured.requestsPerSecond / ceiling.requestsPerSecond) * 1000) / 1000,
        ...(scenario.name === 'refresh' || scenario.name === 'login'
          ? { databaseRatio: db ? Math.round((measured.requestsPerSecond / db) * 1000) / 1000 : null }
          : {}),
      });
    }

    let mixed: MixedResult | null = null;
    if (wanted('mixed')) {
      log(`mixed load, ${settings.mixRate} req/s offered (${settings.duration} s)`);
      mixed = await measureMixed(
        mixedKinds({
          url: app.url,
          userTokens: mixUsers,
          adminToken: admin.access,
          nextRefreshToken: () => refreshTokens[Math.min(refreshUsed++, refreshTokens.length - 1)]!,
          nextLogin: () => `bench${String(100 + ((loginNext++ % (settings.users - 100)) + 1)).padStart(5, '0')}`,
          password: BENCH_PASSWORD,
          editableUserIds,
          searches: LAST_NAMES,
          rate: settings.mixRate,
        }),
        app.workers,
        app.metricsPort,
      );
    }
    if (refreshUsed > refreshTokens.length)
      log(`warning: the refresh token pool ran out (${refreshUsed} requests for ${refreshTokens.length} tokens)`);
    const hwm = app.workers.map((pid) => round1(memoryOf(pid)?.hwm ?? 0));

    log('argon2id rate in one thread (3 s)');
    const singleThreadHashesPerSecond = await hashRate(3_000);
    await stopChild(app.child);

    let startup: BenchResults['startup'] = null;
    if (env.BENCH_SKIP_STARTUP !== '1') {
      log('embedded mode start to first 200');
      startup = await startupTimes();
    }

    const loginResult = results.find((r) => r.name === 'login');
    const output: BenchResults = {
      date: new Date().toISOString(),
      machine: await runMachine(knex, loadAverageStart, pgbenchBinary()),
      settings: {
        durationS: settings.duration,
        warmupS: settings.warmup,
        connections: settings.connections,
        workers: settings.workers,
        users: settings.users,
        logLevel: settings.logLevel,
        throttles: 'off',
        database: `PostgreSQL server (pg), pool ${settings.poolMax} per worker`,
        mixRate: settings.mixRate,
        ...(Object.keys(settings.appEnv).length > 0 ? { appEnv: settings.appEnv } : {}),
        ...(generated ? { generatedResource: { command: GENERATED_COMMAND, rows: settings.users } } : {}),
      },
      ceiling: { ...ceiling, ratio: 1 },
      databaseCeilings: dbCeilings,
      scenarios: withRelativeRatios(results),
      mixed,
      hashing: {
        algorithm: 'argon2id',
        memoryKiB: ARGON2_PARAMS.memoryCost,
        iterations: ARGON2_PARAMS.timeCost,
        parallelism: ARGON2_PARAMS.parallelism,
        singleThreadHashesPerSecond,
        loginRequestsPerSecond: loginResult?.requestsPerSecond ?? null,
      },
      peakRssMiBPerWorker: hwm,
      startup,
    };
    fs.writeFileSync(settings.output, `${JSON.stringify(output, null, 2)}\n`);
    process.stdout.write(renderTable(output));
    if (!settings.only && settings.output.endsWith('latest.json')) {
      const svg = path.join(ROOT, 'docs/md/img/bench.svg');
      fs.mkdirSync(path.dirname(svg), { recursive: true });
      fs.writeFileSync(svg, renderChart(output));
      writeResultsPage(output);
      log(
        `wrote ${path.relative(ROOT, settings.output)}, ${path.relative(ROOT, svg)} and the results of ${path.relative(ROOT, BENCHMARKS_PAGE)}`,
      );
    } else {
      log(`wrote ${path.relative(ROOT, settings.output)}`);
    }
  } finally {
    for (const child of children) await stopChild(child).catch(() => undefined);
    for (const folder of appFolders) fs.rmSync(folder, { recursive: true, force: true });
    generated?.remove();
    await knex.destroy();
    await database.drop().catch((error: Error) => log(`could not drop the scratch database: ${error.message}`));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
