import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { DEV_SECRET_KEY } from '../../src/config.js';
import { RESET_DONE } from '../../src/password-reset/service.js';
import { scratchDir, startServer } from '../support/processes.js';

describe('password recovery in development (npm start, DEBUG on, no mail server)', function () {
  this.timeout(180_000);

  it('prints the reset message on the console; its link resets the demo password', async () => {
    const server = await startServer({ SECRET_KEY: DEV_SECRET_KEY, DEBUG: 'true', DATA_DIR: scratchDir() });
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post('/api/password-reset/', { email: 'admin@example.com' })).status).to.equal(200);
      // The message is printed in the background: wait for its closing line of dashes.
      while (!/Subject: Password reset for admin[\s\S]*\n-{79}\n/.test(server.output().stdout)) {
        if (server.child.exitCode !== null) throw new Error(server.output().stderr);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const stdout = server.output().stdout;
      // Django's console layout: the whole message from its first header, then the line of dashes.
      const start = stdout.lastIndexOf('\nFrom: ') + 1;
      const mail = await simpleParser(stdout.slice(start, stdout.indexOf(`\n${'-'.repeat(79)}\n`, start)));
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').to.equal('admin@example.com');
      const [, uid, token] = /\/reset\/([\w-]+)\/([0-9a-z]+-[0-9a-f]+)\//.exec(mail.text ?? '')!;
      const done = await post('/api/password-reset/confirm/', { uid, token, new_password: 'a-Fresh-demo-pass-77' });
      expect(await done.json()).to.deep.equal({ detail: String(RESET_DONE) });
      const login = await post('/api/token/', { username: 'admin', password: 'a-Fresh-demo-pass-77' });
      expect(login.status).to.equal(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
