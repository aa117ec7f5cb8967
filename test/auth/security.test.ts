import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { PrincipalCache } from '../../src/auth/principal-cache.js';
import { NOTICE_CHANNEL } from '../../src/db/notice-protocol.js';
import { throttledLogin } from '../../src/auth/login.js';
import { NoticeHub } from '../../src/db/notifications.js';
import { AuthenticationFailedError } from '../../src/errors.js';
import type { Throttles } from '../../src/http/throttle.js';
import { api, bearer, makeUser, PASSWORD, testDeps, tokensFor } from '../support/app.js';
import { TEST_SECRET_KEY } from '../support/config.js';
import { testDatabase, testKnex } from '../support/hooks.js';

const NOT_VALID = 'Given token not valid for any token type';

describe('token attack matrix', () => {
  it("answers every forged, confused or malformed token with 401 and simplejwt's body, never 500", async () => {
    const user = await makeUser();
    const { access, refresh } = await tokensFor(user);
    const claims = jwt.decode(access) as jwt.JwtPayload;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    const without = (key: string) => Object.fromEntries(Object.entries(claims).filter(([k]) => k !== key));
    const tampered = access.split('.');
    tampered[1] = Buffer.from(JSON.stringify({ ...claims, user_id: claims.user_id + 1 })).toString('base64url');
    const cases: Record<string, string> = {
      'alg none': jwt.sign(claims, '', { algorithm: 'none' }),
      'HS384 with the right key': jwt.sign(claims, TEST_SECRET_KEY, { algorithm: 'HS384' }),
      'RS256 with a foreign key': jwt.sign(claims, privateKey, { algorithm: 'RS256' }),
      'HS256 keyed with a public key (confusion)': jwt.sign(
        claims,
        publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ),
      'wrong signature': jwt.sign(claims, 'x'.repeat(48)),
      'tampered payload': tampered.join('.'),
      'refresh used as access': refresh,
      expired: jwt.sign({ ...claims, exp: now - 1 }, TEST_SECRET_KEY),
      'not yet valid': jwt.sign({ ...claims, nbf: now + 3600 }, TEST_SECRET_KEY),
      'missing jti': jwt.sign(without('jti'), TEST_SECRET_KEY),
      'missing user_id': jwt.sign(without('user_id'), TEST_SECRET_KEY),
      'missing token_type': jwt.sign(without('token_type'), TEST_SECRET_KEY),
      'string user_id': jwt.sign({ ...claims, user_id: '1 OR 1=1' }, TEST_SECRET_KEY),
      garbage: '!!!not-a-token!!!',
      'three dots': '...',
      oversized: `${access}${'A'.repeat(12_000)}`,
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await api().get('/api/users/me/').set('Authorization', `Bearer ${token}`);
      expect(res.status, name).to.equal(401);
      expect(res.body.detail, name).to.equal(NOT_VALID);
      expect(res.body.code, name).to.equal('token_not_valid');
      const viaCookie = await api()
        .get('/api/users/me/')
        .set('Cookie', `access_token=${encodeURIComponent(token)}`);
      expect(viaCookie.status, `${name} (cookie)`).to.equal(401);
      const atRefresh = await api().post('/api/token/refresh/').send({ refresh: token });
      expect(atRefresh.status, `${name} (refresh)`).to.equal(name === 'refresh used as access' ? 200 : 401);
    }
  });

  it('answers a malformed Authorization header with 401', async () => {
    const res = await api().get('/api/users/me/').set('Authorization', 'Bearer a b').expect(401);
    expect(res.body).to.deep.equal({
      detail: 'Authorization header must contain two space-delimited values',
      code: 'bad_authorization_header',
    });
  });
});

describe('revocation across app instances', () => {
  it('refuses, in a second instance that has the principal cached, a session blacklisted through the first', async () => {
    const user = await makeUser();
    const { access, refresh } = await tokensFor(user);
    // Two instances as in production: each its own principal cache (a long TTL: only a notice can
    // make it forget), each listening for the database's notices on its own connection.
    const instance = async () => {
      const principals = new PrincipalCache({ ttlMs: 600_000 });
      const notices = new NoticeHub();
      notices.subscribe(principals);
      const listener = await testDatabase().listen(NOTICE_CHANNEL, notices);
      return {
        client: supertest(createApp({ ...testDeps({ CACHE_TTL: '10m' }), principals, notices }).app.callback()),
        listener,
      };
    };
    const first = await instance();
    const second = await instance();
    let principalQueries = 0;
    const onQuery = (query: { sql: string }) => void (query.sql.includes('session_until') && principalQueries++);
    testKnex().on('query', onQuery);
    try {
      await second.client.get('/api/users/me/').set('Authorization', `Bearer ${access}`).expect(200);
      const afterWarm = principalQueries;
      await second.client.get('/api/users/me/').set('Authorization', `Bearer ${access}`).expect(200);
      expect(principalQueries, 'the second instance answers from its cache').to.equal(afterWarm);
      await first.client.post('/api/token/blacklist/').send({ refresh }).expect(200);
      await second.listener.sync();
      await second.client.get('/api/users/me/').set('Authorization', `Bearer ${access}`).expect(401);
    } finally {
      testKnex().removeListener('query', onQuery);
      await first.listener.close();
      await second.listener.close();
    }
  });
});

describe('throttling', () => {
  it("limits login attempts per client address with DRF's 429 and Retry-After", async () => {
    await makeUser({ username: 'alice' });
    const client = api({ THROTTLE_LOGIN_PER_IP: '3/m' });
    for (let i = 0; i < 3; i++)
      await client.post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(200);
    const res = await client.post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(429);
    expect(res.body.detail).to.match(/^Request was throttled\. Expected available in \d+ seconds?\.$/);
    expect(Number(res.headers['retry-after'])).to.be.within(1, 60);
  });

  it('limits failed logins per username across addresses, and a success clears them', async () => {
    await makeUser({ username: 'alice' });
    const env = { THROTTLE_LOGIN_PER_USER: '2/h', TRUST_PROXY: '1' };
    const client = api(env);
    const attempt = (ip: string, password: string) =>
      client.post('/api/token/').set('X-Forwarded-For', ip).send({ username: 'Alice'.toLowerCase(), password });
    await attempt('10.0.0.1', 'wrong-1').expect(401);
    await attempt('10.0.0.1', PASSWORD).expect(200);
    await attempt('10.0.0.2', 'wrong-2').expect(401);
    await attempt('10.0.0.3', 'wrong-3').expect(401);
    const blocked = await attempt('10.0.0.4', PASSWORD).expect(429);
    expect(Number(blocked.headers['retry-after'])).to.be.greaterThan(60);
  });

  it('takes the client address from X-Forwarded-For only with TRUST_PROXY', async () => {
    await makeUser({ username: 'alice' });
    const untrusted = api({ THROTTLE_LOGIN_PER_IP: '1/m' });
    await untrusted
      .post('/api/token/')
      .set('X-Forwarded-For', '10.0.0.1')
      .send({ username: 'alice', password: PASSWORD })
      .expect(200);
    await untrusted
      .post('/api/token/')
      .set('X-Forwarded-For', '10.0.0.2')
      .send({ username: 'alice', password: PASSWORD })
      .expect(429);
    const trusted = api({ THROTTLE_LOGIN_PER_IP: '1/m', TRUST_PROXY: '1' });
    await trusted
      .post('/api/token/')
      .set('X-Forwarded-For', '10.0.1.1')
      .send({ username: 'alice', password: PASSWORD })
      .expect(200);
    await trusted
      .post('/api/token/')
      .set('X-Forwarded-For', '10.0.1.2')
      .send({ username: 'alice', password: PASSWORD })
      .expect(200);
  });

  it('behind one proxy, the address the proxy appended counts: entries a client writes itself neither escape nor move the bucket', async () => {
    await makeUser({ username: 'alice' });
    const client = api({ THROTTLE_LOGIN_PER_IP: '2/m', TRUST_PROXY: '1' });
    // nginx appends the address it saw ($proxy_add_x_forwarded_for) to what the client sent.
    const login = (forwarded: string) =>
      client.post('/api/token/').set('X-Forwarded-For', forwarded).send({ username: 'alice', password: PASSWORD });
    await login('1.1.1.1, 10.0.2.1').expect(200);
    await login('2.2.2.2, 10.0.2.1').expect(200);
    await login('3.3.3.3, 10.0.2.1').expect(429);
    await login('10.0.2.1').expect(429);
    // The spoofed entry is not charged to the address it names.
    await login('10.0.2.2').expect(200);
    await login('10.0.2.1, 10.0.2.2').expect(200);
    await login('10.0.2.2').expect(429);
  });

  it('behind two proxies, the address the outer one appended counts', async () => {
    await makeUser({ username: 'alice' });
    const client = api({ THROTTLE_LOGIN_PER_IP: '1/m', TRUST_PROXY: '2' });
    const login = (forwarded: string) =>
      client.post('/api/token/').set('X-Forwarded-For', forwarded).send({ username: 'alice', password: PASSWORD });
    await login('9.9.9.9, 10.0.3.1, 192.168.0.2').expect(200);
    await login('8.8.8.8, 10.0.3.1, 192.168.0.3').expect(429);
    await login('10.0.3.2, 192.168.0.2').expect(200);
  });

  it('limits authenticated requests per user and anonymous ones per address, never the health check', async () => {
    const user = await makeUser();
    const authorization = await bearer(user);
    const users = api({ THROTTLE_USER: '2/m' });
    await users.get('/api/users/me/').set('Authorization', authorization).expect(200);
    await users.get('/api/users/me/').set('Authorization', authorization).expect(200);
    await users.get('/api/users/me/').set('Authorization', authorization).expect(429);
    const anon = api({ THROTTLE_ANON: '1/m' });
    await anon.post('/api/token/verify/').send({ token: 'x' }).expect(401);
    await anon.post('/api/token/verify/').send({ token: 'x' }).expect(429);
    for (let i = 0; i < 3; i++) await anon.get('/api/health/').expect(200);
    // A request with credentials is counted per user, not as anonymous, whichever way it carries them.
    await anon.get('/api/users/me/').set('Authorization', authorization).expect(200);
    await anon
      .get('/api/users/me/')
      .set('Cookie', `access_token=${authorization.slice('Bearer '.length)}`)
      .expect(200);
  });

  it('counts a request with credentials that do not authenticate as anonymous', async () => {
    const client = api({ THROTTLE_ANON: '3/m', THROTTLE_USER: '1000/m' });
    for (let i = 0; i < 3; i++) await client.get('/api/users/me/').set('Authorization', 'Bearer junk').expect(401);
    const res = await client.get('/api/users/me/').set('Authorization', 'Bearer junk').expect(429);
    expect(res.body).to.have.keys('detail');
    // The address has used its anonymous rate, whatever the next request carries that fails.
    await client.get('/api/users/me/').set('Cookie', 'access_token=junk').expect(429);
    await client.get('/api/users/me/').set('Authorization', 'Bearer').expect(429);
  });

  it('counts anonymous requests to the routes that need no authentication, credentials or not', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const routes: Array<[string, (c: ReturnType<typeof api>) => supertest.Test]> = [
      ['verify', (c) => c.post('/api/token/verify/').send({ token: 'x' })],
      ['refresh', (c) => c.post('/api/token/refresh/').send({ refresh: 'x' })],
      ['media', (c) => c.get('/api/media/files/none/?expires=1&signature=x')],
    ];
    // A server database keeps the counts in its throttle table, shared by every app instance.
    const forgetCounts = async () =>
      (await testKnex().schema.hasTable('throttle')) && (await testKnex()('throttle').delete());
    for (const [name, request] of routes) {
      await forgetCounts();
      const client = api({ THROTTLE_ANON: '2/m' });
      for (let i = 0; i < 2; i++)
        expect((await request(client).set('Authorization', 'Bearer junk')).status, name).to.not.equal(429);
      expect((await request(client).set('Authorization', 'Bearer junk')).status, name).to.equal(429);
    }
    // A refresh with a live refresh token is still anonymous: it has no access token.
    await forgetCounts();
    const client = api({ THROTTLE_ANON: '1/m' });
    await client.post('/api/token/refresh/').send({ refresh }).expect(200);
    await client.post('/api/token/refresh/').send({ refresh }).expect(429);
  });

  it('counts an authenticated request per user on routes that need no authentication too', async () => {
    const user = await makeUser();
    const authorization = await bearer(user);
    const client = api({ THROTTLE_ANON: '1/m', THROTTLE_USER: '2/m' });
    await client.post('/api/token/verify/').set('Authorization', authorization).send({ token: 'x' }).expect(401);
    await client.post('/api/token/verify/').set('Authorization', authorization).send({ token: 'x' }).expect(401);
    await client.get('/api/users/me/').set('Authorization', authorization).expect(429);
    // Its address still has its anonymous request.
    await client.post('/api/token/verify/').send({ token: 'x' }).expect(401);
  });

  it('counts across app instances sharing the store', async function () {
    if (!process.env.TEST_DATABASE_URL) this.skip(); // embedded mode is one process, counted in memory
    await makeUser({ username: 'alice' });
    const env = { THROTTLE_LOGIN_PER_IP: '2/m' };
    await api(env).post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(200);
    await api(env).post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(200);
    await api(env).post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(429);
  });

  it('counts in Redis when REDIS_URL is set, across instances', async function () {
    const redis = new Redis('redis://127.0.0.1:6379', {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    try {
      await redis.connect();
    } catch {
      redis.disconnect();
      if (process.env.CI === 'true') throw new Error('Redis is not reachable on 127.0.0.1:6379');
      return this.skip();
    }
    try {
      await makeUser({ username: 'alice' });
      const prefix = `t${Date.now()}`;
      const deps = () => ({
        ...testDeps({ THROTTLE_LOGIN_PER_IP: '2/m', REDIS_URL: 'redis://127.0.0.1:6379' }),
        redis,
      });
      const keys = await redis.keys('throttle:login-ip*');
      if (keys.length) await redis.del(...keys);
      for (const status of [200, 200, 429]) {
        await supertest(createApp(deps()).app.callback())
          .post('/api/token/')
          .set('X-Test', prefix)
          .send({ username: 'alice', password: PASSWORD })
          .expect(status);
      }
      expect(await redis.keys('throttle:login-ip*')).to.have.length.greaterThan(0);
    } finally {
      const keys = await redis.keys('throttle:*');
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });
});

describe('no account enumeration', () => {
  it('spends comparable time on an unknown user as on a wrong password', async () => {
    await makeUser({ username: 'alice' });
    const client = api();
    const time = async (username: string) => {
      const started = performance.now();
      await client.post('/api/token/').send({ username, password: 'wrong-password-1' }).expect(401);
      return performance.now() - started;
    };
    await time('nobody'); // the dummy hash is computed once, on first use
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time('alice'));
      unknown.push(await time(`nobody${i}`));
    }
    // Without the dummy hash the unknown user answers in a fraction of a millisecond.
    expect(median(unknown)).to.be.greaterThan(median(known) * 0.5);
  });
});

describe('CSRF and CORS', () => {
  it('lets Bearer-authenticated unsafe requests through from any origin', async () => {
    const user = await makeUser();
    await api()
      .patch('/api/users/me/')
      .set('Authorization', await bearer(user))
      .set('Origin', 'https://evil.example')
      .send({ first_name: 'x' })
      .expect(200);
  });

  it("accepts a cookie-authenticated request from the API's own origin, and by Referer", async () => {
    const user = await makeUser();
    const { access } = await tokensFor(user);
    await api()
      .patch('/api/users/me/')
      .set('Host', 'api.example.com')
      .set('Origin', 'http://api.example.com')
      .set('Cookie', `access_token=${access}`)
      .send({})
      .expect(200);
    await api()
      .patch('/api/users/me/')
      .set('Referer', 'http://localhost:5173/profile')
      .set('Cookie', `access_token=${access}`)
      .send({})
      .expect(200);
    await api()
      .patch('/api/users/me/')
      .set('Referer', 'https://evil.example/x')
      .set('Cookie', `access_token=${access}`)
      .send({})
      .expect(403);
  });
});

describe('response headers', () => {
  it('sends security headers and no X-Powered-By on every response', async () => {
    for (const res of [
      await api().get('/api/health/'),
      await api().get('/api/nope/'),
      await api().post('/api/token/').send({}),
    ]) {
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
      expect(res.headers).to.have.property('content-security-policy');
      expect(res.headers).to.have.property('x-request-id');
      expect(res.headers).not.to.have.property('x-powered-by');
      expect(res.headers, "HSTS is nginx's").not.to.have.property('strict-transport-security');
    }
  });
});

describe('deactivation', () => {
  it('kills the refresh token too', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    await testKnex()('auth_user').where({ id: user.id }).update({ is_active: false });
    await api().post('/api/token/refresh/').send({ refresh }).expect(401);
  });
});

describe('login usernames: NFKC form and a bounded length', () => {
  const NO_ACCOUNT = { detail: 'No active account found with the given credentials' };

  /** A limiter that records every key it is asked about, and never refuses. */
  function recordingLimiter(keys: string[]) {
    const record = async (key: string) => {
      keys.push(key);
      return null;
    };
    return { points: 5, consume: record, get: record, delete: record } as unknown as RateLimiterAbstract;
  }

  it('looks the NFKC form up: fullwidth and Kelvin-sign spellings log into their accounts, case still counts', async () => {
    await makeUser({ username: 'admin' });
    await makeUser({ username: 'Kelvin' });
    const client = api();
    for (const [typed, account] of [
      ['ａｄｍｉｎ', 'admin'],
      ['\u212Aelvin', 'Kelvin'],
    ]) {
      const login = await client.post('/api/token/').send({ username: typed, password: PASSWORD }).expect(200);
      const me = await client.get('/api/users/me/').set('Authorization', `Bearer ${login.body.access}`).expect(200);
      expect(me.body.username, typed).to.equal(account);
    }
    // As Django's ModelBackend, the lookup is exact once normalised: another case is another name.
    const other = await client.post('/api/token/').send({ username: 'ADMIN', password: PASSWORD }).expect(401);
    expect(other.body).to.deep.equal(NO_ACCOUNT);
  });

  it('counts failed logins per username in NFKC form: no spelling escapes the rate', async () => {
    await makeUser({ username: 'admin' });
    const client = api({ THROTTLE_LOGIN_PER_USER: '2/h' });
    await client.post('/api/token/').send({ username: 'admin', password: 'wrong-1' }).expect(401);
    await client.post('/api/token/').send({ username: 'ａｄｍｉｎ', password: 'wrong-2' }).expect(401);
    await client.post('/api/token/').send({ username: 'ａｄｍｉｎ', password: PASSWORD }).expect(429);
  });

  it('answers a 1 MB username with the ordinary 401, at once, keying no throttle on it', async () => {
    const client = api({ THROTTLE_LOGIN_PER_USER: '5/m', THROTTLE_LOGIN_PER_IP: '100/m' });
    const started = performance.now();
    for (const username of ['a'.repeat(1_000_000), '\uFDFA'.repeat(300_000)]) {
      const res = await client.post('/api/token/').send({ username, password: PASSWORD }).expect(401);
      expect(res.body).to.deep.equal(NO_ACCOUNT);
    }
    expect(performance.now() - started).to.be.below(10_000);
    if (process.env.TEST_DATABASE_URL) {
      // On a server database the counts are rows: the address's, and nothing keyed on the name
      // (in embedded mode they are in memory: the next test watches the keys themselves).
      const keys: string[] = await testKnex()('throttle').pluck('key');
      expect(keys.filter((key) => key.startsWith('throttle:login-user'))).to.deep.equal([]);
      expect(keys.filter((key) => key.startsWith('throttle:login-ip'))).to.have.length(1);
    }
  });

  it('keys the per-username rate on a name that an account can have only', async () => {
    const keys: string[] = [];
    const limiter = recordingLimiter(keys);
    const client = {
      throttles: { loginPerIp: limiter, loginPerUser: limiter } as unknown as Throttles,
      ip: '10.9.9.9',
    };
    const login = (username: string) => throttledLogin(client, testDeps(), { username, password: 'wrong-password-1' });
    for (const username of ['x'.repeat(151), 'x'.repeat(1_201), '\uFB03'.repeat(51)]) {
      keys.length = 0;
      const refused = await login(username).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(AuthenticationFailedError);
      // The address is counted; the name is not even looked at.
      expect(keys, username.slice(0, 10)).to.deep.equal(['10.9.9.9']);
    }
    // 150 decomposed accents typed are 75 letters stored: within the bound, keyed as stored.
    keys.length = 0;
    await login('e\u0301'.repeat(75)).catch(() => undefined);
    expect(keys.slice(0, 2)).to.deep.equal(['10.9.9.9', '\u00E9'.repeat(75)]);
    // A name that lower-casing lengthens past 150 (İ is two characters in lower case) is keyed by its hash.
    keys.length = 0;
    await login('\u0130'.repeat(150)).catch(() => undefined);
    expect(keys[1]).to.match(/^sha256:[0-9a-f]{64}$/);
  });
});
