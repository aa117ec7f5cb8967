/**
 * The docs site as a reader meets it: built with typedoc + mkdocs --strict, served on a loopback
 * port, opened in headless Chromium (Debian's, driven by playwright-core).
 *
 * Needs `mkdocs` + `mkdocs-material` and `/usr/bin/chromium` (Debian packages). Where one is
 * missing the suite is skipped with a one-line reason, except under CI=true, where it fails.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { projectRoot } from '../../src/paths.js';
import { launchBrowser, missingChromium, requireTool, type TestBrowser } from '../support/browser.js';

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.xml': 'application/xml',
  '.woff2': 'font/woff2',
};

/** Why the suite cannot run here, or null when it can. */
function missingTool(): string | null {
  if (spawnSync('mkdocs', ['--version'], { encoding: 'utf8' }).status !== 0) {
    return 'mkdocs is not installed (apt-get install mkdocs mkdocs-material)';
  }
  return missingChromium();
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: projectRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** Serves a folder over HTTP on a loopback port, as a static web server would. */
async function serve(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    let file = path.join(root, path.normalize(pathname));
    if (!file.startsWith(root)) file = root;
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end(fs.readFileSync(path.join(root, '404.html')));
      return;
    }
    res.writeHead(200, { 'Content-Type': MEDIA_TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('docs site (mkdocs + typedoc, in Chromium)', function () {
  this.timeout(180_000);
  let siteDir = '';
  let site: { url: string; close: () => Promise<void> } | null = null;
  let browser: TestBrowser | null = null;
  let page: Page;

  before(function () {
    requireTool(this, missingTool());
  });

  before(async () => {
    siteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backoffice-site-'));
    run(path.join(projectRoot, 'node_modules', '.bin', 'typedoc'), []);
    run('mkdocs', ['build', '--strict', '--site-dir', siteDir]);
    site = await serve(siteDir);

    browser = await launchBrowser();
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    if (siteDir) fs.rmSync(siteDir, { recursive: true, force: true });
  });

  /** Heading text without the permalink sign the toc extension appends. */
  const heading = (text: string) => text.replace(/¶\s*$/, '').trim();

  /** The labels of the site's navigation (tabs and sidebar) on the current page. */
  async function navLabels(): Promise<string[]> {
    return page.locator('nav.md-nav--primary a.md-nav__link, nav.md-tabs a.md-tabs__link').allInnerTexts();
  }

  it('renders the home page with the navigation', async () => {
    await page.goto(`${site!.url}/`);
    expect(await page.title()).to.include('Backoffice');
    expect(heading(await page.locator('article h1').first().innerText())).to.equal('Backoffice');
    const nav = (await navLabels()).map((l) => l.trim());
    for (const label of ['REST API', 'Architecture', 'Configuration', 'Command line', 'Local setup', 'Code reference']) {
      expect(nav, label).to.include(label);
    }
  });

  it('renders the REST API page with its routes and the navigation', async () => {
    await page.goto(`${site!.url}/api/`);
    expect(heading(await page.locator('article h1').first().innerText())).to.equal('REST API');
    const headings = await page.locator('article h3').allInnerTexts();
    expect(headings.map(heading)).to.include.members(['POST /api/token/', 'GET /api/users/{id}/', 'GET /api/schema/']);
    expect(await page.locator('a.md-nav__link--active, .md-nav__link--active').count()).to.be.greaterThan(0);
    expect((await navLabels()).length).to.be.greaterThan(10);
  });

  it('renders a generated reference page with the navigation of the whole reference', async () => {
    await page.goto(`${site!.url}/reference/app/`);
    expect(heading(await page.locator('article h1').first().innerText())).to.equal('app');
    expect(await page.locator('article').innerText()).to.include('createApp').and.to.include('Builds the application.');
    const nav = (await navLabels()).map((l) => l.trim());
    expect(nav).to.include.members(['Code reference', 'app', 'config', 'authenticate', 'document']);
  });

  it('finds a code symbol with the search box', async () => {
    await page.goto(`${site!.url}/`);
    await page.locator('label.md-search__icon, .md-search__input').first().click();
    await page.locator('input.md-search__input').fill('createApp');
    const result = page.locator('.md-search-result__item a[href*="reference/app/"]').first();
    await result.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('.md-search-result').innerText()).to.include('createApp');
  });

  it('loads nothing from another host', () => {
    expect(browser!.offHost).to.deep.equal([]);
  });
});
