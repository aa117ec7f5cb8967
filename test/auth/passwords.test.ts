import { expect } from 'chai';
import os from 'node:os';
import { validatePassword, similarityRatio } from '../../src/auth/password-validation.js';
import { hashPassword, limitPasswordWork, passwordWork, verifyPassword } from '../../src/auth/passwords.js';
import { api, djangoPbkdf2, makeUser } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

/**
 * Hashes written by the `argon2` package (0.45, node-gyp) this project hashed with before
 * `@node-rs/argon2`: it orders the PHC parameters `m,p,t`. Produced once and kept; none may stop
 * verifying. The Django ones carry Django's `argon2` prefix and argon2-cffi's `m,t,p` order (the
 * order is text only: it does not enter the hash).
 */
const STORED = {
  /** This project's parameters. */
  current: '$argon2id$v=19$m=19456,p=1,t=2$pg4E7rgY61tJHfSZARJ0JA$9HkVK7DRx+29Jf95ZQ/bGaKqvFlFU7vfR021F2KKwb4',
  /** That package's defaults (64 MiB, 3 passes, 4 lanes). */
  packageDefaults: '$argon2id$v=19$m=65536,p=4,t=3$VpNrh++Be+Oo5Sia2suJCA$Vj0WTjzhjo4t15FT78m70tCpE/UmXP8ER8xLyUA/mjg',
  /** argon2d at this project's costs. */
  argon2d: '$argon2d$v=19$m=19456,p=1,t=2$Fqyxba63OLUdOzaNPfi8Hw$cSS6sYuQctva0ec1hGruq/kO9cc6vYPb1hqJDGoAaZE',
  /** Django's Argon2PasswordHasher defaults (argon2id, 100 MiB, 2 passes, 8 lanes). */
  djangoArgon2id:
    'argon2$argon2id$v=19$m=102400,t=2,p=8$Kh0aft0+Y7+oqSSw635Aew$vWPVl3TnI4D3lzDEivqVhYGkFKosZWWNT5KSiwhLR64',
  /** Django's older Argon2PasswordHasher defaults (argon2i, 512 KiB, 2 passes, 2 lanes). */
  djangoArgon2i: 'argon2$argon2i$v=19$m=512,t=2,p=2$IDRVaCgP0g9Z3AgHOS1ieA$9geSGpDSMws/TUkDVXGVflQIEulgHqQUI/WXctjUczY',
};

describe('password hashing', () => {
  it("hashes with argon2id at OWASP's minimum and verifies", async () => {
    const hash = await hashPassword('s3cret-pass');
    expect(hash).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('s3cret-pass', hash)).to.deep.equal({ valid: true, needsRehash: false });
    expect((await verifyPassword('other', hash)).valid).to.equal(false);
  });

  it("verifies every stored argon2 hash of the previous package; only this project's parameters need no rehash", async () => {
    expect(await verifyPassword('s3cret-pass', STORED.current)).to.deep.equal({ valid: true, needsRehash: false });
    expect(await verifyPassword('s3cret-pass', STORED.packageDefaults)).to.deep.equal({
      valid: true,
      needsRehash: true,
    });
    expect(await verifyPassword('s3cret-pass', STORED.argon2d)).to.deep.equal({ valid: true, needsRehash: true });
    for (const hash of [STORED.current, STORED.packageDefaults, STORED.argon2d]) {
      expect(await verifyPassword('s3cret-pasS', hash)).to.deep.equal({ valid: false, needsRehash: false });
    }
  });

  it('verifies Django argon2 hashes (argon2id and argon2i) and asks for a rehash', async () => {
    for (const hash of [STORED.djangoArgon2id, STORED.djangoArgon2i]) {
      expect(await verifyPassword('django-pass', hash)).to.deep.equal({ valid: true, needsRehash: true });
      expect((await verifyPassword('django-pasS', hash)).valid).to.equal(false);
    }
  });

  it('verifies Django pbkdf2_sha256 hashes and asks for a rehash', async () => {
    const hash = djangoPbkdf2('legacy-pass');
    expect(await verifyPassword('legacy-pass', hash)).to.deep.equal({ valid: true, needsRehash: true });
    expect((await verifyPassword('wrong', hash)).valid).to.equal(false);
  });

  it('never matches unusable or unknown hashes', async () => {
    const truncated = STORED.current.slice(0, -4);
    for (const hash of [
      '!unusable',
      'md5$x$y',
      '',
      'pbkdf2_sha256$abc$salt$hash',
      '$argon2id$garbage',
      truncated,
      `argon2${truncated}`,
    ]) {
      expect((await verifyPassword('x', hash)).valid).to.equal(false);
    }
  });

  it('runs at most the configured number of password computations at once; the rest wait', async () => {
    limitPasswordWork(1);
    try {
      const hash = await hashPassword('first-pass');
      const work = [
        hashPassword('a-pass'),
        verifyPassword('first-pass', hash),
        verifyPassword('x', djangoPbkdf2('legacy-pass')),
      ];
      expect(passwordWork()).to.deep.equal({ running: 1, waiting: 2, limit: 1 });
      const [, check] = await Promise.all(work);
      expect(check).to.deep.equal({ valid: true, needsRehash: false });
      expect(passwordWork()).to.deep.equal({ running: 0, waiting: 0, limit: 1 });
    } finally {
      limitPasswordWork(os.availableParallelism());
    }
  });

  it('upgrades an imported Django hash to argon2id on the next successful login', async () => {
    const user = await makeUser({ username: 'imported' });
    await testKnex()('auth_user')
      .where({ id: user.id })
      .update({ password: djangoPbkdf2('django-era-pass') });
    await api().post('/api/token/').send({ username: 'imported', password: 'django-era-pass' }).expect(200);
    const row = await testKnex()('auth_user').where({ id: user.id }).first('password');
    expect(row.password).to.match(/^\$argon2id\$/);
    await api().post('/api/token/').send({ username: 'imported', password: 'django-era-pass' }).expect(200);
  });
});

describe("password validation (Django's four validators)", () => {
  /** The messages in English, as a client reads them. */
  const validate = (...args: Parameters<typeof validatePassword>) => validatePassword(...args).map(String);

  it('accepts a good password', () => {
    expect(validate('correct-Horse-battery-9', { username: 'alice' })).to.deep.equal([]);
  });

  it("lists every failing validator, in Django's order and words", () => {
    expect(validate('1234567')).to.deep.equal([
      'This password is too short. It must contain at least 8 characters.',
      'This password is too common.',
      'This password is entirely numeric.',
    ]);
    expect(validate('password')).to.deep.equal(['This password is too common.']);
  });

  it("uses Django's own common-password list: its 19,727 passwords, no others, whatever the case or spaces", () => {
    // In Django's list; not in the ~15,000 of the npm package this project used before.
    expect(validate('a1234567890')).to.deep.equal(['This password is too common.']);
    expect(validate('  Qwerty123  ')).to.deep.equal(['This password is too common.']);
    // In that package's list; Django accepts them.
    expect(validate('absolutely')).to.deep.equal([]);
    expect(validate('abnormal')).to.deep.equal([]);
    // Blank lines are not passwords: eight spaces fail no list check (Django strips, then looks up '').
    expect(validate('        ')).to.deep.equal([]);
  });

  it('refuses a password similar to the username, names or email', () => {
    expect(validate('zanzibar-42', { username: 'zanzibar_42' })).to.deep.equal([
      'The password is too similar to the username.',
    ]);
    expect(validate('wonderland7', { email: 'wonderland@example.com' })).to.deep.equal([
      'The password is too similar to the email address.',
    ]);
    // Also in Django's common list: both messages, as Django gives them.
    expect(validate('Montgomery', { first_name: 'Montgomery' })).to.deep.equal([
      'The password is too similar to the first name.',
      'This password is too common.',
    ]);
    expect(validate('Kwiatkowska-3', { last_name: 'Kwiatkowska' })).to.deep.equal([
      'The password is too similar to the last name.',
    ]);
  });

  it("computes difflib's SequenceMatcher ratio", () => {
    expect(similarityRatio('abcd', 'bcde')).to.equal(0.75);
    expect(similarityRatio('', '')).to.equal(1);
    expect(similarityRatio('abc', 'xyz')).to.equal(0);
    expect(similarityRatio('alexander1', 'alexander')).to.be.closeTo(0.947, 0.001);
  });
});
