/**
 * The app under test, its HTTP client and factories for the rows tests need.
 */
import { pbkdf2Sync } from 'node:crypto';
import type { Knex } from 'knex';
import { pino } from 'pino';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { PrincipalCache } from '../../src/auth/principal-cache.js';
import { obtainTokenPair } from '../../src/auth/service.js';
import type { Config } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { NoticeHub } from '../../src/db/notifications.js';
import { createStorage } from '../../src/storage/factory.js';
import { createGroup } from '../../src/groups/service.js';
import type { UserRow } from '../../src/users/presenter.js';
import { createUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import type { UserCreate } from '../../src/users/schema.js';
import { FRONTEND_ORIGIN, testConfig } from './config.js';
import { testKnex } from './hooks.js';

export { FRONTEND_ORIGIN } from './config.js';

/** The dependencies of an app on the shared test database. */
export function testDeps(env: Record<string, string | undefined> = {}, knex: Knex = testKnex()): Deps {
  const config: Config = testConfig(env);
  return {
    config,
    knex,
    logger: pino({ level: 'silent' }),
    storage: createStorage(config),
    principals: new PrincipalCache({ ttlMs: 0 }),
    notices: new NoticeHub(),
  };
}

/**
 * A supertest client of a fresh app on the shared test database.
 *
 * @param env - configuration overrides, e.g. `{ ROTATE_REFRESH_TOKENS: 'false' }`
 */
export function api(env: Record<string, string | undefined> = {}) {
  return supertest(createApp(testDeps(env)).app.callback());
}

/** A password that passes every validator. */
export const PASSWORD = 'correct-Horse-battery-9';

/**
 * A hash exactly as Django's PBKDF2PasswordHasher writes it. Many `iterations` make a check of it
 * slow: a window a test can act in while the check runs.
 */
export function djangoPbkdf2(password: string, salt = 'seasalt123', iterations = 1000): string {
  return `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64')}`;
}

let sequence = 0;

/**
 * Creates a user through the real use-case.
 *
 * @example
 * const admin = await makeUser({ is_superuser: true });
 */
export async function makeUser(overrides: Partial<UserCreate> = {}): Promise<UserRow> {
  sequence += 1;
  return createUser(testKnex(), SYSTEM_ACTOR, {
    username: `user${sequence}`,
    password: PASSWORD,
    email: `user${sequence}@example.com`,
    ...overrides,
  });
}

/** Creates a group with the given permission codenames. */
export async function makeGroup(name: string, permissions: string[] = []) {
  return createGroup(testKnex(), SYSTEM_ACTOR, { name, permissions });
}

/** Logs a user in through the real use-case and returns its tokens. */
export async function tokensFor(user: { username: string }, password = PASSWORD) {
  return obtainTokenPair(testDeps(), { username: user.username, password });
}

/** The `Authorization` header of a fresh login of the user. */
export async function bearer(user: { username: string }): Promise<string> {
  return `Bearer ${(await tokensFor(user)).access}`;
}

/** Parses `Set-Cookie` headers into name → { value, attributes (lower-cased) }. */
export function parseSetCookies(
  headers: Record<string, unknown>,
): Map<string, { value: string; attributes: Map<string, string> }> {
  const raw = headers['set-cookie'];
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  const cookies = new Map<string, { value: string; attributes: Map<string, string> }>();
  for (const line of lines) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    const attributes = new Map(
      attrs.map((a) => {
        const i = a.indexOf('=');
        return i === -1 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
      }),
    );
    cookies.set(pair!.slice(0, eq), { value: pair!.slice(eq + 1), attributes });
  }
  return cookies;
}

/** The `Origin` header a browser on the frontend sends. */
export const fromFrontend = { Origin: FRONTEND_ORIGIN };
