/**
 * The production start the image runs (`node dist/server.js`), outside Docker: a build, the
 * compiled output with production dependencies only in a clean folder, PostgreSQL, two workers;
 * then SIGTERM under load: every accepted request is answered and the process exits 0. A database
 * holding an account a published password opens (the demo data) is refused at the start, until
 * `change-password` has replaced it.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publishedCredentials } from '../../src/setup/published-passwords.js';
import {
  cleanEnv,
  freePort,
  request,
  requirePostgres,
  requireTools,
  ROOT,
  scratchDatabase,
  start,
  waitForStatus,
  type Running,
} from './support.js';

const SECRET_KEY = 'ops-test-secret-key-0123456789abcdef-0123456789abcdef';

/** Waits for a child process to exit, up to `timeoutMs`; resolves with its exit code. */
function exitOf(running: Running, timeoutMs: number): Promise<number | null> {
  if (running.child.exitCode !== null) return Promise.resolve(running.child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`still running after ${timeoutMs} ms\n${running.output()}`)),
      timeoutMs,
    );
    running.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * What one stage of the Dockerfile copies from the build context (`COPY` without `--from`),
 * with what the stages it is built `FROM` copied, so that the test lays out its folders exactly
 * as the image build does.
 */
function contextCopies(stage: string): string[] {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const from = new RegExp(`^FROM (\\S+) AS ${stage}$`, 'm').exec(dockerfile);
  if (!from) throw new Error(`Dockerfile has no stage ${stage}`);
  const rest = dockerfile.slice(from.index + 1);
  const body = rest.slice(0, rest.search(/^FROM /m) >= 0 ? rest.search(/^FROM /m) : undefined);
  const base = from[1]!;
  const parent =
    /^[\w-]+$/.test(base) && new RegExp(`^FROM \\S+ AS ${base}$`, 'm').test(dockerfile) ? contextCopies(base) : [];
  return [
    ...parent,
    ...[...body.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
      m[1]!
        .split(/\s+/)
        .filter((w) => !w.startsWith('--'))
        .slice(0, -1),
    ),
  ];
}

/** The Markdown files under a folder, at any depth. */
function markdownFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Outcome of the load: answers, refused connections, and requests that got no answer (by id). */
interface LoadReport {
  answered: number;
  answeredAfterStop: number;
  refused: number;
  failures: string[];
  /** Requests that failed with a network error: id, when (ms after the stop, or null before), error. */
  unanswered: Array<{ id: string; afterStopMs: number | null; error: string }>;
}

/**
 * Keeps `concurrency` clients busy with requests (each on a new connection, each with its own
 * `X-Request-Id`) until the server stops taking connections or `maxMs` passes. A refused
 * connection ends a client.
 */
async function load(
  base: string,
  concurrency: number,
  maxMs: number,
  stoppedAt: () => number | null,
): Promise<LoadReport> {
  const report: LoadReport = { answered: 0, answeredAfterStop: 0, refused: 0, failures: [], unanswered: [] };
  const deadline = Date.now() + maxMs;
  const paths = ['/api/health/', '/api/users/me/', '/api/permissions/'];
  const client = async (n: number) => {
    for (let i = 0; Date.now() < deadline; i++) {
      const id = `load-${n}-${i}`;
      try {
        const res = await request(`${base}${paths[(n + i) % paths.length]}`, {
          agent: false,
          timeoutMs: 15_000,
          headers: { 'X-Request-Id': id },
        });
        if (res.status !== 200 && res.status !== 401) report.failures.push(`${res.status} ${res.body.slice(0, 120)}`);
        report.answered++;
        if (stoppedAt() !== null) report.answeredAfterStop++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
          report.refused++;
          return;
        }
        const stopped = stoppedAt();
        report.unanswered.push({
          id,
          afterStopMs: stopped === null ? null : Date.now() - stopped,
          error: (error as Error).message,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, n) => client(n)));
  return report;
}

describe('production start: node dist/server.js', function () {
  this.timeout(60_000);
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let folder: string;
  let server: Running | undefined;
  let base: string;

  before(async function () {
    requireTools(this, 'pgrep');
    await requirePostgres(this);
    database = await scratchDatabase('ops_prod');
    folder = mkdtempSync(path.join(tmpdir(), 'ops-prod-'));
  });

  /** The environment of `node dist/server.js` as production runs it, on `port`. */
  const productionEnv = (port: number) =>
    cleanEnv({
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      ALLOWED_HOSTS: '127.0.0.1,localhost',
      PORT: String(port),
      DEBUG: 'false',
      COOKIE_SECURE: 'true',
      TRUST_PROXY: '1',
      SECRET_KEY,
      WEB_CONCURRENCY: '2',
      LOG_LEVEL: 'info',
      THROTTLE_ANON: 'off',
      DATA_DIR: path.join(folder, 'app/data'),
    });

  /** Runs the built CLI in the app folder against the test's database. */
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['dist/cli.js', ...args], {
      cwd: path.join(folder, 'app'),
      env: { ...productionEnv(8000), LOG_LEVEL: 'warn', ...env }, // the CLI listens on no port
      encoding: 'utf8',
      timeout: 30_000,
    });

  after(async () => {
    await server?.stop('SIGKILL');
    await database?.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('builds with npm run build from what the Dockerfile build stage copies', () => {
    const build = path.join(folder, 'build');
    mkdirSync(build);
    for (const entry of [...contextCopies('deps'), ...contextCopies('build')])
      cpSync(path.join(ROOT, entry), path.join(build, entry), { recursive: true });
    // The deps stage's `npm ci` installs from the same lockfile: reuse ours.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(build, 'node_modules'));
    const run = spawnSync('npm', ['run', 'build'], { cwd: build, encoding: 'utf8', timeout: 55_000 });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(existsSync(path.join(build, 'dist/server.js'))).to.equal(true);
    expect(existsSync(path.join(build, 'dist/cli.js'))).to.equal(true);
    expect(existsSync(path.join(build, 'dist/migrations'))).to.equal(true);
    expect(
      existsSync(path.join(build, 'dist/auth/common-passwords.txt.gz')),
      'the password list ships with the build',
    ).to.equal(true);
  });

  it('installs the production dependencies only next to the build, as the runtime stage does', () => {
    const app = path.join(folder, 'app');
    mkdirSync(app);
    for (const entry of contextCopies('prod-deps')) cpSync(path.join(ROOT, entry), path.join(app, entry));
    const install = spawnSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 55_000,
    });
    expect(install.status, install.stdout + install.stderr).to.equal(0);
    for (const entry of contextCopies('runtime'))
      cpSync(path.join(ROOT, entry), path.join(app, entry), { recursive: true });
    cpSync(path.join(folder, 'build/dist'), path.join(app, 'dist'), { recursive: true });
    expect(existsSync(path.join(app, 'node_modules/koa'))).to.equal(true);
    expect(existsSync(path.join(app, 'node_modules/mocha')), 'a dev dependency').to.equal(false);
    expect(existsSync(path.join(app, 'node_modules/typescript')), 'a dev dependency').to.equal(false);
  });

  it('migrates, starts WEB_CONCURRENCY=2 workers with DEBUG=false and answers GET /api/health/', async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = start(process.execPath, ['dist/server.js'], { cwd: path.join(folder, 'app'), env: productionEnv(port) });
    await waitForStatus(`${base}/api/health/`, { timeoutMs: 30_000, child: server.child }).catch((error: Error) => {
      throw new Error(`${error.message}\n${server!.output()}`);
    });
    const res = await request(`${base}/api/health/`);
    expect(JSON.parse(res.body)).to.deep.include({ status: 'ok' });
    expect(JSON.parse(res.body)).to.have.nested.property('checks.database', 'ok');
    const workers = spawnSync('pgrep', ['-P', String(server.child.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .filter(Boolean);
    expect(workers, 'worker processes').to.have.length(2);
    // The heap settings the workers start with: WORKER_MAX_SEMI_SPACE_MB (default 4) and
    // WORKER_HEAP_GROWING_PERCENT (default 10).
    for (const pid of workers) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv, `worker ${pid}`).to.include.members(['--max-semi-space-size=4', '--heap-growing-percent=10']);
    }
  });

  it('on SIGTERM under load answers every accepted request and exits 0', async function () {
    if (!server) this.skip();
    let stoppedAt: number | null = null;
    const exit = new Promise<number | null>((resolve) => server!.child.once('exit', (code) => resolve(code)));
    const running = load(base, 16, 20_000, () => stoppedAt);
    await new Promise((r) => setTimeout(r, 1_000));
    stoppedAt = Date.now();
    server.child.kill('SIGTERM');
    const [report, code] = await Promise.all([running, exit]);
    const elapsed = Date.now() - stoppedAt;
    // The app logs one line per request it handled, with the request's id. A request that got no
    // answer although the app handled it (or any before the stop) is a failure. One the app never
    // saw was reset by the kernel when the listening socket closed with it still in the backlog:
    // never accepted, which is what closing a listener under load means.
    const handled = new Set([...server.output().matchAll(/"reqId":"(load-\d+-\d+)"/g)].map((m) => m[1]));
    const lost = report.unanswered.filter((u) => u.afterStopMs === null || handled.has(u.id));
    const neverAccepted = report.unanswered.length - lost.length;
    if (neverAccepted)
      process.stdout.write(
        `      (${neverAccepted} connection(s) reset in the backlog as the listener closed, never seen by the app)\n`,
      );
    expect(report.failures, report.failures.join('\n')).to.deep.equal([]);
    expect(
      lost,
      `accepted request(s) without an answer:\n${JSON.stringify(lost.slice(0, 10))}\n${server.output().slice(-3_000)}`,
    ).to.deep.equal([]);
    expect(report.answered, 'answers under load').to.be.greaterThan(50);
    expect(report.refused, 'clients that found the port closed after the stop').to.equal(16);
    expect(code, server.output()).to.equal(0);
    expect(elapsed, 'ms from SIGTERM to exit').to.be.lessThan(15_000);
    server = undefined;
  });

  it('refuses to start with DEBUG=false while a demo account keeps its published password, naming the fix', async function () {
    if (!existsSync(path.join(folder, 'app/dist/server.js'))) this.skip();
    // The probe's path: the demo data loaded in debug, then the same database served in production.
    const setup = cli(['setup-project'], { DEBUG: 'true' });
    expect(setup.status, setup.stdout + setup.stderr).to.equal(0);
    const port = await freePort();
    const refused = start(process.execPath, ['dist/server.js'], {
      cwd: path.join(folder, 'app'),
      env: productionEnv(port),
    });
    expect(await exitOf(refused, 30_000), refused.output()).to.equal(1);
    const output = refused.output();
    for (const username of ['admin', 'manager', 'viewer']) {
      expect(output).to.include(`account '${username}' still has the demo password from seeds/demo-users.json`);
      expect(output).to.include(`node dist/cli.js change-password --username ${username}`);
    }
    expect(output).not.to.include('listening');
  });

  it('starts once change-password has replaced every published password', async function () {
    if (!existsSync(path.join(folder, 'app/dist/server.js'))) this.skip();
    for (const username of ['admin', 'manager', 'viewer']) {
      const run = cli(['change-password', '--username', username, '--password', `Fresh-${username}-Secret-2027`]);
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.include(`Password changed successfully for user '${username}'.`);
    }
    const weak = cli(['change-password', '--username', 'admin', '--password', '12345678']);
    expect(weak.status).to.equal(1);
    expect(weak.stderr).to.include('This password is too common.');
    const unknown = cli(['change-password', '--username', 'nobody', '--password', 'Fresh-nobody-Secret-2027']);
    expect(unknown.stderr.trim()).to.equal("error: user 'nobody' does not exist");

    const port = await freePort();
    server = start(process.execPath, ['dist/server.js'], { cwd: path.join(folder, 'app'), env: productionEnv(port) });
    await waitForStatus(`http://127.0.0.1:${port}/api/health/`, { timeoutMs: 30_000, child: server.child }).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${server!.output()}`);
      },
    );
    expect(await server.stop('SIGTERM'), server.output()).to.equal(0);
    server = undefined;
  });
});

describe('published passwords', () => {
  it('knows every password the documentation and the seeds publish', () => {
    const pages = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs/md'))];
    const examples =
      /"(?:old_|new_)?password": ?"([^"]+)"|--password '([^']+)'|SUPERUSER_PASSWORD='([^']+)'|\b(demo-[A-Za-z]+-\d{4}!?)/g;
    const found = new Set<string>();
    for (const page of pages)
      for (const match of readFileSync(page, 'utf8').matchAll(examples)) found.add(match.slice(1).find(Boolean)!);
    expect(found.size).to.be.greaterThan(3);
    const known = new Set(publishedCredentials().map((c) => c.password));
    expect(
      [...found].filter((password) => !known.has(password)),
      'published passwords the start check does not try',
    ).to.deep.equal([]);
  });
});
