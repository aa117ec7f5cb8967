/**
 * `flush-expired-tokens` and `generate-secret-key`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { flushExpiredTokens } from '../auth/service.js';
import type { Output } from './output.js';

/** `flush-expired-tokens`: deletes expired outstanding tokens and their blacklist rows, prints counts. */
export async function flushExpiredTokensCommand(knex: Knex, out: Output): Promise<void> {
  const { outstanding, blacklisted } = await flushExpiredTokens(knex);
  out.line(`Deleted ${outstanding} expired outstanding token(s) and ${blacklisted} blacklisted token(s).`);
}

/**
 * A new random `SECRET_KEY`: 64 URL-safe characters (384 bits).
 *
 * @example
 * generateSecretKey().length; // 64
 */
export function generateSecretKey(): string {
  return randomBytes(48).toString('base64url');
}
