// The API reference page of the docs site: docs/md/openapi.json rendered by Redocly CLI's
// build-docs, as the mkdocs hook (docs/hooks/openapi_viewer.py) builds it, opened from a static
// server in Chromium — it must show the operations with nothing loaded from another host.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';
import { launchBrowser, missingChromium, requireTool, type TestBrowser } from '../support/browser.js';

const REDOCLY = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
  'bin',
  'cli.js',
);

describe('the API reference page (Redoc over docs/md/openapi.json) in Chromium', function () {
  this.timeout(120_000);
  let dir = '';
  let server: http.Server | null = null;
  let browser: TestBrowser | null = null;

  before(function () {
    requireTool(this, missingChromium());
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redoc-page-'));
    const home = path.join(dir, 'home');
    fs.mkdirSync(home);
    await promisify(execFile)(
      process.execPath,
      [
        REDOCLY,
        'build-docs',
        'docs/md/openapi.json',
        '--inlineBundle',
        '--template',
        'docs/redoc-template.hbs',
        '--output',
        path.join(dir, 'index.html'),
      ],
      { cwd: projectRoot, env: { PATH: process.env.PATH, HOME: home, REDOCLY_TELEMETRY: 'off' } },
    );
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      fs.createReadStream(path.join(dir, 'index.html')).pipe(res);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('renders the operations with their summaries, loading nothing from another host', async () => {
    const { page } = browser!;
    await page.goto(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`);
    await page.getByText('Backoffice API (').first().waitFor({ timeout: 60_000 });
    // The sidebar lists the operations of a tag once it is opened.
    await page.getByText('users', { exact: true }).first().click();
    await page.getByText('List users').first().waitFor({ state: 'attached', timeout: 30_000 });
    const text = (await page.locator('body').textContent()) ?? '';
    for (const summary of ['Log in', 'Create a user', 'Upload a file', 'Check health'])
      expect(text).to.include(summary);
    expect(text).to.include('page_size');
    expect(browser!.offHost).to.deep.equal([]);
  });
});
