/**
 * The app on a loopback port for the client tests, as a browser or a Node.js client meets it:
 * every request is recorded (method and path), token refreshes may be held back to widen the
 * window in which two of them overlap, and extra paths (a page, its script) may be served beside
 * `/api` on the same origin.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { testDeps } from '../support/app.js';

/** A running server of {@link serveApp}. */
export interface AppServer {
  /** Its origin, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** `METHOD /path` of every request so far, in order of arrival. */
  readonly requests: string[];
  /** How many requests of a method and path arrived. */
  count(method: string, path: string): number;
  close(): Promise<void>;
}

/** Options of {@link serveApp}. */
export interface ServeOptions {
  /** Configuration overrides of the app, e.g. `{ ACCESS_TOKEN_LIFETIME: '2s' }`. */
  readonly env?: Record<string, string>;
  /** Milliseconds each `POST /api/token/refresh/` waits before the app sees it (its cookie already read). */
  readonly refreshDelayMs?: number;
  /** Paths answered by the test instead of the app: path → media type and body. */
  readonly pages?: Readonly<Record<string, { type: string; body: string }>>;
}

/** Starts the app on a free loopback port. */
export async function serveApp(options: ServeOptions = {}): Promise<AppServer> {
  const callback = createApp(testDeps(options.env)).app.callback();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(`${req.method} ${path}`);
    const page = options.pages?.[path];
    if (page) {
      res.writeHead(200, { 'Content-Type': page.type, 'Cache-Control': 'no-store' }).end(page.body);
      return;
    }
    const delay = req.method === 'POST' && path === '/api/token/refresh/' ? (options.refreshDelayMs ?? 0) : 0;
    if (delay) setTimeout(() => callback(req, res), delay);
    else callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (method, path) => requests.filter((r) => r === `${method} ${path}`).length,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
