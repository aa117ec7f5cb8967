/**
 * Test configuration: PGlite in memory by default, the PostgreSQL server of `TEST_DATABASE_URL`
 * when set. Everything else as production would have it, unless a test overrides it.
 */
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';

/** A secret key long enough for non-debug mode. */
export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef-0123456789abcdef';

/** The browser origin the tests act as (in `CORS_ALLOWED_ORIGINS`). */
export const FRONTEND_ORIGIN = 'http://localhost:5173';

/**
 * The hosts the tests' apps answer (`ALLOWED_HOSTS`): loopback as supertest and the test servers
 * address it (`127.0.0.1:<port>`), `localhost` and its subdomains, `[::1]`, and the names tests put
 * in `Host` to check links and origins (`api.example.com`, `backoffice.example.com`, `api.test`).
 */
export const TEST_ALLOWED_HOSTS =
  '127.0.0.1,localhost,.localhost,[::1],api.example.com,backoffice.example.com,api.test';

/** The local media folder of this test run (removed when the run ends). */
export const TEST_MEDIA_ROOT = path.join(os.tmpdir(), `backoffice-test-media-${process.pid}`);

/**
 * Builds a configuration for tests.
 *
 * @param env - variables to set or override
 */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    SECRET_KEY: TEST_SECRET_KEY,
    DEBUG: 'false',
    LOG_LEVEL: 'silent',
    DATA_DIR: ':memory:',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    CORS_ALLOWED_ORIGINS: FRONTEND_ORIGIN,
    ALLOWED_HOSTS: TEST_ALLOWED_HOSTS,
    // Throttling is off unless a test turns it on: the suite logs in far more often than a person.
    THROTTLE_LOGIN_PER_IP: 'off',
    THROTTLE_LOGIN_PER_USER: 'off',
    THROTTLE_USER: 'off',
    THROTTLE_ANON: 'off',
    MEDIA_ROOT: TEST_MEDIA_ROOT,
    ...env,
  });
}

/**
 * The environment of a server process started as production runs it behind the shipped nginx
 * (debug off, secure cookies, one trusted proxy, the test hosts allowed, one worker), with
 * throttling off unless a test turns it on.
 *
 * @param env - variables to set or override
 * @example
 * await startServer(productionServerEnv({ DATABASE_URL: pg.url, THROTTLE_LOGIN_PER_IP: '3/m' }));
 */
export function productionServerEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    DEBUG: 'false',
    COOKIE_SECURE: 'true',
    TRUST_PROXY: '1',
    ALLOWED_HOSTS: TEST_ALLOWED_HOSTS,
    SECRET_KEY: TEST_SECRET_KEY,
    WEB_CONCURRENCY: '1',
    THROTTLE_LOGIN_PER_IP: 'off',
    THROTTLE_LOGIN_PER_USER: 'off',
    THROTTLE_USER: 'off',
    THROTTLE_ANON: 'off',
    ...env,
  };
}
