/**
 * No default accounts in production (ASVS 2.5.4): the passwords this repository publishes — the
 * demo accounts of `seeds/demo-users.json` and the examples of the documentation — must not open
 * any account of a server that starts with `DEBUG=false`.
 *
 * @module
 */
import type { Knex } from 'knex';
import { verifyPassword } from '../auth/passwords.js';
import { User } from '../db/models.js';
import { demoCredentials } from './service.js';

/** A username and a password published together, and where. */
export interface PublishedCredential {
  readonly username: string;
  readonly password: string;
  /** The file that publishes it, relative to the project root. */
  readonly source: string;
}

/** The demo accounts' file, which `setup-project` and the first debug start load. */
const DEMO_USERS = 'seeds/demo-users.json';

/**
 * The accounts the documentation's examples create or change, with their passwords. The pages are
 * not shipped with the image, so the list is kept here; a test reads the pages and fails on an
 * example missing from it (test/ops/production-start.test.ts).
 */
export const DOCUMENTED_CREDENTIALS: readonly PublishedCredential[] = Object.freeze([
  { username: 'root', password: 'a-Long-unique-passphrase-7', source: 'docs/md/cli.md' },
  { username: 'alice', password: 'correct-Horse-battery-9', source: 'docs/md/api.md' },
  { username: 'viewer', password: 'a-Much-better-one-42', source: 'docs/md/api.md' },
]);

/**
 * Every username and password the repository publishes: the demo accounts, then the documented
 * examples.
 *
 * @returns the credentials, each with its source
 */
export function publishedCredentials(): PublishedCredential[] {
  return [...demoCredentials().map((c) => ({ ...c, source: DEMO_USERS })), ...DOCUMENTED_CREDENTIALS];
}

/** An account that a published password opens. */
export interface ExposedAccount {
  readonly username: string;
  /** Where the password that opens it is published. */
  readonly source: string;
}

/**
 * The accounts a published password opens. Only accounts whose username is published are looked
 * at (compared case-insensitively), each against every published password until one verifies: a
 * handful of hash checks at a start, not one per account.
 *
 * @param db - the knex instance
 * @param published - the credentials to try ({@link publishedCredentials} by default)
 * @returns the accounts opened, in username order; empty when none
 * @example
 * const exposed = await accountsWithPublishedPasswords(knex);
 */
export async function accountsWithPublishedPasswords(
  db: Knex,
  published: readonly PublishedCredential[] = publishedCredentials(),
): Promise<ExposedAccount[]> {
  const usernames = [...new Set(published.map((c) => c.username.toLowerCase()))];
  const accounts = await User.query(db)
    .whereIn(db.raw('lower(username)'), usernames)
    .orderBy('username')
    .select('username', 'password');
  const exposed: ExposedAccount[] = [];
  for (const account of accounts) {
    for (const credential of published) {
      if ((await verifyPassword(credential.password, account.password)).valid) {
        exposed.push({ username: account.username, source: credential.source });
        break;
      }
    }
  }
  return exposed;
}

/**
 * Why a production server must not start with this database: the accounts a published password
 * opens, each with the way out.
 *
 * @param db - the knex instance
 * @returns the message, one line per account, or `null` when no published password opens any
 * @example
 * const problem = await publishedPasswordProblem(knex);
 * if (problem) exitWithError(problem);
 */
export async function publishedPasswordProblem(db: Knex): Promise<string | null> {
  const exposed = await accountsWithPublishedPasswords(db);
  if (exposed.length === 0) return null;
  return [
    'Refusing to start with DEBUG=false: a password this repository publishes opens an account.',
    ...exposed.map(
      ({ username, source }) =>
        `  account '${username}' still has the ${source === DEMO_USERS ? 'demo ' : ''}password from ${source}: ` +
        `change it with \`npm run cli -- change-password --username ${username}\` ` +
        `(in the image: \`node dist/cli.js change-password --username ${username}\`) or delete the account.`,
    ),
  ].join('\n');
}
