import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { rotate, type Rotation } from '../../src/auth/rotation.js';
import { obtainTokenPair, refreshTokens } from '../../src/auth/service.js';
import { InvalidTokenError } from '../../src/errors.js';
import { registry } from '../../src/metrics.js';
import { api, makeUser, parseSetCookies, PASSWORD, testDeps, tokensFor } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };
const EXPIRED = { detail: 'Token is invalid or expired', code: 'token_not_valid' };
const OUTSTANDING = 'token_blacklist_outstandingtoken';
const DAY = 86_400;

/** The rotation statements `knex` sends while `work` runs. */
async function rotationStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const knex = testKnex();
  let statements = 0;
  const listener = (query: { sql: string }) => {
    if (query.sql.includes('WITH ORDINALITY')) statements += 1;
  };
  knex.on('query', listener);
  try {
    return { result: await work(), statements };
  } finally {
    knex.off('query', listener);
  }
}

async function refreshTokensOf(count: number): Promise<string[]> {
  const user = await makeUser();
  const deps = testDeps();
  const pairs = [];
  for (let i = 0; i < count; i += 1)
    pairs.push(await obtainTokenPair(deps, { username: user.username, password: PASSWORD }));
  return pairs.map((pair) => pair.refresh);
}

async function batchSizes(): Promise<{ count: number; sum: number }> {
  const metric = await registry.getSingleMetric('backoffice_token_rotation_batch_size')!.get();
  const value = (name: string) =>
    metric.values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
  return {
    count: value('backoffice_token_rotation_batch_size_count'),
    sum: value('backoffice_token_rotation_batch_size_sum'),
  };
}

describe('refresh rotation batches', () => {
  it('checks and rotates concurrent refreshes in fewer statements than refreshes', async () => {
    const tokens = await refreshTokensOf(12);
    const deps = testDeps();
    const before = await batchSizes();
    const { result, statements } = await rotationStatements(() =>
      Promise.all(tokens.map((refresh) => refreshTokens(deps, refresh))),
    );
    expect(result.every((pair) => typeof pair.refresh === 'string')).to.equal(true);
    expect(new Set(result.map((pair) => pair.refresh)).size).to.equal(12);
    // Two statements go at once; the ten refreshes that arrive meanwhile share the next.
    expect(statements).to.be.at.most(3);
    const after = await batchSizes();
    expect(after.sum - before.sum).to.equal(12);
    expect(after.count - before.count).to.equal(statements);

    // Every old token was blacklisted, every successor recorded and usable.
    const reused = await Promise.allSettled(tokens.map((refresh) => refreshTokens(deps, refresh)));
    expect(reused.map((r) => r.status)).to.deep.equal(tokens.map(() => 'rejected'));
    const next = await Promise.all(result.map((pair) => refreshTokens(deps, pair.refresh!)));
    expect(next).to.have.length(12);
  });

  it('lets one of many uses of a refresh token within one batch win', async () => {
    const [refresh, ...others] = await refreshTokensOf(3);
    const deps = testDeps();
    // The first two statements go at once, with other tokens; the six uses of the token that
    // arrive meanwhile share the next statement.
    const attempts = [...others, ...Array<string>(6).fill(refresh!)];
    const { result, statements } = await rotationStatements(() =>
      Promise.allSettled(attempts.map((token) => refreshTokens(deps, token))),
    );
    expect(statements).to.be.at.most(3);
    const uses = result.slice(2);
    expect(uses.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    for (const lost of uses.filter((r) => r.status === 'rejected')) {
      expect(lost.reason).to.be.instanceOf(InvalidTokenError);
      expect((lost.reason as InvalidTokenError).message).to.equal('Token is blacklisted');
    }
    expect(result.slice(0, 2).map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled']);
  });

  it('fails only the rotation the database refuses, not the others of its statement', async () => {
    const tokens = await refreshTokensOf(4);
    const knex = testKnex();
    const rules = { checkBlacklist: true, blacklistOld: false, issue: false, sessionMaxLifetime: 86_400 };
    const spend = (jti: string, userId: number): Rotation => ({
      jti,
      userId,
      newJti: '',
      newToken: '',
      createdAt: new Date(0),
      expiresAt: new Date(0),
    });
    const claims = tokens.map((token) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()));
    // A user id beyond PostgreSQL's integer fails the whole statement it travels in.
    const rotations = [
      spend(claims[0].jti, claims[0].user_id),
      spend(claims[1].jti, claims[1].user_id),
      spend(claims[2].jti, 2 ** 31),
      spend(claims[3].jti, claims[3].user_id),
    ];
    const outcomes = await Promise.allSettled(rotations.map((rotation) => rotate(knex, rules, rotation)));
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    for (const outcome of [outcomes[0], outcomes[1], outcomes[3]])
      expect(outcome)
        .to.have.property('value')
        .that.deep.include({ recorded: true, wasBlacklisted: false, active: true, issued: false, sessionEnded: false });
  });
});

/** How many refused reuses the counter holds for an outcome. */
async function reuses(outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('backoffice_token_reuse_refused_total')!.get();
  return metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

const claimsOf = (token: string) => jwt.decode(token) as { exp: number; iat: number; jti: string; sid: string };

/** A login (R1, A1) rotated once (R2, A2), through the API of an app with `env`. */
async function rotatedSession(env: Record<string, string> = {}) {
  const client = api(env);
  const user = await makeUser();
  const first = await tokensFor(user);
  const second = (await client.post('/api/token/refresh/').send({ refresh: first.refresh }).expect(200)).body as {
    access: string;
    refresh: string;
  };
  return { client, user, first, second };
}

describe('reuse of a rotated refresh token', () => {
  it('past the leeway (REFRESH_REUSE_LEEWAY=0) revokes the whole session: its successor and access tokens', async () => {
    const { client, first, second } = await rotatedSession({ REFRESH_REUSE_LEEWAY: '0' });
    const before = await reuses('revoked');
    const reuse = await client.post('/api/token/refresh/').send({ refresh: first.refresh }).expect(401);
    expect(reuse.body).to.deep.equal(BLACKLISTED);
    expect(await reuses('revoked')).to.equal(before + 1);

    const successor = await client.post('/api/token/refresh/').send({ refresh: second.refresh }).expect(401);
    expect(successor.body).to.deep.equal(BLACKLISTED);
    await client.get('/api/users/me/').set('Authorization', `Bearer ${second.access}`).expect(401);
    await client.get('/api/users/me/').set('Authorization', `Bearer ${first.access}`).expect(401);
    await client.post('/api/token/verify/').send({ token: second.refresh }).expect(401);
  });

  it('revokes once the rotation is older than the leeway (default 5 s)', async () => {
    const { client, first, second } = await rotatedSession();
    // The rotation happened 10 seconds ago, as far as the database knows.
    await testKnex()('token_blacklist_blacklistedtoken')
      .whereIn('token_id', testKnex()(OUTSTANDING).where('jti', claimsOf(first.refresh).jti).select('id'))
      .update({ blacklisted_at: testKnex().raw("now() - interval '10 seconds'") });
    await client.post('/api/token/refresh/').send({ refresh: first.refresh }).expect(401);
    await client.post('/api/token/refresh/').send({ refresh: second.refresh }).expect(401);
    await client.get('/api/users/me/').set('Authorization', `Bearer ${second.access}`).expect(401);
  });

  it('within the leeway refuses the reuse but keeps the session (two tabs racing)', async () => {
    const { client, first, second } = await rotatedSession({ REFRESH_REUSE_LEEWAY: '1m' });
    const before = await reuses('within_leeway');
    const reuse = await client.post('/api/token/refresh/').send({ refresh: first.refresh }).expect(401);
    expect(reuse.body).to.deep.equal(BLACKLISTED);
    expect(await reuses('within_leeway')).to.equal(before + 1);
    await client.get('/api/users/me/').set('Authorization', `Bearer ${second.access}`).expect(200);
    await client.post('/api/token/refresh/').send({ refresh: second.refresh }).expect(200);
  });

  it("ends only the reused token's session, not the user's other sessions", async () => {
    const { client, user, first } = await rotatedSession({ REFRESH_REUSE_LEEWAY: '0' });
    const other = await tokensFor(user);
    await client.post('/api/token/refresh/').send({ refresh: first.refresh }).expect(401);
    await client.get('/api/users/me/').set('Authorization', `Bearer ${other.access}`).expect(200);
    await client.post('/api/token/refresh/').send({ refresh: other.refresh }).expect(200);
  });

  it('counts a logged-out token presented again as session_ended, whatever the time', async () => {
    const client = api({ REFRESH_REUSE_LEEWAY: '0' });
    const { refresh } = await tokensFor(await makeUser());
    await client.post('/api/token/blacklist/').send({ refresh }).expect(200);
    const before = await reuses('session_ended');
    const reuse = await client.post('/api/token/refresh/').send({ refresh }).expect(401);
    expect(reuse.body).to.deep.equal(BLACKLISTED);
    expect(await reuses('session_ended')).to.equal(before + 1);
  });

  it('with no leeway, revokes the session on the losing use of two simultaneous ones', async () => {
    const user = await makeUser();
    const { refresh } = await tokensFor(user);
    const deps = testDeps({ REFRESH_REUSE_LEEWAY: '0' });
    const results = await Promise.allSettled([refreshTokens(deps, refresh), refreshTokens(deps, refresh)]);
    const won = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ refresh?: string }>;
    expect(results.filter((r) => r.status === 'rejected')).to.have.length(1);
    // With no leeway even a simultaneous second use is a reuse: the winner's successor is dead too.
    await api().post('/api/token/refresh/').send({ refresh: won.value.refresh }).expect(401);
  });
});

describe('absolute session lifetime (SESSION_MAX_LIFETIME)', () => {
  it('refuses to rotate a session older than its lifetime, and ends what it still holds', async () => {
    const user = await makeUser();
    const { access, refresh } = await tokensFor(user);
    await testKnex()(OUTSTANDING)
      .where('session_id', claimsOf(refresh).sid)
      .update({ session_started_at: testKnex().raw("now() - interval '30 days 1 second'") });
    const res = await api().post('/api/token/refresh/').send({ refresh }).expect(401);
    expect(res.body).to.deep.equal(EXPIRED);
    expect(res.headers['set-cookie']).to.equal(undefined);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${access}`).expect(401);
  });

  it('follows SESSION_MAX_LIFETIME as configured now', async () => {
    const { refresh } = await tokensFor(await makeUser());
    await testKnex()(OUTSTANDING)
      .where('session_id', claimsOf(refresh).sid)
      .update({ session_started_at: testKnex().raw("now() - interval '2 days'") });
    const res = await api({ SESSION_MAX_LIFETIME: '3d' }).post('/api/token/refresh/').send({ refresh }).expect(200);
    await api({ SESSION_MAX_LIFETIME: '2d' })
      .post('/api/token/refresh/')
      .send({ refresh: res.body.refresh })
      .expect(401);
  });

  it("never issues a refresh token, row or cookie that outlives the session's end", async () => {
    const { refresh } = await tokensFor(await makeUser());
    const sid = claimsOf(refresh).sid;
    // One hour of the session's 30 days is left, less than a refresh token's day.
    await testKnex()(OUTSTANDING)
      .where('session_id', sid)
      .update({
        session_started_at: testKnex().raw("date_trunc('second', now()) - interval '30 days' + interval '1 hour'"),
      });
    const { started } = (await testKnex()(OUTSTANDING)
      .where('session_id', sid)
      .first(testKnex().raw('CAST(extract(epoch FROM session_started_at) AS float8) AS started'))) as {
      started: number;
    };
    const sessionEnd = started + 30 * DAY;

    const res = await api().post('/api/token/refresh/').send({ refresh }).expect(200);
    const next = claimsOf(res.body.refresh);
    expect(next.exp).to.equal(sessionEnd);
    expect(next.exp - next.iat).to.be.within(3_500, 3_600);
    const cookie = parseSetCookies(res.headers).get('refresh_token')!;
    expect(Number(cookie.attributes.get('max-age'))).to.be.within(3_500, 3_600);
    const row = (await testKnex()(OUTSTANDING).where('jti', next.jti).first('token', 'expires_at')) as {
      token: string;
      expires_at: Date;
    };
    expect(row.token, 'the recorded token is the one answered').to.equal(res.body.refresh);
    expect(new Date(row.expires_at).getTime() / 1000).to.equal(sessionEnd);

    // Its successor is capped the same way, and the session keeps its start.
    const again = await api().post('/api/token/refresh/').send({ refresh: res.body.refresh }).expect(200);
    expect(claimsOf(again.body.refresh).exp).to.equal(sessionEnd);
  });

  it("carries the session's start through rotations, not from its first token (which the nightly flush deletes)", async () => {
    const { refresh } = await tokensFor(await makeUser());
    const sid = claimsOf(refresh).sid;
    await testKnex()(OUTSTANDING)
      .where('session_id', sid)
      .update({ session_started_at: testKnex().raw("now() - interval '29 days 23 hours'") });
    let current = refresh;
    for (let i = 0; i < 2; i++)
      current = (await api().post('/api/token/refresh/').send({ refresh: current }).expect(200)).body.refresh;
    // The first token's row goes, as the flush deletes it once expired.
    await testKnex()('token_blacklist_blacklistedtoken')
      .whereIn('token_id', testKnex()(OUTSTANDING).where('jti', claimsOf(refresh).jti).select('id'))
      .delete();
    await testKnex()(OUTSTANDING).where('jti', claimsOf(refresh).jti).delete();
    expect(claimsOf(current).exp - Math.floor(Date.now() / 1000)).to.be.at.most(3_600);
    const starts = await testKnex()(OUTSTANDING).where('session_id', sid).distinct('session_started_at');
    expect(starts).to.have.length(1);
  });
});
