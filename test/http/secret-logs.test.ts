/**
 * Secrets never reach the log, by construction: a login, a refresh and a password change made to
 * fail at the database (a check constraint whose violation quotes the failing row — hash, token —
 * in its `detail`) are logged through the project's own logger at every `LOG_LEVEL`, and neither
 * the password, nor a hash, nor a token appears anywhere in what it wrote. What identifies the
 * error (SQLSTATE, constraint, table) is kept.
 */
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { serializeError } from '../../src/logger.js';
import { makeUser, PASSWORD, testDeps, tokensFor } from '../support/app.js';
import { testKnex } from '../support/hooks.js';
import { capturedLogger } from '../support/logs.js';

const LEVELS: ReadonlyArray<Config['logLevel']> = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const NEW_PASSWORD = 'brand-New-secret-42';

/** An app whose logger is the project's own at `level`, writing into `lines`. */
function appLogging(level: Config['logLevel'], lines: string[]) {
  return supertest(
    createApp({ ...testDeps({ LOG_LEVEL: level }), logger: capturedLogger(level, lines) }).app.callback(),
  );
}

/** Asserts no secret occurs in the log, and that the failure itself was logged at the levels that keep errors. */
function expectClean(level: Config['logLevel'], lines: string[], secrets: string[], constraint: string) {
  const log = lines.join('\n');
  for (const secret of secrets) expect(log, `LOG_LEVEL=${level}: a secret in the log`).not.to.include(secret);
  expect(log, `LOG_LEVEL=${level}: a JWT in the log`).not.to.match(/eyJ[\w-]{10,}/);
  expect(log, `LOG_LEVEL=${level}: a password hash in the log`).not.to.match(/\$argon2|pbkdf2_sha256\$/);
  const errors = lines
    .map((l) => JSON.parse(l) as { msg: string; err?: Record<string, unknown> })
    .filter((l) => l.msg === 'unhandled error');
  if (['trace', 'debug', 'info', 'warn', 'error'].includes(level)) {
    expect(errors, `LOG_LEVEL=${level}: the failure is logged`).to.have.length(1);
    expect(errors[0]!.err).to.include({ code: '23514', constraint });
    expect(errors[0]!.err).not.to.have.any.keys('detail', 'where', 'hint', 'query', 'parameters', 'internalQuery');
  } else {
    expect(errors).to.deep.equal([]);
  }
}

describe('secrets in the log', () => {
  afterEach(async () => {
    const added: ReadonlyArray<readonly [string, string]> = [
      ['auth_user', 'test_no_login'],
      ['auth_user', 'test_frozen_password'],
      ['token_blacklist_outstandingtoken', 'test_no_new_token'],
    ];
    for (const [table, constraint] of added) {
      await testKnex().raw('ALTER TABLE ?? DROP CONSTRAINT IF EXISTS ??', [table, constraint]);
    }
  });

  it('a login failing at the database logs neither the password nor the hash', async () => {
    const user = await makeUser({ username: 'alice' });
    const { password: hash } = await testKnex()('auth_user').where({ id: user.id }).first('password');
    // The last_login update fails; PostgreSQL's detail quotes the row, hash included.
    await testKnex().raw('ALTER TABLE auth_user ADD CONSTRAINT test_no_login CHECK (last_login IS NULL) NOT VALID');
    for (const level of LEVELS) {
      const lines: string[] = [];
      const res = await appLogging(level, lines).post('/api/token/').send({ username: 'alice', password: PASSWORD });
      expect(res.status).to.equal(500);
      expectClean(level, lines, [PASSWORD, hash], 'test_no_login');
    }
  });

  it('a refresh failing at the database logs neither the old nor the new token', async () => {
    const user = await makeUser();
    const sessions = await Promise.all(LEVELS.map(() => tokensFor(user)));
    // The rotation's insert of the new refresh token fails; the detail would quote it.
    await testKnex().raw(
      'ALTER TABLE token_blacklist_outstandingtoken ADD CONSTRAINT test_no_new_token CHECK (length(token) < 0) NOT VALID',
    );
    for (const [i, level] of LEVELS.entries()) {
      const lines: string[] = [];
      const { refresh, access } = sessions[i]!;
      const res = await appLogging(level, lines).post('/api/token/refresh/').send({ refresh });
      expect(res.status).to.equal(500);
      expectClean(level, lines, [refresh, access, refresh.split('.')[2]!], 'test_no_new_token');
    }
  });

  it('a password change failing at the database logs neither password nor either hash', async () => {
    const user = await makeUser();
    const { password: hash } = await testKnex()('auth_user').where({ id: user.id }).first('password');
    const sessions = await Promise.all(LEVELS.map(() => tokensFor(user)));
    await testKnex().raw(
      `ALTER TABLE auth_user ADD CONSTRAINT test_frozen_password CHECK (password = '${hash.replaceAll("'", "''")}') NOT VALID`,
    );
    for (const [i, level] of LEVELS.entries()) {
      const lines: string[] = [];
      const res = await appLogging(level, lines)
        .post('/api/users/me/password/')
        .set('Authorization', `Bearer ${sessions[i]!.access}`)
        .send({ old_password: PASSWORD, new_password: NEW_PASSWORD });
      expect(res.status).to.equal(500);
      expectClean(level, lines, [PASSWORD, NEW_PASSWORD, hash, sessions[i]!.access], 'test_frozen_password');
    }
  });

  describe('serializeError', () => {
    it('masks values PostgreSQL quotes in messages, keeps the names the error carries', async () => {
      const invalid = await testKnex()
        .raw('SELECT CAST(? AS integer)', ['hunter2-secret'])
        .catch((e: unknown) => e);
      const written = serializeError(invalid);
      expect(written).to.include({ code: '22P02' });
      expect(JSON.stringify(written)).not.to.include('hunter2');
      expect(written.message).to.equal('invalid input syntax for type integer: "…"');

      const duplicate = await testKnex()('auth_group')
        .insert([{ name: 'twin' }, { name: 'twin' }])
        .catch((e: unknown) => e);
      const dup = serializeError(duplicate);
      expect(dup).to.include({ code: '23505', table: 'auth_group' });
      expect(dup.message).to.equal(`duplicate key value violates unique constraint "${String(dup.constraint)}"`);
      expect(JSON.stringify(dup)).not.to.include('twin');
    });

    it('writes causes and aggregated errors the same way, and nothing of a thrown non-error', () => {
      const cause = Object.assign(new Error('value "s3cr3t" rejected'), { detail: 's3cr3t', code: 'XX000' });
      const written = serializeError(new AggregateError([cause], 'several', { cause }));
      expect(JSON.stringify(written)).not.to.include('s3cr3t');
      expect(written.cause).to.include({ code: 'XX000', message: 'value "…" rejected' });
      expect(serializeError('password=s3cr3t')).to.deep.equal({
        type: 'string',
        message: '[a thrown string, not written]',
      });
    });
  });
});
