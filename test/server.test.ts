import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import { DEV_SECRET_KEY } from '../src/config.js';
import { scratchDir, startServer } from './support/processes.js';

describe('the server process (embedded mode)', function () {
  this.timeout(180_000);

  it('starts on a bare data folder: migrates, loads roles and demo users, prints their credentials once, stops on SIGTERM', async () => {
    const env = { SECRET_KEY: DEV_SECRET_KEY, DEBUG: 'true', DATA_DIR: scratchDir() };
    const first = await startServer(env);
    try {
      expect(first.output().stdout)
        .to.include('First start: roles and demo users loaded')
        .and.to.include('demo-Admin-2026!');
      const login = await fetch(`${first.url}/api/token/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'demo-Admin-2026!' }),
      });
      expect(login.status).to.equal(200);
      expect(login.headers.getSetCookie().map((c) => c.split('=')[0])).to.deep.equal(['access_token', 'refresh_token']);
      const { access } = (await login.json()) as { access: string };
      const users = await fetch(`${first.url}/api/users/`, { headers: { Authorization: `Bearer ${access}` } });
      expect(((await users.json()) as { count: number }).count).to.equal(3);

      const second = await startServer(env, { waitForHealth: false });
      expect(await second.exited).to.equal(1);
      expect(second.output().stderr.trim().split('\n')).to.have.length(1);
      expect(second.output().stderr).to.match(/is in use by another process/);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).to.equal(0);

    const again = await startServer(env);
    try {
      expect(again.output().stdout).not.to.include('demo-Admin-2026!');
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });

  it('listens on loopback unless HOST says otherwise: another local address finds nothing', async () => {
    // The control: on this machine 127.0.0.2 reaches a socket bound to every address.
    const wildcard = net.createServer((socket) => socket.end()).listen(0, '0.0.0.0');
    await once(wildcard, 'listening');
    try {
      const reached = net.connect((wildcard.address() as net.AddressInfo).port, '127.0.0.2');
      await once(reached, 'connect');
      reached.destroy();
    } finally {
      wildcard.close();
    }
    const server = await startServer({ SECRET_KEY: DEV_SECRET_KEY, DEBUG: 'true', DATA_DIR: scratchDir(), HOST: '' });
    try {
      const { port } = new URL(server.url);
      expect((await fetch(`http://127.0.0.1:${port}/api/health/`)).status).to.equal(200);
      const elsewhere = await fetch(`http://127.0.0.2:${port}/api/health/`).catch((error: Error) => error);
      expect(elsewhere).to.be.instanceOf(Error);
      expect(((elsewhere as Error).cause as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses to start with the development SECRET_KEY when DEBUG is off', async () => {
    const server = await startServer(
      { SECRET_KEY: DEV_SECRET_KEY, DEBUG: 'false', DATA_DIR: scratchDir() },
      { waitForHealth: false },
    );
    expect(await server.exited).to.equal(1);
    expect(server.output().stderr.trim()).to.equal(
      'Configuration error: SECRET_KEY is the development default; set a generated key when DEBUG is off',
    );
  });

  it('refuses to start with DEBUG off and COOKIE_SECURE=false, or without a trusted proxy, in one line', async () => {
    const production = {
      SECRET_KEY: 'k'.repeat(40),
      DEBUG: 'false',
      DATA_DIR: scratchDir(),
      COOKIE_SECURE: 'true',
      TRUST_PROXY: '1',
    };
    const insecure = await startServer({ ...production, COOKIE_SECURE: 'false' }, { waitForHealth: false });
    expect(await insecure.exited).to.equal(1);
    expect(insecure.output().stderr.trim()).to.equal(
      'Configuration error: COOKIE_SECURE must be true when DEBUG is off (production is served over HTTPS)',
    );
    const direct = await startServer({ ...production, TRUST_PROXY: 'false' }, { waitForHealth: false });
    expect(await direct.exited).to.equal(1);
    expect(direct.output().stderr.trim()).to.match(
      /^Configuration error: TRUST_PROXY must be the number of proxies in front of the app when DEBUG is off \(1 behind the shipped nginx\)[^\n]*$/,
    );
  });
});
