import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { launchBrowser, missingChromium, requireTool, type TestBrowser } from '../support/browser.js';
import { testDeps } from '../support/app.js';

describe('GET /api/docs/ in Chromium', function () {
  this.timeout(60_000);
  let server: Server | null = null;
  let browser: TestBrowser | null = null;
  let url = '';

  before(function () {
    requireTool(this, missingChromium());
  });

  before(async () => {
    server = createApp(testDeps()).app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('renders every operation of the schema, with the Authorize button, from this server alone', async () => {
    const { page } = browser!;
    await page.goto(`${url}/api/docs/`);
    await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 30_000 });
    const operations = await page.locator('.opblock-summary-path').allInnerTexts();
    expect(operations.map((p) => p.replace(/\u200b/g, '').trim())).to.include.members([
      '/api/token/',
      '/api/users/{id}/',
      '/api/schema/',
    ]);
    expect(await page.locator('.btn.authorize').count()).to.equal(1);
    expect(browser!.offHost).to.deep.equal([]);
  });
});
