/**
 * Tokens the Django backend issued with the same `SECRET_KEY`: simplejwt's claims without this
 * project's `sid`. They stay valid across the switch-over (docs/md/security.md, "Tokens issued by
 * the Django backend"); having no session, they are refused per user instead — by a cut-off time
 * that "log out everywhere" and a password change move to now.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { OutstandingToken } from '../db/models.js';
import type { TokenClaims } from './tokens.js';

/** The table of per-user cut-offs (migration `20261202000000_django_import`). */
export const LEGACY_CUTOFF = 'auth_legacy_token_cutoff';

/**
 * Whether a session-less token was issued before its user's cut-off, i.e. is revoked.
 *
 * @param db - the knex instance or a transaction
 * @param claims - the verified claims (`user_id`, `iat`)
 * @returns `true` when the token must be refused
 * @example
 * if (claims.sid === null && (await legacyTokenRevoked(knex, claims))) throw invalidToken('Token is blacklisted');
 */
export async function legacyTokenRevoked(
  db: Knex | Knex.Transaction,
  claims: Pick<TokenClaims, 'user_id' | 'iat'>,
): Promise<boolean> {
  const row = await db(LEGACY_CUTOFF)
    .where('user_id', claims.user_id)
    .where('not_before', '>', new Date(claims.iat * 1000))
    .first(db.raw('1 as revoked'));
  return row !== undefined;
}

/**
 * Revokes every session-less token of a user issued until now (log out everywhere).
 *
 * @param db - the caller's transaction, or the knex instance
 * @example
 * await revokeLegacyTokens(trx, user.id);
 */
export async function revokeLegacyTokens(db: Knex | Knex.Transaction, userId: number): Promise<void> {
  await db.raw(
    `INSERT INTO ${LEGACY_CUTOFF} (user_id, not_before) SELECT id, now() FROM auth_user WHERE id = ?
     ON CONFLICT (user_id) DO UPDATE SET not_before = EXCLUDED.not_before`,
    [userId],
  );
}

/**
 * The session a Django refresh token belongs to here: the one its outstanding row was given by
 * `import-django`, or — for a token simplejwt issued by rotation, which it never records — a new
 * session, recorded now with the token, so that the token can be blacklisted like any other.
 *
 * @param db - the knex instance or a transaction
 * @param claims - the verified claims of a refresh token without `sid`
 * @param token - the encoded token, stored as simplejwt stores it
 * @returns the session id, or `null` when the token's user does not exist
 */
export async function legacySession(
  db: Knex | Knex.Transaction,
  claims: TokenClaims,
  token: string,
): Promise<string | null> {
  await db.raw(
    `INSERT INTO ${OutstandingToken.tableName} (user_id, jti, token, created_at, expires_at, session_id)
     SELECT id, ?, ?, ?, ?, ? FROM auth_user WHERE id = ?
     ON CONFLICT (jti) DO NOTHING`,
    [claims.jti, token, new Date(claims.iat * 1000), new Date(claims.exp * 1000), randomUUID(), claims.user_id],
  );
  const row = await OutstandingToken.query(db).where('jti', claims.jti).select('session_id', 'user_id').first();
  // A recorded row of another user (its jti reused) is no session of this one.
  return row && row.user_id === claims.user_id ? row.session_id : null;
}
