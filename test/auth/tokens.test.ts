import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { signToken, TokenError, verifyToken } from '../../src/auth/tokens.js';
import { api, bearer, fromFrontend, makeUser, parseSetCookies, PASSWORD, tokensFor } from '../support/app.js';
import { TEST_SECRET_KEY } from '../support/config.js';
import { testKnex } from '../support/hooks.js';

const INVALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' };
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };

describe('POST /api/token/', () => {
  it('returns refresh and access tokens in simplejwt layout', async () => {
    const user = await makeUser({ username: 'alice' });
    const res = await api().post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(200);
    expect(res.body).to.have.all.keys('refresh', 'access');
    const access = jwt.verify(res.body.access, TEST_SECRET_KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    const refresh = jwt.verify(res.body.refresh, TEST_SECRET_KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(access).to.include({ token_type: 'access', user_id: user.id });
    expect(refresh).to.include({ token_type: 'refresh', user_id: user.id });
    for (const claims of [access, refresh]) {
      expect(claims).to.include.keys('exp', 'iat', 'jti', 'user_id', 'token_type');
      expect(claims.jti).to.match(/^[0-9a-f]{32}$/);
    }
    expect(access.exp! - access.iat!).to.equal(300);
    expect(refresh.exp! - refresh.iat!).to.equal(86400);
  });

  it('sets httpOnly access_token and refresh_token cookies with Path=/ and Max-Age = lifetime', async () => {
    await makeUser({ username: 'alice' });
    const res = await api({ COOKIE_SAMESITE: 'Strict', COOKIE_SECURE: 'true', ACCESS_TOKEN_LIFETIME: '10m' })
      .post('/api/token/')
      .send({ username: 'alice', password: PASSWORD })
      .expect(200);
    const cookies = parseSetCookies(res.headers);
    const access = cookies.get('access_token')!;
    const refresh = cookies.get('refresh_token')!;
    expect(access.value).to.equal(res.body.access);
    expect(refresh.value).to.equal(res.body.refresh);
    expect(access.attributes.get('max-age')).to.equal('600');
    expect(refresh.attributes.get('max-age')).to.equal('86400');
    for (const cookie of [access, refresh]) {
      expect(cookie.attributes.has('httponly')).to.equal(true);
      expect(cookie.attributes.has('secure')).to.equal(true);
      expect(cookie.attributes.get('samesite')).to.equal('Strict');
      expect(cookie.attributes.get('path')).to.equal('/');
    }
  });

  it('updates last_login', async () => {
    const user = await makeUser({ username: 'alice' });
    expect(user.last_login).to.equal(null);
    await api().post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(200);
    const row = await testKnex()('auth_user').where({ id: user.id }).first('last_login');
    expect(row.last_login).to.be.instanceOf(Date);
  });

  it('answers the same 401 for a wrong password, an unknown user and an inactive user', async () => {
    await makeUser({ username: 'alice' });
    await makeUser({ username: 'sleepy', is_active: false });
    // DRF's AuthenticationFailed with a plain-string detail, as simplejwt's serializer raises it: no `code`.
    const expected = { detail: 'No active account found with the given credentials' };
    for (const body of [
      { username: 'alice', password: 'wrong-password-1' },
      { username: 'nobody', password: PASSWORD },
      { username: 'sleepy', password: PASSWORD },
    ]) {
      const res = await api().post('/api/token/').send(body).expect(401);
      expect(res.body).to.deep.equal(expected);
    }
  });

  it('requires username and password, with DRF messages', async () => {
    const res = await api().post('/api/token/').send({ username: '' }).expect(400);
    expect(res.body).to.deep.equal({
      username: ['This field may not be blank.'],
      password: ['This field is required.'],
    });
  });
});

describe('authentication of API requests', () => {
  it('accepts a Bearer access token', async () => {
    const user = await makeUser({ username: 'alice' });
    const res = await api()
      .get('/api/users/me/')
      .set('Authorization', await bearer(user))
      .expect(200);
    expect(res.body.username).to.equal('alice');
  });

  it('accepts the access_token cookie from the login answer as it is', async () => {
    await makeUser({ username: 'alice' });
    const login = await api().post('/api/token/').send({ username: 'alice', password: PASSWORD });
    const res = await api().get('/api/users/me/').set('Cookie', `access_token=${login.body.access}`).expect(200);
    expect(res.body.username).to.equal('alice');
  });

  it('answers no credentials with 401 and WWW-Authenticate', async () => {
    const res = await api().get('/api/users/me/').expect(401);
    expect(res.body).to.deep.equal({ detail: 'Authentication credentials were not provided.' });
    expect(res.headers['www-authenticate']).to.equal('Bearer realm="api"');
  });

  it('treats another scheme as no credentials', async () => {
    const res = await api().get('/api/users/me/').set('Authorization', 'Token abc').expect(401);
    expect(res.body).to.deep.equal({ detail: 'Authentication credentials were not provided.' });
  });

  it("answers a bad token with simplejwt's body", async () => {
    const res = await api().get('/api/users/me/').set('Authorization', 'Bearer not-a-token').expect(401);
    expect(res.body).to.deep.equal({
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
    });
  });

  it('refuses a refresh token used as an access token, alg none, a foreign key and an expired token', async () => {
    const user = await makeUser();
    const { refresh, access } = await tokensFor(user);
    const claims = jwt.decode(access) as jwt.JwtPayload;
    const forged = [
      refresh,
      jwt.sign(claims, '', { algorithm: 'none' }),
      jwt.sign(claims, 'another-secret-key-of-sufficient-length!!'),
      jwt.sign(claims, TEST_SECRET_KEY, { algorithm: 'HS384' }),
      jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_SECRET_KEY),
      `${access.slice(0, -2)}xx`,
    ];
    for (const token of forged) {
      const res = await api().get('/api/users/me/').set('Authorization', `Bearer ${token}`).expect(401);
      expect(res.body.code).to.equal('token_not_valid');
    }
  });

  it('refuses an access token it accepted before, once it expires, with another key, or as a refresh token', async () => {
    const user = await makeUser();
    const { sid } = jwt.decode((await tokensFor(user)).access) as { sid: string };
    const settings = { secretKey: TEST_SECRET_KEY, accessLifetime: 300, refreshLifetime: 86_400 };
    // Expires at the start of the next second but one.
    const { token } = signToken(
      settings,
      'access',
      { userId: user.id, sessionId: sid },
      Math.floor(Date.now() / 1000) + 2 - 300,
    );
    await api().get('/api/users/me/').set('Authorization', `Bearer ${token}`).expect(200);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${token}`).expect(200); // known now

    expect(() =>
      verifyToken({ ...settings, secretKey: 'another-secret-key-of-sufficient-length!!' }, token, 'access'),
    ).to.throw(TokenError, 'Token is invalid');
    expect(() => verifyToken(settings, token, 'refresh')).to.throw(TokenError, 'Token has wrong type');

    await new Promise((resolve) => setTimeout(resolve, 2_050 - (Date.now() % 1000)));
    const expired = await api().get('/api/users/me/').set('Authorization', `Bearer ${token}`).expect(401);
    expect(expired.body.code).to.equal('token_not_valid');
    expect(() => verifyToken(settings, token, 'access')).to.throw(TokenError, 'Token is expired');
  });

  it('refuses the token of a user deactivated since, at once', async () => {
    const user = await makeUser();
    const authorization = await bearer(user);
    await testKnex()('auth_user').where({ id: user.id }).update({ is_active: false });
    const res = await api().get('/api/users/me/').set('Authorization', authorization).expect(401);
    expect(res.body).to.deep.equal({ detail: 'User is inactive', code: 'user_inactive' });
  });

  it('refuses the token of a deleted user', async () => {
    const user = await makeUser();
    const authorization = await bearer(user);
    await testKnex()('auth_user').where({ id: user.id }).delete();
    const res = await api().get('/api/users/me/').set('Authorization', authorization).expect(401);
    expect(res.body).to.deep.equal({ detail: 'User not found', code: 'user_not_found' });
  });
});

describe('POST /api/token/refresh/', () => {
  it('rotates: a new pair, cookies set, the old refresh token dead at once', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const res = await api().post('/api/token/refresh/').send({ refresh }).expect(200);
    expect(res.body).to.have.all.keys('access', 'refresh');
    expect(res.body.refresh).not.to.equal(refresh);
    const cookies = parseSetCookies(res.headers);
    expect(cookies.get('access_token')!.value).to.equal(res.body.access);
    expect(cookies.get('refresh_token')!.value).to.equal(res.body.refresh);

    const reuse = await api().post('/api/token/refresh/').send({ refresh }).expect(401);
    expect(reuse.body).to.deep.equal(BLACKLISTED);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${res.body.access}`).expect(200);
    await api().post('/api/token/refresh/').send({ refresh: res.body.refresh }).expect(200);
  });

  it('lets exactly one of two concurrent uses of a refresh token win', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const results = await Promise.all([1, 2, 3].map(() => api().post('/api/token/refresh/').send({ refresh })));
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 401, 401]);
  });

  it('answers only an access token without rotation', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const env = { ROTATE_REFRESH_TOKENS: 'false' };
    const res = await api(env).post('/api/token/refresh/').send({ refresh }).expect(200);
    expect(res.body).to.have.all.keys('access');
    await api(env).post('/api/token/refresh/').send({ refresh }).expect(200);
  });

  it('keeps the old refresh token usable when rotating without blacklist-after-rotation', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const env = { BLACKLIST_AFTER_ROTATION: 'false' };
    await api(env).post('/api/token/refresh/').send({ refresh }).expect(200);
    await api(env).post('/api/token/refresh/').send({ refresh }).expect(200);
  });

  it('reads the refresh token from its cookie when the body has none, from an allowed origin', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const res = await api()
      .post('/api/token/refresh/')
      .set(fromFrontend)
      .set('Cookie', `refresh_token=${refresh}`)
      .send({})
      .expect(200);
    expect(res.body).to.have.all.keys('access', 'refresh');
  });

  it('refuses the cookie from a foreign origin or none (CSRF)', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const foreign = await api()
      .post('/api/token/refresh/')
      .set('Origin', 'https://evil.example')
      .set('Cookie', `refresh_token=${refresh}`)
      .send({})
      .expect(403);
    expect(foreign.body.detail).to.match(/^CSRF Failed/);
    await api().post('/api/token/refresh/').set('Cookie', `refresh_token=${refresh}`).send({}).expect(403);
  });

  it('asks for the field when neither body nor cookie has a token', async () => {
    const res = await api().post('/api/token/refresh/').send({}).expect(400);
    expect(res.body).to.deep.equal({ refresh: ['This field is required.'] });
  });

  it('refuses an access token, garbage and the refresh token of an inactive user', async () => {
    const user = await makeUser();
    const { refresh, access } = await tokensFor(user);
    expect((await api().post('/api/token/refresh/').send({ refresh: access }).expect(401)).body).to.deep.equal(INVALID);
    expect((await api().post('/api/token/refresh/').send({ refresh: 'garbage' }).expect(401)).body).to.deep.equal(
      INVALID,
    );
    await testKnex()('auth_user').where({ id: user.id }).update({ is_active: false });
    const inactive = await api().post('/api/token/refresh/').send({ refresh }).expect(401);
    expect(inactive.body).to.deep.equal({ detail: 'No active account found for the given token.' });
    expect(inactive.headers['www-authenticate']).to.equal('Bearer realm="api"');
  });
});

describe('POST /api/token/verify/', () => {
  it('answers {} for a valid access or refresh token', async () => {
    const { access, refresh } = await tokensFor(await makeUser());
    expect((await api().post('/api/token/verify/').send({ token: access }).expect(200)).body).to.deep.equal({});
    expect((await api().post('/api/token/verify/').send({ token: refresh }).expect(200)).body).to.deep.equal({});
  });

  it('answers 401 for an invalid or blacklisted token, 400 without one', async () => {
    const { refresh } = await tokensFor(await makeUser());
    expect((await api().post('/api/token/verify/').send({ token: 'x.y.z' }).expect(401)).body).to.deep.equal(INVALID);
    await api().post('/api/token/blacklist/').send({ refresh }).expect(200);
    expect((await api().post('/api/token/verify/').send({ token: refresh }).expect(401)).body).to.deep.equal(
      BLACKLISTED,
    );
    expect((await api().post('/api/token/verify/').send({}).expect(400)).body).to.deep.equal({
      token: ['This field is required.'],
    });
  });
});

describe('POST /api/token/blacklist/ (logout)', () => {
  it("blacklists the refresh token, clears both cookies, and kills the session's access token at once", async () => {
    const user = await makeUser();
    const { refresh, access } = await tokensFor(user);
    const other = await tokensFor(user);
    const res = await api().post('/api/token/blacklist/').send({ refresh }).expect(200);
    expect(res.body).to.deep.equal({});
    const cookies = parseSetCookies(res.headers);
    for (const name of ['access_token', 'refresh_token']) {
      expect(cookies.get(name)!.value).to.equal('');
      expect(cookies.get(name)!.attributes.get('max-age')).to.equal('0');
    }
    await api().post('/api/token/refresh/').send({ refresh }).expect(401);
    const me = await api().get('/api/users/me/').set('Authorization', `Bearer ${access}`).expect(401);
    expect(me.body.messages[0].message).to.equal('Token is blacklisted');
    // Another session of the same user is not affected.
    await api().get('/api/users/me/').set('Authorization', `Bearer ${other.access}`).expect(200);
  });

  it('logs out with the refresh cookie from the frontend', async () => {
    const { refresh } = await tokensFor(await makeUser());
    await api()
      .post('/api/token/blacklist/')
      .set(fromFrontend)
      .set('Cookie', `refresh_token=${refresh}`)
      .send({})
      .expect(200);
    await api().post('/api/token/refresh/').send({ refresh }).expect(401);
  });

  it('answers 401 for a token already blacklisted', async () => {
    const { refresh } = await tokensFor(await makeUser());
    await api().post('/api/token/blacklist/').send({ refresh }).expect(200);
    expect((await api().post('/api/token/blacklist/').send({ refresh }).expect(401)).body).to.deep.equal(BLACKLISTED);
  });

  it('records nothing and checks no session with TOKEN_BLACKLIST=false', async () => {
    const env = { TOKEN_BLACKLIST: 'false' };
    const { refresh, access } = await tokensFor(await makeUser());
    await api(env).post('/api/token/blacklist/').send({ refresh }).expect(200);
    expect(await testKnex()('token_blacklist_blacklistedtoken').count({ n: '*' }).first()).to.satisfy(
      (r: { n: unknown }) => Number(r.n) === 0,
    );
    await api(env).get('/api/users/me/').set('Authorization', `Bearer ${access}`).expect(200);
  });
});
