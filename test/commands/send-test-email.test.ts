import { expect } from 'chai';
import { TEST_SECRET_KEY } from '../support/config.js';
import { requireTool } from '../support/browser.js';
import { runCli } from '../support/processes.js';
import { missingOpenssl, SMTP_PASSWORD, startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

describe('send-test-email', function () {
  this.timeout(120_000);
  let smtp: TestSmtpServer;

  before(async function () {
    requireTool(this, missingOpenssl());
    smtp = await startSmtpServer();
  });
  after(async () => smtp?.close());

  /** The command's environment against the test server, trusting its certificate as a private relay's CA. */
  const env = (extra: Record<string, string> = {}) => ({
    SECRET_KEY: TEST_SECRET_KEY,
    ...smtp.env(),
    NODE_EXTRA_CA_CERTS: smtp.caFile,
    ...extra,
  });

  it('delivers a message through the SMTP relay (STARTTLS, authentication) and says so', async () => {
    const waiting = smtp.waitForMessage();
    const res = await runCli(['send-test-email', '--to', 'ops@example.com'], env());
    expect(res.stderr).to.equal('');
    expect(res.code).to.equal(0);
    expect(res.stdout.trim()).to.equal(
      `Sent a test message to ops@example.com through SMTP relay localhost:${smtp.port}.`,
    );
    const mail = await waiting;
    expect(mail.subject).to.equal('Test message from Backoffice');
    expect(mail.text).to.include('Backend: smtp');
    expect(smtp.sessions.at(-1)!.secure).to.equal(true);
  });

  it('fails with one line when the relay refuses the login, without the password', async () => {
    const res = await runCli(['send-test-email', '--to', 'ops@example.com'], env({ EMAIL_HOST_PASSWORD: 'wrong-one' }));
    expect(res.code).to.equal(1);
    expect(res.stderr.trim().split('\n')).to.have.length(1);
    expect(res.stderr).to.match(/^error: Invalid login/);
    expect(res.stderr + res.stdout)
      .not.to.include('wrong-one')
      .and.not.to.include(SMTP_PASSWORD);
  });

  it('prints the message on the console backend (development: no mail server needed)', async () => {
    const res = await runCli(['send-test-email', '--to', 'dev@example.com'], {
      SECRET_KEY: TEST_SECRET_KEY,
      DEBUG: 'true',
    });
    expect(res.code).to.equal(0);
    expect(res.stdout)
      .to.match(/^Subject: Test message from Backoffice$/m)
      .and.to.match(/^To: dev@example.com$/m)
      .and.to.include('Sent a test message to dev@example.com through the console (standard output).');
  });

  it('requires --to', async () => {
    const res = await runCli(['send-test-email'], { SECRET_KEY: TEST_SECRET_KEY });
    expect(res.code).to.equal(1);
    expect(res.stderr).to.include("required option '--to <address>' not specified");
  });
});
