/**
 * The production rehearsal (`npm run rehearse`): production set up as the runbooks say, with
 * their own commands (the blocks marked `<!-- rehearse: NAME -->`), then driven from outside over
 * HTTPS through the real nginx from several client addresses. See production.ts for how each
 * Compose service is stood in for.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import http, { type ClientRequest } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { loadConfig, servingProblem } from '../../src/config.js';
import { loadCompose, parseEnvFile, serviceEnvironment } from '../support/compose.js';
import { ROOT } from '../support/processes.js';
import { copyWorkingTree } from '../support/scratch-project.js';
import { PROJECT, Production, waitUntil } from './production.js';
import { runbookBlock, runbookBlockNames } from './runbook.js';

const DOMAIN = parseEnvFile(fs.readFileSync(path.join(ROOT, 'prod.env.example'), 'utf8')).BACKOFFICE_DOMAIN!;
const ORIGIN = `https://${DOMAIN}`;
const ADMIN_PASSWORD = `Rehearsal-${randomBytes(6).toString('hex')}`;
const ALICE_PASSWORD = `Alice-${randomBytes(6).toString('hex')}`;
/** The real clients: each its own source address. */
const CLIENT = {
  main: '127.0.0.2',
  throttledA: '127.0.0.3',
  throttledB: '127.0.0.4',
  anonA: '127.0.0.5',
  anonB: '127.0.0.6',
  uploader: '127.0.0.7',
};

/** An answer read whole. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  raw: string[];
  body: Buffer;
  text: string;
  json: () => Record<string, unknown>;
}

/** One HTTPS request from a client address; `body` may be a function writing it slowly. */
function call(
  from: string,
  method: string,
  url: string,
  options: {
    headers?: Record<string, string | number>;
    body?: string | Buffer | ((req: ClientRequest) => Promise<void>);
    timeoutMs?: number;
    ca: string;
  },
): Promise<Answer> {
  const target = new URL(url, ORIGIN);
  return new Promise((resolve, reject) => {
    const req = https.request(
      target,
      {
        method,
        headers: options.headers,
        localAddress: from,
        ca: options.ca,
        agent: false,
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            raw: res.rawHeaders,
            body,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    if (typeof options.body === 'function') options.body(req).then(() => req.end(), reject);
    else req.end(options.body);
  });
}

/** The cookies of an answer as `name → attributes line`. */
function setCookies(answer: Answer): Map<string, string> {
  return new Map(
    ([] as string[]).concat(answer.headers['set-cookie'] ?? []).map((line) => [line.split('=')[0]!, line]),
  );
}

/** A Cookie header from an answer's Set-Cookie lines. */
function cookieHeader(answer: Answer): string {
  return [...setCookies(answer).values()].map((line) => line.split(';')[0]).join('; ');
}

/** The head and tail of a multipart body around one file (the file's bytes go between). */
function multipart(name: string): { boundary: string; head: Buffer; tail: Buffer } {
  const boundary = `rehearsal${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  return { boundary, head, tail: Buffer.from(`\r\n--${boundary}--\r\n`) };
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe(`production rehearsal (${DOMAIN}, through nginx over HTTPS)`, function () {
  this.timeout(20 * 60_000);
  const production = new Production();
  const ran: string[] = [];
  let ca = '';
  const api = (from: string, method: string, url: string, options: Omit<Parameters<typeof call>[3], 'ca'> = {}) =>
    call(from, method, url, { ...options, ca });
  let adminAccess = '';
  let slowUpload: Promise<{ answer: Answer; seconds: number; content: Buffer }>;
  let idleClient: Promise<number>;

  /** Runs a marked runbook block in the operator's shell; fails with its output. */
  async function runbook(
    file: string,
    name: string,
    options: { cwd?: string; env?: Record<string, string>; replace?: [string, string] } = {},
  ) {
    let script = runbookBlock(file, name);
    if (options.replace) script = script.replace(options.replace[0], options.replace[1]);
    const outcome = await production.shell(script, options);
    ran.push(`${file}#${name}`);
    if (outcome.code !== 0)
      throw new Error(
        `runbook ${file} block ${name} failed (${outcome.code}):\n${outcome.stdout}${outcome.stderr}\napp: ${production.logs('app')}`,
      );
    return outcome;
  }

  /** The operator's edit of prod.env: each `KEY=CHANGE-ME` line gets its value. */
  function editProdEnv(values: Record<string, string>) {
    const file = path.join(PROJECT, 'prod.env');
    let text = fs.readFileSync(file, 'utf8');
    for (const [key, value] of Object.entries(values))
      text = text.replace(new RegExp(`^${key}=CHANGE-ME$`, 'm'), `${key}=${value}`);
    expect(text, 'every CHANGE-ME replaced').not.to.match(/=CHANGE-ME$/m);
    fs.writeFileSync(file, text);
  }

  before(async function () {
    await production.setUp(DOMAIN);
    ca = production.ca;
    // The repository the runbook clones: this working tree as one commit on main.
    const origin = path.join(production.dir, 'origin');
    fs.mkdirSync(origin);
    copyWorkingTree(origin);
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.email=ops@example.com', '-c', 'user.name=Rehearsal', ...args], {
        cwd: origin,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    };
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'release');
    await runbook('production-setup.md', 'clone', { cwd: '/', replace: ['<repository URL>', origin] });
    // What the image build installs (npm ci) and what the runbook copies to ./site.
    if (!fs.existsSync(path.join(PROJECT, 'node_modules')))
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(PROJECT, 'node_modules'));
    const site = path.join(ROOT, 'site');
    if (!fs.existsSync(path.join(site, 'index.html')))
      throw new Error('build the docs site first (npm run docs): nginx serves it at /docs/');
    fs.cpSync(site, path.join(PROJECT, 'site'), { recursive: true });

    await runbook('production-setup.md', 'prod-env');
    expect((fs.statSync(path.join(PROJECT, 'prod.env')).mode & 0o777).toString(8)).to.equal('600');
    const key = (await runbook('production-setup.md', 'secret-key')).stdout.trim().split('\n').at(-1)!;
    expect(key.length).to.be.greaterThan(40);
    editProdEnv({
      SECRET_KEY: key,
      MINIO_ROOT_USER: `minio-${randomBytes(4).toString('hex')}`,
      MINIO_ROOT_PASSWORD: randomBytes(24).toString('hex'),
      POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
    });
    await runbook('production-setup.md', 'override');
    const started = await runbook('production-setup.md', 'start');
    expect(started.stdout).to.match(/minio-setup-1 +exited \(0\)/);
    expect(started.stdout).to.match(/app-1 +running \(healthy\)/);
    await runbook('production-setup.md', 'roles', { env: { SUPERUSER_PASSWORD: ADMIN_PASSWORD } });
    // A second person, for the pagination and blacklist checks.
    const alice = await production.shell(
      'docker compose exec -e SUPERUSER_PASSWORD app node dist/cli.js create-superuser --username alice --email alice@example.com',
      { env: { SUPERUSER_PASSWORD: ALICE_PASSWORD } },
    );
    expect(alice.code, alice.stderr).to.equal(0);
    const login = await api(CLIENT.main, 'POST', '/api/token/', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status, login.text).to.equal(200);
    adminAccess = String(login.json().access);
    // The slow upload takes over a minute: it runs while the other checks do.
    const content = randomBytes(20 * 1024 * 1024);
    const { boundary, head, tail } = multipart('slow.bin');
    const started_ = Date.now();
    slowUpload = api(CLIENT.uploader, 'POST', '/api/files/', {
      timeoutMs: 5 * 60_000,
      headers: {
        Authorization: `Bearer ${adminAccess}`,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': head.length + content.length + tail.length,
      },
      body: async (req) => {
        req.write(head);
        // ~300 kB/s: 30 kB every 100 ms.
        for (let at = 0; at < content.length; at += 30_000) {
          req.write(content.subarray(at, at + 30_000));
          await new Promise((r) => setTimeout(r, 100));
        }
        req.write(tail);
      },
    }).then((answer) => ({ answer, seconds: (Date.now() - started_) / 1000, content }));
    slowUpload.catch(() => undefined);
    // Meanwhile a client that starts a body and goes silent, straight to the app (nginx would cut it itself).
    const idleStarted = Date.now();
    idleClient = new Promise((resolve) => {
      const socket = net.connect(8000, production.appAddress()!, () => {
        // A JSON body the app waits for (it reads it whole before answering), begun and never finished.
        socket.write(
          `POST /api/token/ HTTP/1.1\r\nHost: ${DOMAIN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"username": "`,
        );
      });
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.on('close', () => resolve((Date.now() - idleStarted) / 1000));
      setTimeout(() => socket.destroy(), 5 * 60_000).unref();
    });
  });

  after(async () => {
    await production.tearDown();
  });

  it("the runbook's health check answers as its sample says, naming both checks", async () => {
    const check = await runbook('production-setup.md', 'check');
    const block = runbookBlock('production-setup.md', 'check');
    const sample = /^# (\{.*\})$/m.exec(block)![1]!;
    // curl prints the body without a newline, then the head of the second request.
    expect(check.stdout.startsWith(`${sample}HTTP/`), check.stdout).to.equal(true);
    expect(JSON.parse(sample)).to.deep.equal({ status: 'ok', checks: { database: 'ok', storage: 'ok' } });
    expect(check.stdout).to.match(/HTTP\/1\.1 301/);
    const health = await api(CLIENT.main, 'GET', '/api/health/');
    expect(health.status).to.equal(200);
  });

  it('login, me, refresh and logout with cookies: Secure, SameSite=Strict from prod.env', async () => {
    const login = await api(CLIENT.main, 'POST', '/api/token/', {
      headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
      body: JSON.stringify({ username: 'alice', password: ALICE_PASSWORD }),
    });
    expect(login.status, login.text).to.equal(200);
    const cookies = setCookies(login);
    for (const name of ['access_token', 'refresh_token']) {
      expect(cookies.get(name), name).to.match(/; Secure/i);
      expect(cookies.get(name), name).to.match(/SameSite=Strict/i);
      expect(cookies.get(name), name).to.match(/HttpOnly/i);
    }
    const jar = cookieHeader(login);
    const me = await api(CLIENT.main, 'GET', '/api/users/me/', { headers: { Cookie: jar } });
    expect(me.status, me.text).to.equal(200);
    expect(me.json().username).to.equal('alice');
    const refreshed = await api(CLIENT.main, 'POST', '/api/token/refresh/', {
      headers: { Cookie: jar, Origin: ORIGIN, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(refreshed.status, refreshed.text).to.equal(200);
    const rotated = cookieHeader(refreshed);
    const logout = await api(CLIENT.main, 'POST', '/api/token/blacklist/', {
      headers: { Cookie: rotated, Origin: ORIGIN, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(logout.status, logout.text).to.equal(200);
    const after_ = await api(CLIENT.main, 'POST', '/api/token/refresh/', {
      headers: { Cookie: rotated, Origin: ORIGIN, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(after_.status).to.equal(401);
  });

  it('login, me, refresh and logout with Bearer tokens', async () => {
    const login = await api(CLIENT.main, 'POST', '/api/token/', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: ALICE_PASSWORD }),
    });
    const { access, refresh } = login.json() as { access: string; refresh: string };
    expect(
      (await api(CLIENT.main, 'GET', '/api/users/me/', { headers: { Authorization: `Bearer ${access}` } })).status,
    ).to.equal(200);
    const refreshed = await api(CLIENT.main, 'POST', '/api/token/refresh/', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh }),
    });
    expect(refreshed.status, refreshed.text).to.equal(200);
    const logout = await api(CLIENT.main, 'POST', '/api/token/blacklist/', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh: refreshed.json().refresh }),
    });
    expect(logout.status, logout.text).to.equal(200);
    expect(
      (await api(CLIENT.main, 'GET', '/api/users/me/', { headers: { Authorization: `Bearer ${access}` } })).status,
    ).to.equal(401);
  });

  it('the login throttle counts the real client: X-Forwarded-For neither escapes it nor moves it, and two clients keep their own buckets', async () => {
    const limit = Number(/^(\d+)\//.exec(serviceEnv().THROTTLE_LOGIN_PER_IP!)![1]);
    const attempt = (from: string, i: number, forwarded?: string) =>
      api(from, 'POST', '/api/token/', {
        headers: { 'Content-Type': 'application/json', ...(forwarded ? { 'X-Forwarded-For': forwarded } : {}) },
        body: JSON.stringify({ username: `nobody-${from}-${i}`, password: 'wrong' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < limit; i++) statuses.push((await attempt(CLIENT.throttledA, i, `10.9.${i}.1`)).status);
    expect(
      statuses.every((s) => s === 401),
      statuses.join(' '),
    ).to.equal(true);
    expect(
      (await attempt(CLIENT.throttledA, limit, '10.9.99.1')).status,
      'a made-up X-Forwarded-For does not escape',
    ).to.equal(429);
    expect((await attempt(CLIENT.throttledA, limit + 1)).status).to.equal(429);
    // The other client: its own bucket, even when it names the first one.
    expect((await attempt(CLIENT.throttledB, 0)).status).to.equal(401);
    expect(
      (await attempt(CLIENT.throttledB, 1, CLIENT.throttledA)).status,
      'naming another client does not move the bucket',
    ).to.equal(401);
  });

  it('the anonymous throttle counts the real client the same way', async () => {
    const limit = Number(/^(\d+)\//.exec(serviceEnv().THROTTLE_ANON!)![1]);
    const verify = (from: string, forwarded: string) =>
      api(from, 'POST', '/api/token/verify/', {
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': forwarded },
        body: '{"token":"junk"}',
      });
    const statuses = await Promise.all(
      Array.from({ length: limit }, (_, i) =>
        verify(CLIENT.anonA, `10.8.${i % 250}.${1 + Math.floor(i / 250)}`).then((a) => a.status),
      ),
    );
    expect(
      statuses.filter((s) => s === 429),
      'within the limit',
    ).to.have.length(0);
    expect((await verify(CLIENT.anonA, '10.8.200.200')).status).to.equal(429);
    expect((await verify(CLIENT.anonB, CLIENT.anonA)).status).to.equal(401);
  });

  it('pagination links are https://<domain>/…', async () => {
    const page = await api(CLIENT.main, 'GET', '/api/users/?page_size=1', {
      headers: { Authorization: `Bearer ${adminAccess}` },
    });
    expect(page.status, page.text).to.equal(200);
    expect(String(page.json().next)).to.match(new RegExp(`^https://${DOMAIN.replaceAll('.', '\\.')}/api/users/\\?`));
  });

  it('the origin check accepts https://<domain> and refuses other origins', async () => {
    const login = await api(CLIENT.main, 'POST', '/api/token/', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: ALICE_PASSWORD }),
    });
    const jar = cookieHeader(login);
    const patch = (origin: string) =>
      api(CLIENT.main, 'PATCH', '/api/users/me/', {
        headers: { Cookie: jar, Origin: origin, 'Content-Type': 'application/json' },
        body: JSON.stringify({ first_name: 'Alice' }),
      });
    const own = await patch(ORIGIN);
    expect(own.status, own.text).to.equal(200);
    expect((await patch('https://evil.example')).status).to.equal(403);
    expect((await patch(`http://${DOMAIN}`)).status, 'plain-HTTP origin of the same host').to.equal(403);
  });

  it('another host name gets no answer from nginx, and a 400 from the app itself (ALLOWED_HOSTS from BACKOFFICE_DOMAIN)', async () => {
    const REBOUND = 'rebind.attacker.example';
    /** One request that must end without an answer; resolves with the error it ended with. */
    const unanswered = (module: typeof http | typeof https, options: https.RequestOptions) =>
      new Promise<Error>((resolve, reject) => {
        const req = module.request(
          { localAddress: CLIENT.main, ca, agent: false, timeout: 10_000, ...options },
          (res) => reject(new Error(`answered ${res.statusCode}`)),
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', resolve);
        req.end();
      });
    const address = { host: '127.0.0.1', path: '/api/health/' };
    expect((await unanswered(http, { ...address, port: 80, headers: { Host: REBOUND } })).message).to.match(
      /socket hang up/,
    );
    expect((await unanswered(http, { ...address, port: 80 })).message, 'by address').to.match(/socket hang up/);
    expect(
      (await unanswered(https, { ...address, port: 443, servername: REBOUND, headers: { Host: REBOUND } })).message,
    ).to.match(/unrecognized name/i);
    expect(
      (await unanswered(https, { ...address, port: 443, servername: DOMAIN, headers: { Host: REBOUND } })).message,
      'TLS for the domain, then another Host',
    ).to.match(/socket hang up|unexpected eof|ECONNRESET/i);
    // The app behind nginx checks the host again, and takes no X-Forwarded-Host from anyone.
    const direct = (headers: Record<string, string>, urlPath = '/api/users/?page_size=1') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: production.appAddress(),
            port: 8000,
            path: urlPath,
            headers,
            localAddress: CLIENT.main,
            agent: false,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const refused = await direct({ Host: REBOUND, Authorization: `Bearer ${adminAccess}` });
    expect(refused.status).to.equal(400);
    expect(JSON.parse(refused.body)).to.deep.equal({ detail: 'Invalid host header.' });
    const forged = await direct({
      Host: DOMAIN,
      'X-Forwarded-Host': REBOUND,
      'X-Forwarded-Proto': 'https',
      Authorization: `Bearer ${adminAccess}`,
    });
    expect(forged.status, forged.body).to.equal(200);
    expect(String(JSON.parse(forged.body).next)).to.match(new RegExp(`^https://${DOMAIN.replaceAll('.', '\\.')}/`));
    expect((await direct({ Host: '10.1.2.3:8000' }, '/api/health/')).status, 'a probe by address').to.equal(200);
  });

  it('an oversize body gets the JSON 413 from nginx, with HSTS once', async () => {
    const limit = Number(serviceEnv().UPLOAD_MAX_BYTES);
    const answer = await api(CLIENT.main, 'POST', '/api/files/', {
      headers: {
        Authorization: `Bearer ${adminAccess}`,
        'Content-Type': 'multipart/form-data; boundary=x',
        'Content-Length': limit + 1024 * 1024,
      },
      body: async (req) => {
        req.write(Buffer.alloc(64 * 1024));
        await new Promise((r) => setTimeout(r, 500));
        req.destroy(); // nginx has answered by now; the rest is never sent
      },
    }).catch(() => null);
    // Some clients see the answer, some only the reset: ask again with the declared length only.
    const again =
      answer ??
      (await api(CLIENT.main, 'POST', '/api/files/', {
        headers: {
          Authorization: `Bearer ${adminAccess}`,
          'Content-Type': 'multipart/form-data; boundary=x',
          'Content-Length': limit + 1024 * 1024,
        },
        body: async () => undefined,
      }).catch(() => null));
    expect(again, 'an answer').not.to.equal(null);
    expect(again!.status).to.equal(413);
    expect(again!.json()).to.deep.equal({ detail: 'Request body is too large.' });
    expect(hstsCount(again!)).to.equal(1);
  });

  it('HSTS appears exactly once on API, admin and docs answers', async () => {
    for (const url of ['/api/health/', '/admin/login/', '/docs/'])
      expect(hstsCount(await api(CLIENT.main, 'GET', url)), url).to.equal(1);
  });

  it('/docs/ is served', async () => {
    const docs = await api(CLIENT.main, 'GET', '/docs/');
    expect(docs.status).to.equal(200);
    expect(docs.headers['content-type']).to.match(/^text\/html/);
    expect(docs.text).to.include('Backoffice');
  });

  it('the browsable API and /api/schema/ are off', async () => {
    expect((await api(CLIENT.main, 'GET', '/api/schema/')).status).to.equal(404);
    expect((await api(CLIENT.main, 'GET', '/api/docs/')).status).to.equal(404);
    const html = await api(CLIENT.main, 'GET', '/api/users/', {
      headers: { Authorization: `Bearer ${adminAccess}`, Accept: 'text/html' },
    });
    expect(String(html.headers['content-type'])).not.to.match(/html/);
  });

  it('/admin/ logs in behind the proxy and blacklists a session', async () => {
    const alice = await api(CLIENT.main, 'POST', '/api/token/', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: ALICE_PASSWORD }),
    });
    const aliceAccess = String(alice.json().access);
    const form = new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, next: '/admin/' }).toString();
    const login = await api(CLIENT.main, 'POST', '/admin/login/', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: form,
    });
    expect(login.status, login.text).to.equal(302);
    const jar = cookieHeader(login);
    const tokens = await api(CLIENT.main, 'GET', '/admin/tokens/?user=alice&status=live', { headers: { Cookie: jar } });
    expect(tokens.status, tokens.text.slice(0, 300)).to.equal(200);
    const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(tokens.text)![1]!;
    const ids = [...tokens.text.matchAll(/name="ids" value="(\d+)"(?![^>]*disabled)/g)].map((m) => m[1]!);
    expect(ids.length).to.be.greaterThan(0);
    const body = new URLSearchParams([
      ['csrfmiddlewaretoken', csrf],
      ...ids.map((id) => ['ids', id] as [string, string]),
    ]).toString();
    const blacklisted = await api(CLIENT.main, 'POST', '/admin/tokens/blacklist/', {
      headers: { Cookie: jar, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(blacklisted.status, blacklisted.text.slice(0, 300)).to.equal(302);
    expect(
      (await api(CLIENT.main, 'GET', '/api/users/me/', { headers: { Authorization: `Bearer ${aliceAccess}` } })).status,
    ).to.equal(401);
  });

  it('a 20 MiB upload at ~300 kB/s (over 60 s) is stored whole; download and presigned URL give the same bytes', async () => {
    const { answer, seconds, content } = await slowUpload;
    expect(answer.status, answer.text).to.equal(201);
    expect(seconds, 'the upload took').to.be.greaterThan(60);
    const file = answer.json() as { id: string; size: number; url: string };
    expect(file.size).to.equal(content.length);
    const download = await api(CLIENT.main, 'GET', `/api/files/${file.id}/download/`, {
      headers: { Authorization: `Bearer ${adminAccess}` },
    });
    expect(download.status).to.equal(200);
    expect(sha(download.body)).to.equal(sha(content));
    expect(file.url).to.match(new RegExp(`^https://${DOMAIN.replaceAll('.', '\\.')}:9000/`));
    const presigned = await api(CLIENT.main, 'GET', file.url);
    expect(presigned.status).to.equal(200);
    expect(sha(presigned.body)).to.equal(sha(content));
  });

  it('a client that goes silent mid-body is cut off by the app after about a minute, not kept for the upload allowance', async () => {
    const seconds = await idleClient;
    expect(seconds).to.be.within(55, 80);
  });

  it("the cron runbook's line runs and logs what its sample shows", async () => {
    ran.push('cron.md#cron-line', 'cron.md#cron-output');
    const line = runbookBlock('cron.md', 'cron-line').trim();
    // The crontab line without its schedule is what cron runs (with sh).
    const command = line.split(/\s+/).slice(5).join(' ');
    const log = /\S+\/logs\/cron\.log/.exec(command)![0];
    fs.mkdirSync(path.dirname(log), { recursive: true });
    const outcome = await production.shell(command, { cwd: '/' });
    expect(outcome.code, outcome.stderr).to.equal(0);
    const sample = runbookBlock('cron.md', 'cron-output').split('\n');
    const pattern = (text: string) =>
      new RegExp(
        `^${text
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')
          .replace(/(?<=Deleted |and )\d+/g, '\\d+')}$`,
      );
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines, lines.join('\n')).to.have.length(sample.length);
    sample.forEach((text, i) => expect(lines[i]).to.match(pattern(text)));
  });

  it('a redeploy as ops/deploy.sh does it (the app at another address under the same name) keeps serving through the same nginx', async () => {
    const before_ = production.appAddress();
    const nginxPid = production.pid('nginx');
    // A release to deploy: a code change on main.
    const origin = path.join(production.dir, 'origin');
    fs.appendFileSync(path.join(origin, 'src/server.ts'), '\n// next release\n');
    spawnSync(
      'git',
      ['-c', 'user.email=ops@example.com', '-c', 'user.name=Rehearsal', 'commit', '-qam', 'next release'],
      { cwd: origin },
    );
    const deployed = await runbook('deploy.md', 'deploy', { cwd: '/' });
    expect(deployed.stdout).to.include('deploy: done: the app is healthy');
    const after_ = production.appAddress();
    expect(after_).not.to.equal(before_);
    expect(production.calls).to.include('docker compose up -d --remove-orphans');
    expect(production.pid('nginx'), 'nginx was not restarted').to.equal(nginxPid);
    // nginx keeps the old answer at most `valid` seconds; then every request reaches the new app.
    await waitUntil(
      async () => (await api(CLIENT.main, 'GET', '/api/health/')).status === 200,
      15_000,
      () => 'nginx did not find the new app',
    );
    for (let i = 0; i < 5; i++) expect((await api(CLIENT.main, 'GET', '/api/health/')).status).to.equal(200);
  });

  it('the runbook trap is closed: prod.env copied from .env (the old instruction) is refused at start', () => {
    const model = loadCompose(['compose.yml', '_compose.override.yml'], { dir: ROOT });
    const copied = fs
      .readFileSync(path.join(ROOT, '.env'), 'utf8')
      .replace(/^DEBUG=true$/m, 'DEBUG=false')
      .replace(/^SECRET_KEY=.*$/m, `SECRET_KEY=${'k'.repeat(48)}`);
    const env = serviceEnvironment(model, 'app', {
      dir: ROOT,
      readFile: (file) => (file === 'prod.env' ? copied : fs.readFileSync(path.join(ROOT, file), 'utf8')),
    });
    expect(servingProblem(loadConfig(env))).to.match(/^COOKIE_SECURE must be true/);
    const secure = serviceEnvironment(model, 'app', {
      dir: ROOT,
      readFile: (file) =>
        file === 'prod.env' ? `${copied}\nCOOKIE_SECURE=true\n` : fs.readFileSync(path.join(ROOT, file), 'utf8'),
    });
    expect(servingProblem(loadConfig(secure))).to.match(/^TRUST_PROXY must be the number of proxies/);
  });

  it('every marked block of the production-setup, deploy and cron runbooks was run', () => {
    for (const file of ['production-setup.md', 'deploy.md', 'cron.md'])
      for (const name of runbookBlockNames(file)) expect(ran, `${file}#${name}`).to.include(`${file}#${name}`);
  });

  /** The app's environment now, as Compose computes it from the project folder. */
  function serviceEnv(): Record<string, string> {
    return serviceEnvironment(loadCompose(['compose.yml', 'compose.override.yml'], { dir: PROJECT }), 'app', {
      dir: PROJECT,
    });
  }
});

function hstsCount(answer: Answer): number {
  return answer.raw.filter((_, i) => i % 2 === 0 && answer.raw[i]!.toLowerCase() === 'strict-transport-security')
    .length;
}
