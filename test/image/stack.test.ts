/**
 * The Dockerfile's image, built and run by podman with the services of compose.yml (alone: local
 * mode) and with the production override: see docs/md/runbooks/images-in-ci.md. Run with
 * `npm run test:image` after `test/image/base-images.sh`; .ci/run does both.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type ClientRequest } from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { copyWorkingTree } from '../support/scratch-project.js';
import { NODE_IMAGE, NODE_VERSION, REPO_ROOT, Stack, podman, tryPodman } from './podman.js';

const DOMAIN = 'backoffice.test';

/** Where the check cannot run: a one-line reason (a failure under CI=true). */
function missing(): string | null {
  if (spawnSync('podman', ['--version']).status !== 0) return 'podman is not installed';
  if (
    spawnSync('podman', ['image', 'exists', NODE_IMAGE], {
      env: { ...process.env, CONTAINERS_CONF: path.join(REPO_ROOT, 'test/image/containers.conf') },
    }).status !== 0
  ) {
    return `no ${NODE_IMAGE}: run test/image/base-images.sh first`;
  }
  return null;
}

/** The repository's files (tracked and new, not ignored) copied to a scratch project folder. */
function copyProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backoffice-image-'));
  copyWorkingTree(dir);
  return dir;
}

/** prod.env as production-setup.md asks for it, with the storage stand-in's plain-HTTP address. */
function writeProdEnv(dir: string): void {
  const secret = () => randomBytes(24).toString('hex');
  const lines = {
    DEBUG: 'false',
    SECRET_KEY: secret(),
    BACKOFFICE_DOMAIN: DOMAIN,
    ALLOWED_HOSTS: '${BACKOFFICE_DOMAIN}',
    MINIO_SERVER_URL: 'http://minio:9000',
    MINIO_ROOT_USER: secret(),
    MINIO_ROOT_PASSWORD: secret(),
    POSTGRES_PASSWORD: secret(),
    BROWSABLE_API: 'false',
    COOKIE_SECURE: 'true',
    CORS_ALLOWED_ORIGINS: `https://${DOMAIN}`,
    WEB_CONCURRENCY: '2',
  };
  fs.writeFileSync(
    path.join(dir, 'prod.env'),
    Object.entries(lines)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  );
}

/** A self-signed certificate laid out as Let's Encrypt does (`live/<domain>/`), for /etc/letsencrypt. */
function letsencrypt(dir: string): string {
  const root = path.join(dir, 'letsencrypt');
  const live = path.join(root, 'live', DOMAIN);
  fs.mkdirSync(live, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${DOMAIN}`,
      '-keyout',
      path.join(live, 'privkey.pem'),
      '-out',
      path.join(live, 'fullchain.pem'),
    ],
    { stdio: 'ignore' },
  );
  fs.chmodSync(path.join(live, 'privkey.pem'), 0o644);
  return root;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to nginx for the domain (its certificate is self-signed). */
function request(
  port: number,
  method: string,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: string | ((req: ClientRequest) => Promise<void>) } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        servername: DOMAIN,
        rejectUnauthorized: false,
        headers: { Host: DOMAIN, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (typeof options.body === 'function') options.body(req).then(() => req.end(), reject);
    else req.end(options.body);
  });
}

/**
 * The runbooks' `docker compose exec|run … app <command>` lines, from docs/md and ops/: `node
 * dist/cli.js …` is the production image's form, `npm run cli -- …` the development image's.
 */
function runbookCommands(): { file: string; kind: 'exec' | 'run'; command: string[] }[] {
  const files = [
    ...fs
      .readdirSync(path.join(REPO_ROOT, 'docs/md'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/md/${f}`),
    ...fs
      .readdirSync(path.join(REPO_ROOT, 'ops'))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => `ops/${f}`),
  ];
  const found = new Map<string, { file: string; kind: 'exec' | 'run'; command: string[] }>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    for (const match of text.matchAll(
      /docker compose (exec|run --rm --no-deps)(?: -T| -e \w+)* app ((?:node dist\/cli\.js|npm run cli --) [^`#>)"\n]*)/g,
    )) {
      const command = match[2]!.trim().split(/\s+/);
      found.set(`${match[1]} ${command.join(' ')}`, { file, kind: match[1] === 'exec' ? 'exec' : 'run', command });
    }
  }
  return [...found.values()];
}

const SUPERUSER_PASSWORD = `Pw-${randomBytes(9).toString('hex')}`;

describe('the image, built and run by podman with the compose files', function () {
  let dir: string;
  let prod: Stack;
  let dev: Stack;
  const timings: Record<string, number> = {};

  before(function () {
    const reason = missing();
    if (reason) {
      if (process.env.CI === 'true') throw new Error(`cannot run under CI: ${reason}`);
      process.stdout.write(`      skipped: ${reason}\n`);
      this.skip();
    }
    dir = copyProject();
    writeProdEnv(dir);
    prod = new Stack({
      dir,
      files: ['compose.yml', '_compose.override.yml'],
      project: 'bo-image-prod',
      hostPaths: { '/etc/letsencrypt': letsencrypt(dir) },
    });
    dev = new Stack({ dir, files: ['compose.yml'], project: 'bo-image-dev' });
  });

  after(async function () {
    if (!dir) return;
    await prod.down({ volumes: true });
    await dev.down({ volumes: true });
    fs.rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`      build seconds: ${JSON.stringify(timings)}\n`);
  });

  it('builds both targets of the Dockerfile, as the compose files name them (dev, then runtime on the same layers)', async () => {
    // The stand-in is of the image the Dockerfile names: the same Node.js line.
    const dockerfile = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).to.match(new RegExp(`^ARG NODE_IMAGE=node:${NODE_VERSION.split('.')[0]}-bookworm-slim$`, 'm'));
    expect(dev.service('app').build).to.deep.include({ target: 'dev' });
    expect(prod.service('app').build).to.deep.include({ target: 'runtime' });
    timings.dev = await dev.build('app');
    timings.runtime = await prod.build('app');
  });

  it('the runtime image runs as a non-root user, with the production dependencies only and no sources', async () => {
    const image = prod.service('app').image!;
    // The lockfile marks what only the dev tree needs (`"dev": true`); none of it may be installed.
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.keys(lock.packages).filter((key) => lock.packages[key]!.dev);
    expect(devOnly).to.include.members(['node_modules/mocha', 'node_modules/typescript', 'node_modules/eslint']);
    const script = `
      const fs = require('fs');
      const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
      const has = (name) => fs.existsSync('node_modules/' + name + '/package.json');
      const devOnly = JSON.parse(process.argv[1]).filter((key) => fs.existsSync(key + '/package.json'));
      const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.name === 'node_modules' ? [] : e.isDirectory() ? walk(d + '/' + e.name) : [d + '/' + e.name]);
      console.log(JSON.stringify({ node: process.version, uid: process.getuid(), user: require('os').userInfo().username, env: process.env.NODE_ENV,
        dev: devOnly, missing: Object.keys(pkg.dependencies).filter((n) => !has(n)),
        top: fs.readdirSync('.').sort(), sources: walk('.').filter((f) => /\\.(ts|mts|cts)$/.test(f) && !f.endsWith('.d.ts')) }));`;
    const out = JSON.parse(
      await podman(['run', '--rm', '--entrypoint', '["node", "-e"]', image, script, JSON.stringify(devOnly)]),
    );
    expect(out.node).to.equal(`v${NODE_VERSION}`);
    expect(out.uid).to.not.equal(0);
    expect(out.user).to.equal('node');
    expect(out.env).to.equal('production');
    expect(out.dev, 'dev-only packages in the image').to.deep.equal([]);
    expect(out.missing, 'dependencies missing from the image').to.deep.equal([]);
    expect(out.top).to.deep.equal(['data', 'dist', 'node_modules', 'package.json', 'seeds']);
    expect(out.sources).to.deep.equal([]);
    const health = await podman(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', image]);
    expect(health).to.include('/api/health/');
  });

  describe('production: compose.yml + _compose.override.yml', () => {
    let https443: number;
    let access: string;

    const login = async () => {
      const reply = await request(https443, 'POST', '/api/token/', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: SUPERUSER_PASSWORD }),
      });
      expect(reply.status, reply.body).to.equal(200);
      return JSON.parse(reply.body).access as string;
    };

    before(async function () {
      if (!prod) this.skip();
      await prod.down({ volumes: true });
      await prod.up(['nginx']);
      await prod.waitHealthy('app');
      await prod.waitHealthy('nginx');
      https443 = (await prod.port('nginx', 443)).port;
    });

    it('serves /api/health/ through nginx over HTTPS; HTTP redirects to HTTPS', async () => {
      const health = await request(https443, 'GET', '/api/health/');
      expect(health.status, health.body).to.equal(200);
      expect(JSON.parse(health.body)).to.deep.equal({ status: 'ok', checks: { database: 'ok', storage: 'ok' } });
      const { port } = await prod.port('nginx', 80);
      // node:http, not fetch, which always sends the address it connects to as Host (nginx closes
      // the connection for any name but the domain).
      const plain = await new Promise<{ status: number; location?: string }>((resolve, reject) =>
        http
          .get({ host: '127.0.0.1', port, path: '/api/health/', headers: { Host: DOMAIN } }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, location: res.headers.location });
          })
          .on('error', reject),
      );
      expect(plain.status).to.equal(301);
      expect(plain.location).to.equal(`https://${DOMAIN}/api/health/`);
    });

    it('runs as the compose file says: app, postgres, nginx and the storage server on one network, the app not published', async () => {
      const app = JSON.parse(await podman(['inspect', prod.container('app')]))[0];
      expect(app.Config.User).to.equal('node');
      expect(Object.keys(app.NetworkSettings.Networks)).to.deep.equal([prod.network]);
      const published = Object.entries((app.HostConfig.PortBindings ?? {}) as Record<string, unknown[] | null>).filter(
        ([, bindings]) => bindings?.some(Boolean),
      );
      expect(published).to.deep.equal([]);
      expect(app.Config.Env).to.include('DEBUG=false');
      const postgres = JSON.parse(await podman(['inspect', prod.container('postgres')]))[0];
      expect(
        postgres.Mounts.map((m: { Name?: string; Destination: string }) => `${m.Name}:${m.Destination}`),
      ).to.include(`${prod.volume('postgres-data')}:/var/lib/postgresql/data`);
    });

    /** Commands whose peer is outside the stack (a mail relay, the Django database). */
    const NEEDS_A_PEER = ['send-test-email', 'import-django'];

    it('runs every CLI command of the production runbooks in the running container', async () => {
      const commands = runbookCommands().filter((c) => c.command[0] === 'node');
      const names = commands.map((c) => c.command.slice(2).join(' '));
      for (const wanted of [
        'fill-groups',
        'create-superuser --username admin --email admin@example.com',
        'flush-expired-tokens',
        'migrate status',
        'migrate up',
      ]) {
        expect(names).to.include(wanted);
      }
      // `migrate down` first (it takes the one batch away, every table), then `migrate up`, then the rest.
      const named = (name: string) => commands.filter((c) => c.command.slice(2).join(' ') === name);
      const first = [...named('migrate down'), ...named('migrate up')];
      const ordered = [...first, ...commands.filter((c) => !first.includes(c))];
      expect(ordered.slice(0, 2).map((c) => c.command.slice(2).join(' '))).to.deep.equal([
        'migrate down',
        'migrate up',
      ]);
      for (const { file, kind, command } of ordered) {
        // create-superuser asks a terminal for the password; without one it reads SUPERUSER_PASSWORD
        // (the runbook passes it with `-e SUPERUSER_PASSWORD`, as this does).
        const result =
          kind === 'exec' ? await prod.exec('app', command, { SUPERUSER_PASSWORD }) : await prod.run('app', command);
        const said = `${file}: ${kind} app ${command.join(' ')}\n${result.stdout}${result.stderr}`;
        if (NEEDS_A_PEER.includes(command[2]!)) {
          // No mail relay or Django database in the stack: the command must refuse in one clean line.
          expect(result.code, said).to.equal(1);
          expect(result.stderr, said).to.not.match(/^\s+at /m);
        } else {
          expect(result.code, said).to.equal(0);
        }
      }
      access = await login();
    });

    it('drains an in-flight request on SIGTERM to the container: the upload completes, then the app exits 0', async () => {
      access ??= await login();
      const boundary = 'drain-boundary';
      const content = randomBytes(256 * 1024);
      let stopping: Promise<string> | undefined;
      const reply = await request(https443, 'POST', '/api/files/', {
        headers: { Authorization: `Bearer ${access}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
        body: async (req) => {
          req.write(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="drain.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
          );
          req.write(content.subarray(0, 1024));
          await new Promise((resolve) => setTimeout(resolve, 1500));
          stopping = podman(['stop', prod.container('app')]);
          await new Promise((resolve) => setTimeout(resolve, 2000));
          req.write(content.subarray(1024));
          req.write(`\r\n--${boundary}--\r\n`);
        },
      });
      expect(reply.status, reply.body).to.equal(201);
      expect(JSON.parse(reply.body).size).to.equal(content.length);
      await stopping;
      expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', prod.container('app')])).trim()).to.equal(
        '0',
      );
      const logs = await tryPodman(['logs', prod.container('app')]);
      expect(logs.stdout + logs.stderr).to.not.match(/SIGKILL|killed/i);
    });

    it('keeps the data across down and up (named volumes): the superuser logs in, the uploaded file downloads', async () => {
      await prod.down();
      await prod.up(['nginx']);
      await prod.waitHealthy('app');
      await prod.waitHealthy('nginx');
      https443 = (await prod.port('nginx', 443)).port;
      access = await login();
      const list = await request(https443, 'GET', '/api/files/', { headers: { Authorization: `Bearer ${access}` } });
      expect(list.status, list.body).to.equal(200);
      const files = JSON.parse(list.body).results as { id: number; name: string; size: number }[];
      const upload = files.find((f) => f.name === 'drain.bin');
      expect(upload, list.body).to.not.equal(undefined);
      const download = await request(https443, 'GET', `/api/files/${upload!.id}/download/`, {
        headers: { Authorization: `Bearer ${access}` },
      });
      expect(download.status).to.be.oneOf([200, 302]);
    });

    after(async () => {
      await prod?.down({ volumes: true });
    });
  });

  describe('local mode: compose.yml alone (dev target, mounted sources)', () => {
    let port: number;

    before(async function () {
      if (!dev) this.skip();
      await dev.down({ volumes: true });
      await dev.up(['app']);
      await dev.waitHealthy('app');
      port = (await dev.port('app', 8000)).port;
    });

    it("serves /api/health/ on the published port and runs the runbooks' commands for the development image", async () => {
      const health = await fetch(`http://127.0.0.1:${port}/api/health/`);
      expect(health.status).to.equal(200);
      const commands = runbookCommands().filter((c) => c.command[0] === 'npm');
      expect(commands.map((c) => c.command.join(' '))).to.include('npm run cli -- setup-project');
      for (const { file, command } of commands) {
        const result = await dev.exec('app', command);
        expect(result.code, `${file}: exec app ${command.join(' ')}\n${result.stdout}${result.stderr}`).to.equal(0);
      }
    });

    it('reloads a changed file under src/ (the mounted sources, tsx watch)', async () => {
      const before = await fetch(`http://127.0.0.1:${port}/api/no-such-route/`);
      expect(before.status).to.equal(404);
      expect(await before.json()).to.deep.equal({ detail: 'Not found.' });
      // The English messages live in the catalogue; the edit must change it, or the wait below is for nothing.
      const file = path.join(dir, 'src/i18n/en.ts');
      const source = fs.readFileSync(file, 'utf8');
      const edited = source.replace("notFound: 'Not found.'", "notFound: 'Not found (reloaded).'");
      expect(edited, `${file} no longer holds the 404 message`).not.to.equal(source);
      fs.writeFileSync(file, edited);
      const deadline = Date.now() + 60_000;
      let detail = '';
      while (Date.now() < deadline) {
        const reply = await fetch(`http://127.0.0.1:${port}/api/no-such-route/`).catch(() => null);
        detail = reply ? String(((await reply.json().catch(() => ({}))) as { detail?: string }).detail) : '';
        if (detail === 'Not found (reloaded).') break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(detail).to.equal('Not found (reloaded).');
    });

    after(async () => {
      await dev?.down({ volumes: true });
    });
  });
});
