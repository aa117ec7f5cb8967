/**
 * Two tabs of one origin in headless Chromium (Debian's, driven by playwright-core), the page and
 * the API on the same origin, cookie mode, access tokens that expire together: both tabs stay
 * logged in, because the tabs take turns to refresh (Web Locks) and the second, reading the first
 * one's refresh in the count the tabs keep in IndexedDB, retries with the cookie it set. The control runs the same page with the lock turned off and
 * expects a tab to be logged out — the refresh token is rotated and blacklisted after rotation —
 * so the first case cannot pass by luck of timing.
 */
import path from 'node:path';
import { expect } from 'chai';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { launchBrowser, missingChromium, requireTool, type TestBrowser } from '../support/browser.js';
import { makeUser, PASSWORD } from '../support/app.js';
import { ROOT } from '../support/processes.js';
import { serveApp, type AppServer } from './server.js';
import type { PageApi } from './browser/page.js';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPA</title><link rel="icon" href="data:,"></head>
<body><script type="module" src="/app.js"></script></body></html>
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

declare const backoffice: PageApi;

describe('client package in two browser tabs (cookie mode)', function () {
  this.timeout(120_000);
  let script = '';
  let browser: TestBrowser | undefined;
  let server: AppServer | undefined;

  before(async function () {
    requireTool(this, missingChromium());
    const bundled = await build({
      entryPoints: [path.join(ROOT, 'test/client/browser/page.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
    });
    script = bundled.outputFiles[0]!.text;
  });

  afterEach(async () => {
    await browser?.close();
    await server?.close();
    browser = server = undefined;
  });

  /** Logs in in one tab, opens a second, lets the access cookie expire, then asks for /me in both at once. */
  async function expireTogether(query: string) {
    server = await serveApp({
      env: { ACCESS_TOKEN_LIFETIME: '2s' },
      // Both refreshes are in flight before the first is answered, as on a slow network.
      refreshDelayMs: 400,
      pages: {
        '/': { type: 'text/html; charset=utf-8', body: PAGE },
        '/app.js': { type: 'text/javascript', body: script },
      },
    });
    await makeUser({ username: 'ann' });
    browser = await launchBrowser();
    const tabs: Page[] = [browser.page, await browser.page.context().newPage()];
    for (const tab of tabs) {
      await tab.goto(`${server.url}/${query}`);
      await tab.waitForFunction(() => 'backoffice' in globalThis);
    }
    await tabs[0]!.evaluate((password) => backoffice.login('ann', password), PASSWORD);
    for (const tab of tabs)
      expect(await tab.evaluate(() => backoffice.me())).to.deep.equal({ status: 200, username: 'ann' });
    await sleep(2_500);
    const answers = await Promise.all(tabs.map((tab) => tab.evaluate(() => backoffice.me())));
    const ends = await Promise.all(tabs.map((tab) => tab.evaluate(() => backoffice.sessionEnds())));
    const counted = await Promise.all(tabs.map((tab) => tab.evaluate(() => backoffice.sharedRefreshes())));
    expect(browser.offHost).to.deep.equal([]);
    return { answers, ends, counted, refreshes: server.count('POST', '/api/token/refresh/') };
  }

  it('keeps both tabs logged in: one refresh, the other tab retries with its cookie', async () => {
    const { answers, ends, counted, refreshes } = await expireTogether('');
    expect(answers).to.deep.equal([
      { status: 200, username: 'ann' },
      { status: 200, username: 'ann' },
    ]);
    expect(ends).to.deep.equal([0, 0]);
    expect(refreshes).to.equal(1);
    // The refreshing tab counted it in IndexedDB before the lock went, and both tabs read it.
    expect(counted).to.deep.equal([1, 1]);
  });

  it('control: without the cross-tab lock the second refresh spends a rotated token and a tab is logged out', async () => {
    const { answers, ends, refreshes } = await expireTogether('?crossTab=off');
    expect(refreshes).to.equal(2);
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 401]);
    expect(ends.sort()).to.deep.equal([0, 1]);
  });
});
