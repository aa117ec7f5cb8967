import { expect } from 'chai';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Context } from 'koa';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { allowedHost, isSameDomain, splitDomainPort, validateHost } from '../../src/http/hosts.js';
import { apiOrigin } from '../../src/http/origin.js';
import { api, makeUser, PASSWORD, testDeps, tokensFor } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

const ATTACKER = 'rebind.attacker.example';
const INVALID_HOST = { detail: 'Invalid host header.' };

describe('the host allowlist (ALLOWED_HOSTS)', () => {
  describe("matching, as Django's split_domain_port and validate_host", () => {
    const ALLOWED = ['api.example.com', '.example.org', '10.0.0.5', '[::1]', '[2001:db8::1]'];
    // host, allowed by ALLOWED
    const cases: [string, boolean][] = [
      ['api.example.com', true],
      ['api.example.com:8443', true],
      ['API.Example.COM', true],
      ['api.example.com.', true],
      ['api.example.com.:80', true],
      ['www.api.example.com', false],
      ['example.com', false],
      ['example.org', true],
      ['sub.example.org', true],
      ['deep.sub.example.org:9000', true],
      ['badexample.org', false],
      ['example.org.evil', false],
      ['10.0.0.5', true],
      ['10.0.0.5:8000', true],
      ['10.0.0.50', false],
      ['[::1]', true],
      ['[::1]:8000', true],
      ['[2001:DB8::1]:443', true],
      ['[::2]', false],
      ['::1', false],
      ['[::1', false],
      [ATTACKER, false],
      ['', false],
      ['.', false],
      ['a b', false],
      ['x@y', false],
      ['api.example.com@evil.example', false],
      ['evil.example@api.example.com', false],
      ['api.example.com,evil.example', false],
      ['api.example.com:', false],
      ['api.example.com:80:80', false],
      ['api.example.com:port', false],
      ['api.example.com/x', false],
      ['api.example.com\\x', false],
      ['äpi.example.com', false],
    ];
    for (const [host, expected] of cases) {
      it(`${expected ? 'allows' : 'refuses'} ${JSON.stringify(host)}`, () => {
        expect(allowedHost(host, ALLOWED)).to.equal(expected ? host : null);
      });
    }

    it('* allows every well-formed host, and still refuses what is not a host', () => {
      for (const host of ['anything.example', 'localhost:1', '[::1]', '1.2.3.4'])
        expect(allowedHost(host, ['*'])).to.equal(host);
      for (const host of ['a b', 'x@y', '', 'a,b']) expect(allowedHost(host, ['*']), host).to.equal(null);
    });

    it('refuses, beyond Django, a host no URL can carry: a port past 65535, a malformed address', () => {
      for (const host of ['localhost:99999', '1.2.3.4.5', '999.1.1.1', '[1:2]', '[::1.2.3.4.5]'])
        expect(allowedHost(host, ['*']), host).to.equal(null);
    });

    it('an empty list allows nothing', () => {
      expect(allowedHost('localhost', [])).to.equal(null);
    });

    it('splits domain and port as split_domain_port does', () => {
      expect(splitDomainPort('API.Example.com.:8000')).to.deep.equal({ domain: 'api.example.com', port: '8000' });
      expect(splitDomainPort('[::1]:8000')).to.deep.equal({ domain: '[::1]', port: '8000' });
      expect(splitDomainPort('[::1]')).to.deep.equal({ domain: '[::1]', port: '' });
      expect(splitDomainPort('a b')).to.deep.equal({ domain: '', port: '' });
    });

    it('matches a leading-dot pattern to the domain and its subdomains only (is_same_domain)', () => {
      expect(isSameDomain('example.com', '.example.com')).to.equal(true);
      expect(isSameDomain('a.b.example.com', '.EXAMPLE.com')).to.equal(true);
      expect(isSameDomain('badexample.com', '.example.com')).to.equal(false);
      expect(isSameDomain('example.com', '')).to.equal(false);
      expect(validateHost('example.com', ['other.com', 'example.com'])).to.equal(true);
    });
  });

  describe('requests with a host that is not allowed', () => {
    it('get 400 {"detail": "Invalid host header."} on an API route, before routing and authentication', async () => {
      for (const [method, path] of [
        ['get', '/api/users/'],
        ['get', '/api/users/me/'],
        ['get', '/api/no-such-route/'],
        ['post', '/api/files/'],
        ['get', '/api/schema/'],
      ] as const) {
        const res = await api()[method](path).set('Host', ATTACKER).expect(400);
        expect(res.body, path).to.deep.equal(INVALID_HOST);
        expect(res.headers['content-type']).to.match(/^application\/json/);
      }
    });

    it('never log in: a login with a hostile Host is refused before the password is checked', async () => {
      const user = await makeUser();
      const res = await api()
        .post('/api/token/')
        .set('Host', ATTACKER)
        .set('Origin', `http://${ATTACKER}`)
        .send({ username: user.username, password: PASSWORD })
        .expect(400);
      expect(res.body).to.deep.equal(INVALID_HOST);
      expect(res.headers).not.to.have.property('set-cookie');
      const row = await testKnex()('auth_user').where({ id: user.id }).first('last_login');
      expect(row.last_login, 'no login happened').to.equal(null);
      const issued = await testKnex()('token_blacklist_outstandingtoken').where({ user_id: user.id }).count({ n: '*' });
      expect(Number(issued[0]!.n), 'no token issued').to.equal(0);
    });

    it('never pass the cookie origin check, even when Host and Origin are both the rebound name', async () => {
      const user = await makeUser({ first_name: 'Before' });
      const { access, refresh } = await tokensFor(user);
      const patch = await api()
        .patch('/api/users/me/')
        .set('Host', ATTACKER)
        .set('Origin', `http://${ATTACKER}`)
        .set('Cookie', `access_token=${access}`)
        .send({ first_name: 'Rebound' })
        .expect(400);
      expect(patch.body).to.deep.equal(INVALID_HOST);
      const refreshed = await api()
        .post('/api/token/refresh/')
        .set('Host', `${ATTACKER}:8000`)
        .set('Origin', `http://${ATTACKER}:8000`)
        .set('Cookie', `refresh_token=${refresh}`)
        .send({})
        .expect(400);
      expect(refreshed.body).to.deep.equal(INVALID_HOST);
      expect((await testKnex()('auth_user').where({ id: user.id }).first('first_name')).first_name).to.equal('Before');
      // The same request on an allowed host, from the host's own origin, passes the check.
      await api()
        .patch('/api/users/me/')
        .set('Host', 'api.example.com')
        .set('Origin', 'http://api.example.com')
        .set('Cookie', `access_token=${access}`)
        .send({ first_name: 'Own' })
        .expect(200);
    });

    it("get Django's Bad Request (400) page from the admin panel", async () => {
      for (const path of ['/admin/', '/admin/login/', '/admin']) {
        const res = await api().get(path).set('Host', ATTACKER).expect(400);
        expect(res.headers['content-type'], path).to.match(/^text\/html/);
        expect(res.text, path).to.include('<h1>Bad Request (400)</h1>');
      }
      const login = await api()
        .post('/admin/login/')
        .set('Host', ATTACKER)
        .type('form')
        .send({ username: 'admin', password: PASSWORD })
        .expect(400);
      expect(login.headers).not.to.have.property('set-cookie');
    });

    it('reach the health probes, which answer any host (an orchestrator calls them by address)', async () => {
      for (const path of ['/api/health/', '/api/health', '/api/health/live/', '/api/health/ready/']) {
        const res = await api().get(path).set('Host', '10.244.3.17:8000');
        expect(res.status, path).to.be.oneOf([200, 503]);
        expect(res.body, path).not.to.deep.equal(INVALID_HOST);
      }
      await api().get('/api/health/').set('Host', 'a b').expect(200);
    });

    it('are logged as a warning naming the host, as Django logs DisallowedHost', async () => {
      const lines: Record<string, unknown>[] = [];
      const deps = testDeps({ LOG_LEVEL: 'warn' });
      const { pino } = await import('pino');
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      await supertest(createApp({ ...deps, logger }).app.callback())
        .get('/api/users/')
        .set('Host', ATTACKER)
        .expect(400);
      expect(lines.find((l) => l.host === ATTACKER)).to.include({
        level: 40,
        msg: `Invalid HTTP_HOST header: '${ATTACKER}'. You may need to add '${ATTACKER}' to ALLOWED_HOSTS.`,
      });
    });
  });

  describe('X-Forwarded-Host', () => {
    const superuser = async () => `Bearer ${(await tokensFor(await makeUser({ is_superuser: true }))).access}`;

    it('counts for nothing without USE_X_FORWARDED_HOST, even behind a trusted proxy: links keep Host', async () => {
      const authorization = await superuser();
      await makeUser();
      for (const forwarded of ['evil.example', 'backoffice.example.com']) {
        const res = await api({ TRUST_PROXY: '1' })
          .get('/api/users/?page_size=1')
          .set('Authorization', authorization)
          .set('Host', 'api.example.com')
          .set('X-Forwarded-Proto', 'https')
          .set('X-Forwarded-Host', forwarded)
          .expect(200);
        expect(res.body.next).to.equal('https://api.example.com/api/users/?page_size=1&page=2');
      }
      // Nor does it rescue a refused Host.
      await api({ TRUST_PROXY: '1' })
        .get('/api/health/live/')
        .set('Host', ATTACKER)
        .set('X-Forwarded-Host', 'api.example.com')
        .expect(200);
      const refused = await api({ TRUST_PROXY: '1' })
        .get('/api/users/')
        .set('Host', ATTACKER)
        .set('X-Forwarded-Host', 'api.example.com')
        .expect(400);
      expect(refused.body).to.deep.equal(INVALID_HOST);
    });

    it('is the host validated and linked with USE_X_FORWARDED_HOST behind a trusted proxy', async () => {
      const authorization = await superuser();
      await makeUser();
      const env = { TRUST_PROXY: '1', USE_X_FORWARDED_HOST: 'true' };
      const res = await api(env)
        .get('/api/users/?page_size=1')
        .set('Authorization', authorization)
        .set('Host', 'internal:8000')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-Host', 'backoffice.example.com')
        .expect(200);
      expect(res.body.next).to.equal('https://backoffice.example.com/api/users/?page_size=1&page=2');
      for (const forwarded of [ATTACKER, 'backoffice.example.com, evil.example']) {
        const refused = await api(env)
          .get('/api/users/')
          .set('Host', 'api.example.com')
          .set('X-Forwarded-Host', forwarded)
          .expect(400);
        expect(refused.body, forwarded).to.deep.equal(INVALID_HOST);
      }
      // Without the header, Host is the host.
      const plain = await api(env)
        .get('/api/users/?page_size=1')
        .set('Authorization', authorization)
        .set('Host', 'api.example.com')
        .expect(200);
      expect(plain.body.next).to.equal('http://api.example.com/api/users/?page_size=1&page=2');
    });

    it('counts for nothing with USE_X_FORWARDED_HOST but no trusted proxy', async () => {
      const authorization = await superuser();
      await makeUser();
      const res = await api({ USE_X_FORWARDED_HOST: 'true' })
        .get('/api/users/?page_size=1')
        .set('Authorization', authorization)
        .set('Host', 'api.example.com')
        .set('X-Forwarded-Host', 'backoffice.example.com')
        .expect(200);
      expect(res.body.next).to.equal('http://api.example.com/api/users/?page_size=1&page=2');
    });

    it("is removed from the request, so that Koa's host, hostname, URL and href reflect Host", async () => {
      const deps = testDeps({ TRUST_PROXY: '1' });
      const { app } = createApp(deps);
      const seen: Record<string, unknown>[] = [];
      // Behind the app's own chain: what a route would read.
      app.use(async (ctx, next) => {
        seen.push({
          header: ctx.get('X-Forwarded-Host'),
          host: ctx.host,
          hostname: ctx.hostname,
          origin: ctx.URL.origin,
          href: ctx.href,
        });
        await next();
      });
      await supertest(app.callback())
        .get('/api/no-such-route/?x=1')
        .set('Host', 'api.example.com:8443')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-Host', 'evil.example')
        .expect(404);
      expect(seen[0]).to.deep.equal({
        header: '',
        host: 'api.example.com:8443',
        hostname: 'api.example.com',
        origin: 'https://api.example.com:8443',
        href: 'https://api.example.com:8443/api/no-such-route/?x=1',
      });
    });
  });

  describe('links', () => {
    it('pagination links and file URLs carry the validated host, port and scheme', async () => {
      const authorization = `Bearer ${(await tokensFor(await makeUser({ is_superuser: true }))).access}`;
      await makeUser();
      const page = await api()
        .get('/api/users/?page_size=1')
        .set('Authorization', authorization)
        .set('Host', 'API.example.com:8443')
        .expect(200);
      expect(page.body.next).to.equal('http://api.example.com:8443/api/users/?page_size=1&page=2');
      const file = await api({ TRUST_PROXY: '1' })
        .post('/api/files/')
        .set('Authorization', authorization)
        .set('Host', 'api.example.com')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-Host', 'evil.example')
        .attach('file', Buffer.from('hello'), 'hello.txt')
        .expect(201);
      expect(file.body.url).to.match(/^https:\/\/api\.example\.com\/api\/media\//);
    });

    it('an absolute-form request target names no host: its path is served on the validated host', async () => {
      const authorization = `Bearer ${(await tokensFor(await makeUser({ is_superuser: true }))).access}`;
      await makeUser();
      const server = createApp(testDeps()).app.listen(0, '127.0.0.1');
      try {
        await new Promise((resolve) => server.once('listening', resolve));
        const { port } = server.address() as AddressInfo;
        const answer = await rawRequest(
          port,
          `GET http://evil.example/api/users/?page_size=1 HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`,
        );
        expect(answer).to.match(/^HTTP\/1\.1 200 /);
        const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { next: string };
        expect(body.next).to.equal('http://api.example.com/api/users/?page_size=1&page=2');
      } finally {
        server.close();
      }
    });
  });

  describe('with DEBUG and ALLOWED_HOSTS empty', () => {
    const debug = { DEBUG: 'true', ALLOWED_HOSTS: '' };

    it("allows Django's development hosts: localhost and its subdomains, 127.0.0.1, [::1]", async () => {
      for (const host of [
        'localhost',
        'localhost:8000',
        'api.localhost',
        'LOCALHOST.',
        '127.0.0.1',
        '127.0.0.1:8000',
        '[::1]',
        '[::1]:8000',
      ]) {
        const res = await api(debug).get('/api/users/').set('Host', host);
        expect(res.status, host).to.equal(401);
      }
    });

    it("refuses any other host, with Django's debug message naming the host to add", async () => {
      for (const host of ['127.0.0.2', '192.168.1.5:8000', 'example.com', 'localhost.evil.example', ATTACKER]) {
        const res = await api(debug).get('/api/users/').set('Host', host).expect(400);
        const domain = host.replace(/:\d+$/, '');
        expect(res.body, host).to.deep.equal({
          detail: `Invalid HTTP_HOST header: '${host}'. You may need to add '${domain}' to ALLOWED_HOSTS.`,
        });
      }
      const garbage = await api(debug).get('/api/users/').set('Host', 'a b').expect(400);
      expect(garbage.body).to.deep.equal({
        detail: "Invalid HTTP_HOST header: 'a b'. The domain name provided is not valid according to RFC 1034/1035.",
      });
    });
  });

  it('apiOrigin refuses a request whose host was never validated', () => {
    const ctx = { state: {}, protocol: 'http', host: 'api.example.com' } as unknown as Context;
    expect(() => apiOrigin(ctx)).to.throw(/not validated/);
  });
});

/** Sends raw bytes and reads the whole answer (the server closes the connection: `Connection: close`). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
