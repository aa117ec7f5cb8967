import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  checkResetToken,
  decodeUid,
  encodeUid,
  makeResetToken,
  secondsSince2001,
} from '../../src/password-reset/tokens.js';
import { requireTool } from '../support/browser.js';

const SECRET = 'test-secret-key-0123456789abcdef-0123456789abcdef';
const USER = {
  id: 42,
  password: 'argon2$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
  last_login: new Date('2026-11-30T08:15:42.123Z'),
  email: 'alice@example.com',
};
const NOW = new Date('2026-12-02T04:00:00Z');

/** A python3 that imports Django (Debian's python3-django), or null. */
function djangoPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import django'], { encoding: 'utf8' }).status === 0) return python;
  }
  return null;
}

/** Runs Django's own PasswordResetTokenGenerator and urlsafe_base64_encode on USER at NOW. */
function djangoToken(python: string, action: 'make' | 'check', token = ''): string {
  const script = `
import sys, datetime
from django.conf import settings
settings.configure(SECRET_KEY=sys.argv[1], PASSWORD_RESET_TIMEOUT=259200, USE_TZ=True)
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.http import urlsafe_base64_encode
class User:
    pk = 42
    password = sys.argv[2]
    last_login = datetime.datetime(2026, 11, 30, 8, 15, 42, 123000, tzinfo=datetime.timezone.utc)
    email = 'alice@example.com'
    @classmethod
    def get_email_field_name(cls): return 'email'
generator = PasswordResetTokenGenerator()
generator._now = lambda: datetime.datetime(2026, 12, 2, 4, 0, 0)
if sys.argv[3] == 'make':
    print(urlsafe_base64_encode(str(User.pk).encode()), generator.make_token(User()))
else:
    print(generator.check_token(User(), sys.argv[4]))
`;
  const run = spawnSync(python, ['-c', script, SECRET, USER.password, action, token], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.trim();
}

describe("password reset tokens (Django's PasswordResetTokenGenerator)", () => {
  const timestamp = secondsSince2001(NOW);

  it('counts seconds from 2001-01-01 UTC', () => {
    expect(secondsSince2001(new Date('2001-01-01T00:00:00Z'))).to.equal(0);
    expect(secondsSince2001(new Date('2001-01-02T00:00:01.900Z'))).to.equal(86401);
  });

  it('is the timestamp in base 36 and 32 hex digits', () => {
    const token = makeResetToken(SECRET, USER, timestamp);
    expect(token).to.match(/^[0-9a-z]+-[0-9a-f]{32}$/);
    expect(parseInt(token.split('-')[0]!, 36)).to.equal(timestamp);
  });

  it('checks until PASSWORD_RESET_TIMEOUT has passed, not after', () => {
    const token = makeResetToken(SECRET, USER, timestamp);
    const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    expect(checkResetToken(SECRET, USER, token, 259200, later(259200))).to.equal(true);
    expect(checkResetToken(SECRET, USER, token, 259200, later(259201))).to.equal(false);
  });

  it('dies when the password, the last login or the email changes, or with another key', () => {
    const token = makeResetToken(SECRET, USER, timestamp);
    expect(checkResetToken(SECRET, USER, token, 259200, NOW)).to.equal(true);
    for (const changed of [
      { ...USER, password: `${USER.password}x` },
      { ...USER, last_login: new Date('2026-11-30T08:15:43Z') },
      { ...USER, email: 'alice@example.org' },
      { ...USER, id: 43 },
    ]) {
      expect(checkResetToken(SECRET, changed, token, 259200, NOW)).to.equal(false);
    }
    expect(checkResetToken(`${SECRET}x`, USER, token, 259200, NOW)).to.equal(false);
    // The last login counts to the second only, as Django drops the microseconds.
    const sameSecond = { ...USER, last_login: new Date('2026-11-30T08:15:42.999Z') };
    expect(checkResetToken(SECRET, sameSecond, token, 259200, NOW)).to.equal(true);
  });

  it('refuses malformed tokens', () => {
    const token = makeResetToken(SECRET, USER, timestamp);
    for (const bad of ['', 'abc', `${token}-x`, `!!-${token.split('-')[1]}`, `zzzzzzzzzzzzzzzz-${'0'.repeat(32)}`]) {
      expect(checkResetToken(SECRET, USER, bad, 259200, NOW), bad).to.equal(false);
    }
  });

  it("encodes the uid as Django's urlsafe_base64_encode and reads only ids back", () => {
    expect(encodeUid(1)).to.equal('MQ');
    expect(encodeUid(42)).to.equal('NDI');
    expect(decodeUid('NDI')).to.equal(42);
    for (const bad of [
      '',
      '!!',
      'MA',
      Buffer.from('-1').toString('base64url'),
      Buffer.from('9'.repeat(12)).toString('base64url'),
    ]) {
      expect(decodeUid(bad), bad).to.equal(null);
    }
  });

  describe('against Django itself', function () {
    let python: string;
    before(function () {
      const found = djangoPython();
      requireTool(this, found ? null : 'no python3 with Django (apt-get install python3-django)');
      python = found!;
    });

    it('makes the token and uid Django makes, and Django accepts ours', () => {
      const [uid, token] = djangoToken(python, 'make').split(' ');
      expect(uid).to.equal(encodeUid(USER.id));
      expect(token).to.equal(makeResetToken(SECRET, USER, timestamp));
      expect(checkResetToken(SECRET, USER, token!, 259200, NOW)).to.equal(true);
      expect(djangoToken(python, 'check', makeResetToken(SECRET, USER, timestamp - 60))).to.equal('True');
      expect(djangoToken(python, 'check', makeResetToken(SECRET, USER, timestamp - 259201))).to.equal('False');
    });
  });
});
