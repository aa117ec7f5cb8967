import { expect } from 'chai';
import { rotate, type Rotation } from '../../src/auth/rotation.js';
import { obtainTokenPair, refreshTokens } from '../../src/auth/service.js';
import { InvalidTokenError } from '../../src/errors.js';
import { registry } from '../../src/metrics.js';
import { makeUser, PASSWORD, testDeps } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

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
    const rules = { checkBlacklist: true, blacklistOld: false, issue: false };
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
      expect(outcome).to.deep.include({
        value: { recorded: true, wasBlacklisted: false, active: true, issued: false },
      });
  });
});
