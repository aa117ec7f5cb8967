/**
 * The admin panel in a real browser (Debian's Chromium driven by playwright-core): a staff user
 * closes a suspicious user's access and the API refuses that user at once; a non-staff user is
 * refused. A screenshot of each page goes to `test-artifacts/admin/`.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../src/app.js';
import { CHROMIUM, CHROMIUM_ARGS, missingChromium, requireTool } from '../support/browser.js';
import { api, makeGroup, makeUser, PASSWORD, testDeps, tokensFor } from '../support/app.js';
import { testKnex } from '../support/hooks.js';
import { ROOT } from '../support/processes.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts/admin');

describe('admin panel in a browser', function () {
  this.timeout(180_000);
  let server: http.Server;
  let base = '';
  let context: BrowserContext;
  let userDataDir = '';

  before(async function () {
    requireTool(this, missingChromium());
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = http.createServer(createApp(testDeps()).app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
    });
    // No request may leave the machine: anything but this server is refused and fails the test.
    await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  });

  after(async () => {
    await context?.close();
    if (server) await new Promise((resolve) => server.close(resolve));
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  async function login(page: Page, username: string): Promise<void> {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('lets a staff user find a suspicious user and close their access; the API refuses that user at once', async () => {
    await makeGroup('support', ['view_user', 'view_group']);
    await makeUser({ username: 'operator', first_name: 'Olga', is_staff: true, is_superuser: true });
    const suspect = await makeUser({ username: 'suspect', email: 'suspect@example.com', groups: ['support'] });
    for (let i = 1; i <= 4; i += 1) await makeUser({ username: `colleague${i}`, email: `colleague${i}@example.com` });
    const phone = await tokensFor(suspect);
    const laptop = await tokensFor(suspect);
    const me = (access: string) => api().get('/api/users/me/').set('Authorization', `Bearer ${access}`);
    expect((await me(phone.access)).status).to.equal(200);

    const page = await context.newPage();
    const failures: string[] = [];
    page.on('requestfailed', (r) => failures.push(r.url()));

    await page.goto(`${base}/admin/`);
    expect(page.url()).to.equal(`${base}/admin/login/?next=%2Fadmin%2F`);
    await shot(page, '01-login');
    await login(page, 'operator');
    await page.getByRole('heading', { name: 'Site administration' }).waitFor();
    await shot(page, '02-home');

    await page.getByRole('link', { name: 'Users' }).first().click();
    await shot(page, '03-users');
    await page.getByLabel('Search').fill('suspect');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('link', { name: 'suspect', exact: true }).click();
    await page.getByRole('heading', { name: 'Change user suspect' }).waitFor();
    expect(await page.content()).to.include('2 live refresh tokens');
    await shot(page, '04-user-change');

    // One session (the phone) is blacklisted from the tokens list.
    await page.getByRole('button', { name: 'Tokens', exact: true }).click();
    expect(page.url()).to.equal(`${base}/admin/tokens/?user=suspect`);
    const phoneId = await testKnex()('token_blacklist_outstandingtoken').where({ token: phone.refresh }).first('id');
    await page.getByLabel(`select token ${phoneId.id}`).check();
    await shot(page, '05-tokens');
    await page.getByRole('button', { name: 'Blacklist selected tokens' }).click();
    await page.getByText('The selected tokens and their sessions were blacklisted.').waitFor();
    expect((await me(phone.access)).status).to.equal(401);
    expect((await me(laptop.access)).status).to.equal(200);

    // Then every session: log out everywhere, and deactivate.
    await page.goto(`${base}/admin/users/${suspect.id}/`);
    await page.getByRole('button', { name: 'Log out everywhere (blacklist all tokens)' }).click();
    await page.getByText('Every token of the user was blacklisted').waitFor();
    await shot(page, '06-user-logged-out');
    const refused = await me(laptop.access);
    expect(refused.status).to.equal(401);
    expect(refused.body.code).to.equal('token_not_valid');
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByText('The user was deactivated').waitFor();
    expect((await api().post('/api/token/').send({ username: 'suspect', password: PASSWORD })).status).to.equal(401);

    await page.goto(`${base}/admin/users/${suspect.id}/password/`);
    await shot(page, '07-user-password');
    await page.goto(`${base}/admin/users/add/`);
    await shot(page, '08-user-add');
    await page.goto(`${base}/admin/tokens/blacklisted/`);
    await shot(page, '09-tokens-blacklisted');
    await page.goto(`${base}/admin/groups/`);
    await shot(page, '10-groups');
    await page.getByRole('link', { name: 'support' }).click();
    await shot(page, '11-group-change');
    await page.goto(`${base}/admin/log/`);
    const log = await page.content();
    for (const action of ['login', 'blacklist_tokens', 'logout_everywhere', 'deactivate_user'])
      expect(log).to.include(action);
    await shot(page, '12-audit-log');

    await page.getByRole('button', { name: /Log out operator/ }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(failures).to.deep.equal([]);
    await page.close();
  });

  it('refuses a non-staff user with a clear page', async () => {
    await makeUser({ username: 'alice' });
    await context.clearCookies();
    const page = await context.newPage();
    await login(page, 'alice');
    await page.getByRole('heading', { name: 'Access refused' }).waitFor();
    expect(await page.textContent('main')).to.include('not a staff account');
    await shot(page, '13-refused-non-staff');
    // No admin session was opened: the panel still asks for a login.
    await page.goto(`${base}/admin/users/`);
    expect(page.url()).to.match(/\/admin\/login\/\?next=/);
    await page.close();
  });
});
