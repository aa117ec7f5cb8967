import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { simpleParser } from 'mailparser';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { User } from '../../src/db/models.js';
import type { Deps } from '../../src/deps.js';
import { createMailer, type MailerOptions } from '../../src/mail/mailer.js';
import { INVALID_VALUE, RESET_DONE, RESET_REQUESTED } from '../../src/password-reset/service.js';
import { encodeUid, makeResetToken, secondsSince2001 } from '../../src/password-reset/tokens.js';
import { changePassword } from '../../src/users/service.js';
import { bearer, makeUser, PASSWORD, testDeps, tokensFor } from '../support/app.js';
import { requireTool } from '../support/browser.js';
import { testKnex } from '../support/hooks.js';
import { adminLogin } from '../admin/support.js';
import { capturedLogger } from '../support/logs.js';
import { freePort, scratchDir } from '../support/processes.js';
import { missingOpenssl, SMTP_USER, startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const RESET_URL = 'https://app.example.com/reset/{uid}/{token}/';
const LINK = /https:\/\/app\.example\.com\/reset\/([A-Za-z0-9_-]+)\/([0-9a-z]+-[0-9a-f]+)\//;
const NEW_PASSWORD = 'brand-New-stapler-42';

/** An app on the test database whose mail goes through the given variables, with its log lines. */
function resetApp(env: Record<string, string>, options: MailerOptions = {}) {
  const lines: string[] = [];
  const base = testDeps({ PASSWORD_RESET_URL: RESET_URL, ...env });
  const logger = capturedLogger('info', lines);
  const mailer = createMailer(base.config.mail, logger, { retryDelaysMs: [0], ...options });
  const deps: Deps = { ...base, logger, mailer };
  return { client: supertest(createApp(deps).app.callback()), mailer, lines, deps };
}

describe('password recovery by email', function () {
  let smtp: TestSmtpServer;

  before(async function () {
    requireTool(this, missingOpenssl());
    smtp = await startSmtpServer();
  });
  after(async () => smtp?.close());

  const overSmtp = (env: Record<string, string> = {}) => resetApp({ ...smtp.env(), ...env }, { tls: { ca: smtp.ca } });

  /** Asks for a link and returns the delivered message with the link's uid and token. */
  async function askForLink(app: ReturnType<typeof overSmtp>, email: string) {
    const waiting = smtp.waitForMessage();
    const res = await app.client.post('/api/password-reset/').send({ email });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ detail: String(RESET_REQUESTED) });
    const mail = await waiting;
    const [, uid, token] = LINK.exec(mail.text ?? '')!;
    return { mail, uid: uid!, token: token! };
  }

  describe('POST /api/password-reset/ and /confirm/, over SMTP with STARTTLS and authentication', () => {
    it('mails a link that resets the password, logs every session out and writes the audit log', async () => {
      const app = overSmtp();
      const user = await makeUser({ username: 'alice', email: 'Alice@Example.com' });
      const oldAccess = await bearer(user);
      const { mail, uid, token } = await askForLink(app, 'alice@EXAMPLE.com');

      expect(smtp.sessions.at(-1)).to.deep.equal({ secure: true, user: SMTP_USER });
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').to.equal('Alice@example.com');
      expect(mail.from?.value).to.deep.equal([{ address: 'noreply@backoffice.test', name: 'Backoffice' }]);
      expect(mail.subject).to.equal('Password reset for alice');
      expect(mail.text).to.include('for 3 days');
      expect(mail.html).to.include(`href="https://app.example.com/reset/${uid}/${token}/"`);
      expect(uid).to.equal(encodeUid(user.id));

      const done = await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token, new_password: NEW_PASSWORD });
      expect(done.status).to.equal(200);
      expect(done.body).to.deep.equal({ detail: String(RESET_DONE) });

      await app.client.post('/api/token/').send({ username: 'alice', password: NEW_PASSWORD }).expect(200);
      await app.client.post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(401);
      // The session opened before the reset is blacklisted: its access token dies at once.
      await app.client.get('/api/users/me/').set('Authorization', oldAccess).expect(401);
      const entry = await testKnex()('admin_log').where({ action: 'password_reset' }).first();
      expect(entry).to.include({ actor_id: user.id, target_type: 'user', target_id: String(user.id) });
      expect(JSON.stringify(entry)).not.to.include(token);
    });

    it('refuses the same link a second time', async () => {
      const app = overSmtp();
      await makeUser({ username: 'bob', email: 'bob@example.com' });
      const { uid, token } = await askForLink(app, 'bob@example.com');
      await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token, new_password: NEW_PASSWORD })
        .expect(200);
      const again = await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token, new_password: 'another-Fine-password-7' });
      expect(again.status).to.equal(400);
      expect(again.body).to.deep.equal({ token: [String(INVALID_VALUE)] });
    });

    it('refuses a link once the password changed in between', async () => {
      const app = overSmtp();
      const user = await makeUser({ username: 'carol', email: 'carol@example.com' });
      const { uid, token } = await askForLink(app, 'carol@example.com');
      await changePassword(testKnex(), user.id, null, { old_password: PASSWORD, new_password: 'changed-Meanwhile-3' });
      const res = await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token, new_password: NEW_PASSWORD });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ token: [String(INVALID_VALUE)] });
    });

    it('refuses a link once the user logged in after it was sent', async () => {
      const app = overSmtp();
      const user = await makeUser({ username: 'dave', email: 'dave@example.com' });
      const { uid, token } = await askForLink(app, 'dave@example.com');
      await tokensFor(user);
      const res = await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token, new_password: NEW_PASSWORD });
      expect(res.body).to.deep.equal({ token: [String(INVALID_VALUE)] });
    });

    it('refuses an expired link, and takes one just inside PASSWORD_RESET_TIMEOUT', async () => {
      const app = overSmtp({ PASSWORD_RESET_TIMEOUT: '1h' });
      const user = await makeUser({ username: 'erin', email: 'erin@example.com' });
      const row = (await User.query(testKnex()).findById(user.id))!;
      const now = secondsSince2001(new Date());
      const uid = encodeUid(user.id);
      const expired = makeResetToken(app.deps.config.secretKey, row, now - 3600 - 5);
      const res = await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token: expired, new_password: NEW_PASSWORD });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ token: [String(INVALID_VALUE)] });
      const fresh = makeResetToken(app.deps.config.secretKey, row, now - 3600 + 60);
      await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token: fresh, new_password: NEW_PASSWORD })
        .expect(200);
    });

    it('answers the same and mails nothing for an unknown address or an inactive user', async () => {
      const app = overSmtp();
      const inactive = await makeUser({ username: 'frank', email: 'frank@example.com', is_active: false });
      await makeUser({ username: 'grace', email: 'grace@example.com' });
      const before = smtp.inbox.length;
      for (const email of ['nobody@example.com', 'frank@example.com']) {
        const res = await app.client.post('/api/password-reset/').send({ email });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ detail: String(RESET_REQUESTED) });
      }
      await app.mailer.settled();
      // The next message delivered is grace's: nothing left for the two addresses before.
      const { mail } = await askForLink(app, 'grace@example.com');
      expect(smtp.inbox.length).to.equal(before + 1);
      expect(mail.subject).to.equal('Password reset for grace');

      // A token made for the inactive user is refused too.
      const row = (await User.query(testKnex()).findById(inactive.id))!;
      const token = makeResetToken(app.deps.config.secretKey, row, secondsSince2001(new Date()));
      const res = await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid: encodeUid(inactive.id), token, new_password: NEW_PASSWORD });
      expect(res.body).to.deep.equal({ token: [String(INVALID_VALUE)] });
    });

    it('refuses a weak password with the validators of every other password', async () => {
      const app = overSmtp();
      await makeUser({ username: 'heidi', email: 'heidi@example.com' });
      const { uid, token } = await askForLink(app, 'heidi@example.com');
      const res = await app.client.post('/api/password-reset/confirm/').send({ uid, token, new_password: 'heidi' });
      expect(res.status).to.equal(400);
      expect(res.body.new_password).to.include('The password is too similar to the username.');
      // The link still works after a refused password.
      await app.client
        .post('/api/password-reset/confirm/')
        .send({ uid, token, new_password: NEW_PASSWORD })
        .expect(200);
    });
  });

  describe('bad input: DRF-shaped 400s', () => {
    it('refuses a missing or malformed email, uid and token', async () => {
      const { client } = resetApp(
        { EMAIL_BACKEND: 'console' },
        { stdout: new Writable({ write: (_c, _e, done) => done() }) },
      );
      expect((await client.post('/api/password-reset/').send({})).body).to.deep.equal({
        email: ['This field is required.'],
      });
      expect((await client.post('/api/password-reset/').send({ email: 'not-an-address' })).body).to.deep.equal({
        email: ['Enter a valid email address.'],
      });
      const missing = await client.post('/api/password-reset/confirm/').send({});
      expect(missing.status).to.equal(400);
      expect(Object.keys(missing.body).sort()).to.deep.equal(['new_password', 'token', 'uid']);
      for (const uid of ['!!', 'MA', encodeUid(999999)]) {
        const res = await client
          .post('/api/password-reset/confirm/')
          .send({ uid, token: 'abc-123', new_password: NEW_PASSWORD });
        expect(res.status, uid).to.equal(400);
        expect(res.body).to.deep.equal({ token: [String(INVALID_VALUE)] });
      }
      const user = await makeUser();
      const res = await client
        .post('/api/password-reset/confirm/')
        .send({ uid: encodeUid(user.id), token: 'not-a-token', new_password: NEW_PASSWORD });
      expect(res.body).to.deep.equal({ token: [String(INVALID_VALUE)] });
    });

    it('answers a bad uid and a bad token alike: one status, one body, the same queries', async () => {
      const { client, deps } = resetApp(
        { EMAIL_BACKEND: 'console' },
        { stdout: new Writable({ write: (_c, _e, done) => done() }) },
      );
      const user = await makeUser();
      const other = await makeUser();
      const inactive = await makeUser({ is_active: false });
      const row = (await User.query(testKnex()).findById(user.id))!;
      const now = secondsSince2001(new Date());
      const goodToken = makeResetToken(deps.config.secretKey, row, now);
      const expired = makeResetToken(deps.config.secretKey, row, now - deps.config.passwordReset.timeoutSeconds - 60);
      const inactiveRow = (await User.query(testKnex()).findById(inactive.id))!;
      const cases: Record<string, { uid: string; token: string }> = {
        'uid not base 64 of an id': { uid: '!!', token: goodToken },
        'uid of no user': { uid: encodeUid(999999), token: goodToken },
        "another user's uid": { uid: encodeUid(other.id), token: goodToken },
        'malformed token': { uid: encodeUid(user.id), token: 'not-a-token' },
        'token of another moment': { uid: encodeUid(user.id), token: expired },
        'inactive user': {
          uid: encodeUid(inactive.id),
          token: makeResetToken(deps.config.secretKey, inactiveRow, now),
        },
      };
      const answers = new Map<string, string>();
      const queries = new Map<string, number>();
      for (const [name, link] of Object.entries(cases)) {
        let count = 0;
        const listener = () => void count++;
        testKnex().on('query', listener);
        // A weak password too: the link is judged first, as dj-rest-auth does.
        const res = await client.post('/api/password-reset/confirm/').send({ ...link, new_password: 'x' });
        testKnex().off('query', listener);
        answers.set(name, `${res.status} ${res.type} ${JSON.stringify(res.body)}`);
        queries.set(name, count);
      }
      expect(new Set(answers.values()), JSON.stringify(Object.fromEntries(answers))).to.have.length(1);
      expect([...answers.values()][0]).to.equal(
        `400 application/json ${JSON.stringify({ token: [String(INVALID_VALUE)] })}`,
      );
      expect(new Set(queries.values()), JSON.stringify(Object.fromEntries(queries))).to.have.length(1);
    });
  });

  describe('throttling', () => {
    it('limits requests per email address (THROTTLE_PASSWORD_RESET_PER_EMAIL), whatever the address', async () => {
      const { client } = overSmtp({ THROTTLE_PASSWORD_RESET_PER_EMAIL: '2/h' });
      await client.post('/api/password-reset/').send({ email: 'nobody@example.com' }).expect(200);
      await client.post('/api/password-reset/').send({ email: 'NOBODY@example.com' }).expect(200);
      const third = await client.post('/api/password-reset/').send({ email: 'nobody@example.com' });
      expect(third.status).to.equal(429);
      expect(third.body.detail).to.match(/^Request was throttled\. Expected available in \d+ seconds?\.$/);
      expect(Number(third.headers['retry-after'])).to.be.greaterThan(0);
      await client.post('/api/password-reset/').send({ email: 'other@example.com' }).expect(200);
    });

    it('limits requests per client address (THROTTLE_PASSWORD_RESET_PER_IP), malformed ones included', async () => {
      const { client } = overSmtp({ THROTTLE_PASSWORD_RESET_PER_IP: '2/h' });
      await client.post('/api/password-reset/').send({ email: 'one@example.com' }).expect(200);
      await client.post('/api/password-reset/').send({ email: 'bad' }).expect(400);
      const third = await client.post('/api/password-reset/').send({ email: 'three@example.com' });
      expect(third.status).to.equal(429);
      expect(third.headers['retry-after']).to.match(/^\d+$/);
    });
  });

  describe('when the mail cannot be sent', () => {
    it('still answers 200 and logs the failure, retried, without the link or its token', async () => {
      const closed = await freePort();
      const app = resetApp(
        { EMAIL_BACKEND: 'smtp', EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(closed), EMAIL_TIMEOUT: '5s' },
        { retryDelaysMs: [0] },
      );
      const user = await makeUser({ username: 'ivan', email: 'ivan@example.com' });
      const res = await app.client.post('/api/password-reset/').send({ email: 'ivan@example.com' });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ detail: String(RESET_REQUESTED) });
      await app.mailer.settled();
      const failures = app.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.mail);
      expect(failures.map((l) => l.msg)).to.deep.equal(['mail not sent: will retry', 'mail not sent: giving up']);
      expect(failures[1]).to.deep.include({
        mail: { purpose: 'password_reset', userId: user.id, backend: 'smtp', attempt: 2 },
      });
      const row = (await User.query(testKnex()).findById(user.id))!;
      const stamp = secondsSince2001(new Date());
      for (const line of app.lines) {
        expect(line).not.to.match(/example\.com\/reset|[0-9a-z]{6}-[0-9a-f]{32}/);
        for (const ts of [stamp - 2, stamp - 1, stamp])
          expect(line).not.to.include(makeResetToken(app.deps.config.secretKey, row, ts));
      }
    });

    it('logs a refused login to the relay the same way', async () => {
      const app = overSmtp({ EMAIL_HOST_PASSWORD: 'wrong' });
      await makeUser({ username: 'judy', email: 'judy@example.com' });
      await app.client.post('/api/password-reset/').send({ email: 'judy@example.com' }).expect(200);
      await app.mailer.settled();
      expect(
        app.lines.some((line) => line.includes('mail not sent: giving up') && line.includes('Invalid login')),
      ).to.equal(true);
    });
  });

  describe("Django's local backends", () => {
    it('console: writes the message to standard output, its link whole on one line', async () => {
      const chunks: string[] = [];
      const stdout = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk.toString('utf8'));
          done();
        },
      });
      const app = resetApp({ EMAIL_BACKEND: 'console' }, { stdout });
      await makeUser({ username: 'ken', email: 'ken@example.com' });
      await app.client.post('/api/password-reset/').send({ email: 'ken@example.com' }).expect(200);
      await app.mailer.settled();
      const printed = chunks.join('');
      expect(printed)
        .to.match(/^Subject: Password reset for ken$/m)
        .and.to.match(/^-{79}$/m);
      const mail = await simpleParser(printed.split(/^-{79}$/m)[0]!);
      expect(mail.text).to.match(LINK);
      // Copied from the terminal as printed, not only as a mail reader decodes it.
      expect(printed).to.match(LINK);
    });

    it('file: writes each message into EMAIL_FILE_PATH', async () => {
      const dir = path.join(scratchDir(), 'mail');
      const app = resetApp({ EMAIL_BACKEND: 'file', EMAIL_FILE_PATH: dir });
      await makeUser({ username: 'liam', email: 'liam@example.com' });
      await app.client.post('/api/password-reset/').send({ email: 'liam@example.com' }).expect(200);
      await app.mailer.settled();
      const files = fs.readdirSync(dir);
      expect(files).to.have.length(1);
      expect(files[0]).to.match(/^\d{8}-\d{6}-[0-9a-f]{8}\.eml$/);
      const mail = await simpleParser(fs.readFileSync(path.join(dir, files[0]!)));
      expect(mail.subject).to.equal('Password reset for liam');
      expect(mail.text).to.match(LINK);
    });
  });
});

describe("the admin's “Send password reset link”", function () {
  let smtp: TestSmtpServer;

  before(async function () {
    requireTool(this, missingOpenssl());
    smtp = await startSmtpServer();
  });
  after(async () => smtp?.close());

  it('mails the user a working link through a CSRF-checked POST and records it in the audit log', async () => {
    const app = resetApp({ ...smtp.env() }, { tls: { ca: smtp.ca } });
    await makeUser({ username: 'root', is_staff: true, is_superuser: true });
    const target = await makeUser({ username: 'mallory', email: 'mallory@example.com' });
    const admin = await adminLogin({ username: 'root' }, PASSWORD, app.client);

    const page = await admin.get(`/admin/users/${target.id}/`);
    expect(page.text).to.include(`action="/admin/users/${target.id}/password-reset/"`);
    expect((await admin.post(`/admin/users/${target.id}/password-reset/`, {}, { csrf: null })).status).to.equal(403);
    await app.mailer.settled();
    expect(smtp.inbox).to.have.length(0);

    const waiting = smtp.waitForMessage();
    const res = await admin.post(`/admin/users/${target.id}/password-reset/`);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(`/admin/users/${target.id}/?notice=reset-sent`);
    const mail = await waiting;
    const [, uid, token] = LINK.exec(mail.text ?? '')!;
    await app.client.post('/api/password-reset/confirm/').send({ uid, token, new_password: NEW_PASSWORD }).expect(200);
    const entry = await testKnex()('admin_log').where({ action: 'send_password_reset' }).first();
    expect(entry).to.include({ actor_username: 'root', target_id: String(target.id), target_repr: 'mallory' });
  });

  it('sends nothing to a user without an email address, and refuses a staff user without change_user', async () => {
    const app = resetApp({ ...smtp.env() }, { tls: { ca: smtp.ca } });
    await makeUser({ username: 'root', is_staff: true, is_superuser: true });
    const target = await makeUser({ username: 'noemail', email: '' });
    const before = smtp.inbox.length;
    const admin = await adminLogin({ username: 'root' }, PASSWORD, app.client);
    expect((await admin.get(`/admin/users/${target.id}/`)).text).not.to.include('/password-reset/');
    const res = await admin.post(`/admin/users/${target.id}/password-reset/`);
    expect(res.headers.location).to.equal(`/admin/users/${target.id}/?notice=reset-not-sent`);
    expect(await testKnex()('admin_log').where({ action: 'send_password_reset' })).to.have.length(0);

    const viewer = await makeUser({ username: 'viewer', is_staff: true });
    await testKnex()('auth_user_user_permissions').insert({
      user_id: viewer.id,
      permission_id: (await testKnex()('auth_permission').where({ codename: 'view_user' }).first('id')).id,
    });
    const limited = await adminLogin({ username: 'viewer' }, PASSWORD, app.client);
    expect((await limited.post(`/admin/users/${target.id}/password-reset/`)).status).to.equal(403);
    await app.mailer.settled();
    expect(smtp.inbox).to.have.length(before);
  });
});
