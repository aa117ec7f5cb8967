/**
 * nginx/local.conf and nginx/prod.conf, run by the real nginx (Debian package) on loopback in
 * front of the real app (`tsx src/server.ts`, embedded database in a temporary folder).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, freePort, request, requireTools, ROOT, start, waitForStatus, type Running } from './support.js';
import { mainConfig } from '../support/nginx.js';

/** nginx's limit in the test: small, so that a 2 MiB body is over it; the app allows far more. */
const NGINX_LIMIT = 1024 * 1024;
const ADMIN = { username: 'admin', password: 'demo-Admin-2026!' }; // seeds/demo-users.json

/**
 * Renders a config of nginx/ the way the nginx image does (envsubst of the two variables), then
 * points it at loopback ports and temporary folders. Every replaced text must be present, so a
 * change of the config's shape breaks the test instead of silently testing something else.
 */
function renderConfig(file: string, dir: string, ports: { app: number; http: number; https?: number }): string {
  let text = readFileSync(path.join(ROOT, 'nginx', file), 'utf8');
  const replace = (from: string | RegExp, to: string) => {
    const before = text;
    text = typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
    if (text === before) throw new Error(`nginx/${file} no longer contains ${String(from)}`);
  };
  replace('${UPLOAD_MAX_BYTES}', String(NGINX_LIMIT));
  if (file === 'prod.conf') replace('${NGINX_LOCAL_RESOLVERS}', '127.0.0.1');
  // local.conf names the app in an upstream block; prod.conf in a variable, resolved at request time.
  replace(
    file === 'prod.conf' ? 'set $backoffice_app http://app:8000;' : 'server app:8000;',
    file === 'prod.conf' ? `set $backoffice_app http://127.0.0.1:${ports.app};` : `server 127.0.0.1:${ports.app};`,
  );
  replace(/listen 80( default_server)?;/g, `listen 127.0.0.1:${ports.http}$1;`);
  replace('/var/log/nginx/', `${dir}/logs/`);
  replace('/usr/share/nginx/backoffice', `${dir}/www`);
  if (ports.https) {
    replace('${BACKOFFICE_DOMAIN}', 'localhost');
    replace(/listen 443 ssl( default_server)?;/g, `listen 127.0.0.1:${ports.https} ssl$1;`);
    replace(/^\s*listen \[::\]:\d+.*$/gm, '');
    replace('/etc/letsencrypt/', `${dir}/letsencrypt/`);
  }
  return mainConfig(dir, {
    workers: 1,
    connections: 128,
    errorLevel: 'warn',
    http: `  types { text/html html; text/css css; application/javascript js; }
  default_type application/octet-stream;
  access_log ${dir}/logs/access.log;
${text}`,
  });
}

/** Starts nginx with a rendered config and waits for its health location. */
async function startNginx(dir: string, config: string, httpPort: number): Promise<Running> {
  writeFileSync(path.join(dir, 'nginx.conf'), config);
  const check = spawnSync(
    'nginx',
    ['-t', '-q', '-p', `${dir}/`, '-e', `${dir}/logs/error.log`, '-c', `${dir}/nginx.conf`],
    { encoding: 'utf8' },
  );
  if (check.status !== 0) throw new Error(`nginx -t: ${check.stderr}`);
  const nginx = start('nginx', ['-p', `${dir}/`, '-e', `${dir}/logs/error.log`, '-c', `${dir}/nginx.conf`]);
  await waitForStatus(`http://127.0.0.1:${httpPort}/nginx-health`, { timeoutMs: 10_000, child: nginx.child });
  return nginx;
}

/** A folder every nginx worker (which may run as nobody) can read and write. */
function sharedFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ops-nginx-'));
  for (const sub of ['logs', 'tmp', 'www/docs', 'letsencrypt/live/localhost'])
    mkdirSync(path.join(dir, sub), { recursive: true });
  for (const sub of ['', 'www', 'www/docs', 'letsencrypt', 'letsencrypt/live', 'letsencrypt/live/localhost'])
    chmodSync(path.join(dir, sub), 0o755);
  for (const sub of ['logs', 'tmp']) chmodSync(path.join(dir, sub), 0o777);
  return dir;
}

/** Two MiB, over nginx's limit in the test. */
const OVERSIZE = Buffer.alloc(2 * 1024 * 1024, 'x');

describe('nginx in front of the app', function () {
  // The app's first start (migrations, demo users) takes 20–30 s on a loaded two-core machine.
  this.timeout(150_000);
  let dir: string;
  let app: Running;
  let appPort: number;

  before(async function () {
    requireTools(this, 'nginx', 'openssl');
    dir = sharedFolder();
    writeFileSync(
      path.join(dir, 'www/docs/index.html'),
      '<!doctype html><title>Backoffice docs</title><h1>Backoffice documentation</h1>\n',
    );
    appPort = await freePort();
    app = start(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/server.ts'], {
      env: cleanEnv({
        HOST: '127.0.0.1',
        PORT: String(appPort),
        DATA_DIR: path.join(dir, 'data'),
        DEBUG: 'true',
        TRUST_PROXY: 'true',
        LOG_LEVEL: 'warn',
        UPLOAD_MAX_BYTES: String(100 * 1024 * 1024),
        THROTTLE_LOGIN_PER_USER: 'off',
        THROTTLE_LOGIN_PER_IP: 'off',
        THROTTLE_ANON: 'off',
      }),
    });
    await waitForStatus(`http://127.0.0.1:${appPort}/api/health/`, { timeoutMs: 120_000, child: app.child }).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${app.output()}`);
      },
    );
  });

  after(async () => {
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('nginx/local.conf', () => {
    let nginx: Running;
    let base: string;

    before(async () => {
      const http = await freePort();
      base = `http://127.0.0.1:${http}`;
      nginx = await startNginx(dir, renderConfig('local.conf', dir, { app: appPort, http }), http);
    });
    after(async () => {
      await nginx?.stop('SIGQUIT');
    });

    let loginRequestId = '';

    it('proxies a login to the app, which answers with the token cookies', async () => {
      const res = await request(`${base}/api/token/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      expect(res.status, res.body).to.equal(200);
      expect(JSON.parse(res.body)).to.have.keys('access', 'refresh');
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]);
      expect(cookies).to.include.members(['access_token', 'refresh_token']);
      loginRequestId = String(res.headers['x-request-id']);
      expect(loginRequestId, 'nginx $request_id, echoed by the app').to.match(/^[0-9a-f]{32}$/);
    });

    it('serves the documentation site at /docs/', async () => {
      const res = await request(`${base}/docs/`);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.body).to.include('Backoffice documentation');
      expect((await request(`${base}/docs/missing.html`)).status).to.equal(404);
    });

    it('refuses a body over the limit itself, with 413 and a DRF-style body', async () => {
      const res = await request(`${base}/api/files/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': OVERSIZE.length },
        body: OVERSIZE,
      });
      expect(res.status).to.equal(413);
      expect(JSON.parse(res.body)).to.deep.equal({ detail: 'Request body is too large.' });
    });

    it('forwards the host with its port, so the app builds links back to nginx', async () => {
      const login = await request(`${base}/api/token/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      const { access } = JSON.parse(login.body) as { access: string };
      const res = await request(`${base}/api/users/?page_size=1`, { headers: { Authorization: `Bearer ${access}` } });
      expect(res.status, res.body).to.equal(200);
      expect((JSON.parse(res.body) as { next: string }).next.startsWith(`${base}/api/users/?`)).to.equal(true);
    });

    it('writes its access log to a file', () => {
      const log = readFileSync(path.join(dir, 'logs/backoffice.access.log'), 'utf8');
      expect(log).to.match(new RegExp(`"POST /api/token/ HTTP/1.1" 200 .* rid=${loginRequestId} rt=`));
    });
  });

  describe('nginx/prod.conf', () => {
    let nginx: Running;
    let https: string;
    let http: string;
    let ca: string;

    before(async () => {
      const live = path.join(dir, 'letsencrypt/live/localhost');
      const made = spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
          '-keyout',
          path.join(live, 'privkey.pem'),
          '-out',
          path.join(live, 'fullchain.pem'),
        ],
        { encoding: 'utf8' },
      );
      if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
      ca = readFileSync(path.join(live, 'fullchain.pem'), 'utf8');
      const ports = { app: appPort, http: await freePort(), https: await freePort() };
      http = `http://127.0.0.1:${ports.http}`;
      https = `https://localhost:${ports.https}`;
      nginx = await startNginx(dir, renderConfig('prod.conf', dir, ports), ports.http);
    });
    after(async () => {
      await nginx?.stop('SIGQUIT');
    });

    it('redirects plain HTTP to HTTPS on the domain, keeping the path', async () => {
      const res = await request(`${http}/api/users/?page=2`, { headers: { Host: 'localhost' } });
      expect(res.status).to.equal(301);
      expect(res.headers.location).to.equal('https://localhost/api/users/?page=2');
    });

    it('answers nothing on port 80 for a host that is not the domain: the connection is closed', async () => {
      for (const host of [
        'rebind.attacker.example',
        '127.0.0.1',
        `127.0.0.1:${new URL(http).port}`,
        'localhost.evil',
      ]) {
        const outcome = await request(`${http}/api/health/`, { headers: { Host: host } }).catch((e: Error) => e);
        expect(outcome, host).to.be.instanceOf(Error);
        expect((outcome as NodeJS.ErrnoException).code, host).to.equal('ECONNRESET');
      }
      // The container health check calls nginx by address, and is still answered.
      expect((await request(`${http}/nginx-health`)).status).to.equal(200);
    });

    it('refuses the TLS handshake for another name, or none, and closes a request for another host', async () => {
      const port = new URL(https).port;
      for (const servername of ['rebind.attacker.example', undefined]) {
        const outcome = await request(`https://127.0.0.1:${port}/api/health/`, {
          ca,
          servername,
          headers: { Host: servername ?? '127.0.0.1' },
        }).catch((e: Error) => e);
        expect(outcome, String(servername)).to.be.instanceOf(Error);
        expect((outcome as Error).message, String(servername)).to.match(/unrecognized name/i);
      }
      // A connection made for the domain, then a request naming another host.
      const rebound = await request(`${https}/api/health/`, {
        ca,
        headers: { Host: 'rebind.attacker.example' },
      }).catch((e: Error) => e);
      expect(rebound).to.be.instanceOf(Error);
      // Closed without an answer; OpenSSL 3 calls a close without close_notify an EOF error (EPROTO).
      expect((rebound as NodeJS.ErrnoException).code, (rebound as Error).message).to.be.oneOf(['ECONNRESET', 'EPROTO']);
      expect((await request(`${https}/api/health/`, { ca })).status).to.equal(200);
    });

    it('serves HTTPS with HSTS, and a login yields the token cookies', async () => {
      const res = await request(`${https}/api/token/`, {
        ca,
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      expect(res.status, res.body).to.equal(200);
      expect(res.headers['strict-transport-security']).to.match(/^max-age=63072000/);
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]);
      expect(cookies).to.include.members(['access_token', 'refresh_token']);
    });

    it('forwards the scheme and host, so the app builds https:// links', async () => {
      const login = await request(`${https}/api/token/`, {
        ca,
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      const { access } = JSON.parse(login.body) as { access: string };
      const res = await request(`${https}/api/users/?page_size=1`, {
        ca,
        headers: { Authorization: `Bearer ${access}` },
      });
      expect(res.status, res.body).to.equal(200);
      // $host carries no port: right for the standard 443 of production.
      expect((JSON.parse(res.body) as { next: string }).next).to.match(/^https:\/\/localhost\/api\/users\/\?/);
    });

    it('serves the documentation site at /docs/ over HTTPS', async () => {
      const res = await request(`${https}/docs/`, { ca });
      expect(res.status).to.equal(200);
      expect(res.body).to.include('Backoffice documentation');
    });

    it('refuses a body over the limit with 413 before it reaches the app', async () => {
      const res = await request(`${https}/api/files/`, {
        ca,
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': OVERSIZE.length },
        body: OVERSIZE,
      });
      expect(res.status).to.equal(413);
      expect(JSON.parse(res.body)).to.deep.equal({ detail: 'Request body is too large.' });
      expect(res.headers['strict-transport-security']).to.match(/^max-age=/);
    });

    it('speaks only TLS 1.2 and 1.3', () => {
      const old = spawnSync(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${new URL(https).port}`, '-tls1_1', '-servername', 'localhost'],
        { input: '', encoding: 'utf8', timeout: 10_000 },
      );
      expect(old.status).not.to.equal(0);
      const modern = spawnSync(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${new URL(https).port}`, '-tls1_2', '-servername', 'localhost'],
        { input: '', encoding: 'utf8', timeout: 10_000 },
      );
      expect(modern.stdout).to.match(/Protocol\s*:\s*TLSv1\.2/);
    });
  });
});
