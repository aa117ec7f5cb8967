/**
 * Headless Chromium for tests that look at pages as a reader would: Debian's browser driven by
 * playwright-core, a fresh profile each time, and no request allowed off this machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, or the one named by `CHROMIUM_PATH`. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium's flags for the tests: headless, no sandbox (root in CI), nothing fetched in the background. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Skips the calling suite with a one-line reason when a tool is missing — or fails it under
 * CI=true, where a missing tool is a broken CI setup, not a reason to pass.
 *
 * @param missing - why the suite cannot run, or null when it can
 */
export function requireTool(context: Mocha.Context, missing: string | null): void {
  if (!missing) return;
  if (process.env.CI === 'true') throw new Error(`cannot run under CI: ${missing}`);
  process.stdout.write(`      skipped: ${missing}\n`);
  context.skip();
}

/** Why Chromium cannot be used here, or null. */
export function missingChromium(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

/** A browser with a fresh profile; every request to a host other than 127.0.0.1 is refused and recorded. */
export interface TestBrowser {
  readonly page: Page;
  /** URLs the page tried to load from another host. */
  readonly offHost: string[];
  close(): Promise<void>;
}

/** Launches Chromium with a fresh `--user-data-dir`. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backoffice-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const offHost: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).hostname === '127.0.0.1') return route.continue();
    offHost.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    offHost,
    async close() {
      await context.close();
      fs.rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
