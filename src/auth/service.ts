/**
 * The token use-cases: log in, refresh (with rotation), verify, log out, log a user out
 * everywhere, flush expired tokens. Routes, CLI commands and the admin call these.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { BlacklistedToken, OutstandingToken, User } from '../db/models.js';
import type { Deps } from '../deps.js';
import { authenticationFailed, invalidToken } from '../errors.js';
import { tokenReuseRefused, tokenRotations } from '../metrics.js';
import { legacySession, legacyTokenRevoked, revokeLegacyTokens } from './django-tokens.js';
import { hashPassword, verifyDummyPassword, verifyPassword } from './passwords.js';
import { listable, rotate } from './rotation.js';
import { signToken, TokenError, tokenSettings, verifyToken, withExpiry, type TokenClaims } from './tokens.js';
import { text } from '../i18n/translate.js';

/** The tokens a login or refresh answers with; `refresh` is absent when a refresh does not rotate. */
export interface IssuedTokens {
  readonly access: string;
  readonly refresh?: string;
  /**
   * The refresh token's `exp` (seconds since the epoch) when one was issued: its cookie lives as
   * long, which near the session's end is less than `REFRESH_TOKEN_LIFETIME`.
   */
  readonly refreshExpiresAt?: number;
}

/**
 * What presenting a spent refresh token again did (the `outcome` label of
 * `backoffice_token_reuse_refused_total`): `revoked` ended its session, `within_leeway` left it
 * alive (the rotation was less than `REFRESH_REUSE_LEEWAY` ago: two tabs racing), `session_ended`
 * found it over already (logged out, revoked before, expired).
 */
export type ReuseOutcome = 'revoked' | 'within_leeway' | 'session_ended';

const BLACKLISTED = BlacklistedToken.tableName;

const NO_ACTIVE_ACCOUNT = text('noActiveAccount');

/**
 * Logs a user in: checks the password, updates `last_login`, re-hashes a legacy hash, and issues a
 * new session's refresh and access tokens.
 *
 * Unknown user, wrong password and inactive user give the same error after the same work.
 *
 * @throws {@link AuthenticationFailedError} (401) `No active account found with the given credentials`
 */
export async function obtainTokenPair(
  deps: Deps,
  credentials: { username: string; password: string },
): Promise<Required<IssuedTokens>> {
  const user = await User.query(deps.knex)
    .where({ username: credentials.username })
    .select('id', 'password', 'is_active')
    .first();
  if (!user) {
    await verifyDummyPassword(credentials.password);
    throw authenticationFailed(NO_ACTIVE_ACCOUNT);
  }
  const check = await verifyPassword(credentials.password, user.password);
  if (!check.valid || !user.is_active) throw authenticationFailed(NO_ACTIVE_ACCOUNT);

  const rehashed = check.needsRehash ? await hashPassword(credentials.password) : null;
  return deps.knex.transaction(async (trx) => {
    await User.query(trx)
      .findById(user.id)
      .patch({ last_login: trx.fn.now(), ...(rehashed ? { password: rehashed } : {}) });
    return issueTokens(deps, trx, user.id, randomUUID());
  });
}

/**
 * Exchanges a refresh token for a new access token, and with rotation for a new refresh token; with
 * blacklist-after-rotation the old one is dead at once (a concurrent second use loses the race).
 *
 * A spent token presented again more than `REFRESH_REUSE_LEEWAY` after its rotation was stolen or
 * replayed: its whole session is blacklisted, the successors and their access tokens included
 * (RFC 9700 §4.14.2). A session older than `SESSION_MAX_LIFETIME` no longer rotates, and the new
 * refresh token never outlives the session's end.
 *
 * @throws {@link InvalidTokenError} (401) for an invalid, expired or blacklisted token, a reused
 *   one, or a session past its lifetime
 * @throws {@link AuthenticationFailedError} (401) for an inactive user
 */
export async function refreshTokens(deps: Deps, refresh: string): Promise<IssuedTokens> {
  const claims = verifyOrThrow(deps, refresh, 'refresh');
  const { jwt } = deps.config;
  const sessionId = claims.sid ?? (await legacyRefreshSession(deps, deps.knex, claims, refresh));
  const subject = { userId: claims.user_id, sessionId };
  const settings = tokenSettings(deps);
  const access = signToken(settings, 'access', subject);
  const next = jwt.rotateRefreshTokens ? signToken(settings, 'refresh', subject) : null;

  if (!listable(claims.jti)) throw invalidToken();

  // Check and rotate in one statement (one round trip, atomic), shared with the refreshes that
  // arrive meanwhile (./rotation.ts): nothing is written unless the token is usable, the user
  // active and the session within its lifetime; of two concurrent uses one blacklists it, the
  // other finds the conflict and issues nothing. Kept as prepared SQL, not objection: a refresh is
  // the hottest write, and the query builder would need four statements in a transaction (look
  // up, check, blacklist, insert) and a row lock against a concurrent second use;
  // docs/md/architecture.md, "Data access", has the measurement.
  const rules = {
    checkBlacklist: jwt.blacklistEnabled,
    blacklistOld: jwt.blacklistEnabled && next !== null && jwt.blacklistAfterRotation,
    issue: next !== null,
    sessionMaxLifetime: jwt.sessionMaxLifetime,
  };
  const outcome = await rotate(deps.knex, rules, {
    jti: claims.jti,
    userId: claims.user_id,
    newJti: next?.claims.jti ?? '',
    newToken: next?.token ?? '',
    createdAt: new Date((next?.claims.iat ?? 0) * 1000),
    expiresAt: new Date((next?.claims.exp ?? 0) * 1000),
  });
  if (jwt.blacklistEnabled && !outcome.recorded) throw invalidToken();
  // The rare paths below run outside the batch, each in statements of its own.
  if (jwt.blacklistEnabled && outcome.wasBlacklisted) return refuseReuse(deps, claims);
  if (!outcome.active) throw authenticationFailed(text('noActiveAccountForToken'));
  if (outcome.sessionEnded) {
    // Over for good: whatever the session still holds (an access token's session check) ends too.
    await blacklistWhere(deps.knex, { session_id: sessionId });
    throw invalidToken();
  }
  if (next && !outcome.issued) return refuseReuse(deps, claims); // a concurrent use won
  if (!next) return { access: access.token };
  tokenRotations.inc();
  const successor = await capAtSessionEnd(deps, next, outcome.sessionEndsAt);
  return { access: access.token, refresh: successor.token, refreshExpiresAt: successor.claims.exp };
}

/**
 * Decides what presenting a spent (blacklisted) refresh token again does to its session: past
 * `leewaySeconds` after the token was blacklisted, every live token of the session is blacklisted —
 * the successors a rotation issued, and with them the session's access tokens; within it nothing
 * changes (two tabs refreshing at once). A token blacklisted by a logout belongs to a session that
 * is over already, whatever the time.
 *
 * @param db - the knex instance or a transaction
 * @param jti - the `jti` of the token presented
 * @param leewaySeconds - `REFRESH_REUSE_LEEWAY`; `0` revokes on any reuse
 * @returns what it did ({@link ReuseOutcome})
 * @example
 * const outcome = await revokeReusedSession(knex, claims.jti, config.jwt.reuseLeeway);
 */
export async function revokeReusedSession(
  db: Knex | Knex.Transaction,
  jti: string,
  leewaySeconds: number,
): Promise<ReuseOutcome> {
  // The blacklist row's time is the rotation's: the statement that blacklisted the token issued its
  // successor. Both ends of the comparison are the database's clock.
  const spent = await OutstandingToken.query(db)
    .alias('o')
    .joinRelated('blacklisted', { alias: 'b' })
    .where('o.jti', jti)
    .select(
      'o.session_id',
      db.raw(`now() - b.blacklisted_at >= CAST(? AS float8) * interval '1 second' AS past_leeway`, [leewaySeconds]),
    )
    .castTo<{ session_id: string; past_leeway: boolean }>()
    .first();
  // No blacklist row any more: the nightly flush removed the expired token meanwhile.
  if (!spent) return 'session_ended';
  if (!spent.past_leeway) return (await isSessionLive(db, spent.session_id)) ? 'within_leeway' : 'session_ended';
  return (await blacklistWhere(db, { session_id: spent.session_id })) > 0 ? 'revoked' : 'session_ended';
}

/**
 * Checks any token (access or refresh), as simplejwt's verify endpoint does; also refuses a token
 * whose session was blacklisted.
 *
 * @throws {@link InvalidTokenError} (401) for an invalid, expired or blacklisted token
 */
export async function verifyAnyToken(deps: Deps, token: string): Promise<void> {
  const claims = verifyOrThrow(deps, token, null);
  if (!deps.config.jwt.blacklistEnabled) return;
  if (claims.sid === null) {
    await assertLegacyTokenUsable(deps.knex, claims);
  } else if (claims.token_type === 'refresh') {
    await assertNotBlacklisted(deps.knex, claims);
  } else if (!(await isSessionLive(deps.knex, claims.sid))) {
    throw invalidToken(text('tokenBlacklisted'));
  }
}

/**
 * Logs out: blacklists the refresh token's whole session, so its access tokens stop working too.
 * Without the blacklist (`TOKEN_BLACKLIST=false`) only the token's validity is checked.
 *
 * @throws {@link InvalidTokenError} (401) for an invalid, expired or already blacklisted token
 */
export async function blacklistRefreshToken(deps: Deps, refresh: string): Promise<void> {
  const claims = verifyOrThrow(deps, refresh, 'refresh');
  if (!deps.config.jwt.blacklistEnabled) return;
  await deps.knex.transaction(async (trx) => {
    const sessionId = claims.sid ?? (await legacyRefreshSession(deps, trx, claims, refresh));
    await assertNotBlacklisted(trx, claims);
    await blacklistWhere(trx, { session_id: sessionId });
  });
}

/**
 * Blacklists every outstanding token of a user (log out everywhere), optionally sparing one session,
 * and refuses from now on the session-less tokens the Django backend issued to the user.
 *
 * @param db - a transaction of the caller's multi-step change, or the knex instance
 * @param options.exceptSessionId - a session to keep (the one changing its password)
 * @returns how many tokens were newly blacklisted
 */
export async function blacklistUserTokens(
  db: Knex | Knex.Transaction,
  userId: number,
  options: { exceptSessionId?: string } = {},
): Promise<number> {
  await revokeLegacyTokens(db, userId);
  return blacklistWhere(db, { user_id: userId }, options.exceptSessionId);
}

/**
 * Blacklists chosen outstanding tokens (the admin's "blacklist" action) together with every live
 * token of their sessions, so that the access tokens of those sessions stop working at once.
 *
 * @param db - a transaction of the caller's multi-step change, or the knex instance
 * @param tokenIds - outstanding token ids; unknown ids are ignored
 * @returns how many tokens were newly blacklisted
 */
export async function blacklistTokenSessions(
  db: Knex | Knex.Transaction,
  tokenIds: readonly number[],
): Promise<number> {
  if (tokenIds.length === 0) return 0;
  const sessions = OutstandingToken.query(db).whereIn('id', tokenIds).select('session_id');
  const ids = OutstandingToken.query(db)
    .whereIn('id', tokenIds)
    .orWhere((q) => q.whereIn('session_id', sessions).where('expires_at', '>', db.fn.now()))
    .select('id');
  return insertBlacklisted(db, ids);
}

/**
 * How many of a user's refresh tokens are live: neither expired nor blacklisted.
 *
 * @param db - the knex instance or a transaction
 * @returns the count (0 for an unknown user)
 * @example
 * const live = await liveTokenCount(knex, user.id); // the admin's "live tokens"
 */
export async function liveTokenCount(db: Knex | Knex.Transaction, userId: number): Promise<number> {
  return OutstandingToken.query(db)
    .where('user_id', userId)
    .where('expires_at', '>', db.fn.now())
    .whereNotExists(OutstandingToken.relatedQuery('blacklisted'))
    .resultSize();
}

/**
 * Deletes expired outstanding tokens and their blacklist rows (the nightly cleanup).
 *
 * @returns how many rows of each table were deleted
 */
export async function flushExpiredTokens(knex: Knex): Promise<{ outstanding: number; blacklisted: number }> {
  return knex.transaction(async (trx) => {
    const expired = OutstandingToken.query(trx).where('expires_at', '<=', trx.fn.now()).select('id');
    // Counted through RETURNING: the row count of a DELETE differs between the pg and PGlite drivers.
    const blacklisted = await BlacklistedToken.query(trx).whereIn('token_id', expired).delete().returning('id');
    const outstanding = await OutstandingToken.query(trx)
      .where('expires_at', '<=', trx.fn.now())
      .delete()
      .returning('id');
    return { outstanding: outstanding.length, blacklisted: blacklisted.length };
  });
}

/** Refuses a spent refresh token presented again, ending its session unless within the leeway. */
async function refuseReuse(deps: Deps, claims: TokenClaims): Promise<never> {
  const outcome = await revokeReusedSession(deps.knex, claims.jti, deps.config.jwt.reuseLeeway);
  tokenReuseRefused.inc({ outcome });
  if (outcome === 'revoked') {
    deps.logger.warn(
      { userId: claims.user_id, jti: claims.jti },
      'a rotated refresh token was presented again: its session is revoked',
    );
  }
  throw invalidToken(text('tokenBlacklisted'));
}

/**
 * The successor of a rotation, signed again to expire at its session's end when it would outlive
 * it; the rotation already recorded its row with that expiry, and now gets the token's text.
 */
async function capAtSessionEnd(
  deps: Deps,
  successor: { token: string; claims: TokenClaims },
  sessionEndsAt: number | null,
): Promise<{ token: string; claims: TokenClaims }> {
  if (sessionEndsAt === null || successor.claims.exp <= sessionEndsAt) return successor;
  const capped = withExpiry(tokenSettings(deps), successor.claims, sessionEndsAt);
  await OutstandingToken.query(deps.knex).where('jti', capped.claims.jti).patch({ token: capped.token });
  return capped;
}

async function issueTokens(
  deps: Deps,
  trx: Knex.Transaction,
  userId: number,
  sessionId: string,
): Promise<Required<IssuedTokens>> {
  const settings = tokenSettings(deps);
  const refresh = signToken(settings, 'refresh', { userId, sessionId });
  const access = signToken(settings, 'access', { userId, sessionId });
  await OutstandingToken.query(trx).insert({
    user_id: userId,
    jti: refresh.claims.jti,
    token: refresh.token,
    created_at: new Date(refresh.claims.iat * 1000),
    expires_at: new Date(refresh.claims.exp * 1000),
    session_id: sessionId,
  });
  return { access: access.token, refresh: refresh.token, refreshExpiresAt: refresh.claims.exp };
}

function verifyOrThrow(deps: Deps, token: string, type: 'access' | 'refresh' | null): TokenClaims {
  try {
    return verifyToken(tokenSettings(deps), token, type);
  } catch (error) {
    if (error instanceof TokenError) throw invalidToken();
    throw error;
  }
}

/**
 * The session of a refresh token issued by the Django backend (no `sid`): refused when revoked by
 * its user's cut-off; else the session its imported row has, or a new one recorded with it.
 */
async function legacyRefreshSession(
  deps: Deps,
  db: Knex | Knex.Transaction,
  claims: TokenClaims,
  token: string,
): Promise<string> {
  if (!deps.config.jwt.blacklistEnabled) return randomUUID();
  if (await legacyTokenRevoked(db, claims)) throw invalidToken(text('tokenBlacklisted'));
  const sessionId = await legacySession(db, claims, token);
  if (sessionId === null) throw invalidToken();
  return sessionId;
}

/** Refuses a session-less (Django) token revoked by its user's cut-off, or a blacklisted refresh token. */
async function assertLegacyTokenUsable(knex: Knex, claims: TokenClaims): Promise<void> {
  if (await legacyTokenRevoked(knex, claims)) throw invalidToken(text('tokenBlacklisted'));
  if (claims.token_type !== 'refresh') return;
  const row = await OutstandingToken.query(knex)
    .where('jti', claims.jti)
    .select('id', OutstandingToken.relatedQuery('blacklisted').select('id').as('blacklisted_id'))
    .castTo<{ id: number; blacklisted_id: number | null }>()
    .first();
  // Unrecorded is valid: simplejwt does not record the refresh tokens it issues by rotation.
  if (row && row.blacklisted_id !== null) throw invalidToken(text('tokenBlacklisted'));
}

async function assertNotBlacklisted(db: Knex | Knex.Transaction, claims: TokenClaims): Promise<{ id: number }> {
  const row = await OutstandingToken.query(db)
    .alias('o')
    .where('o.jti', claims.jti)
    .select('o.id', OutstandingToken.relatedQuery('blacklisted').select('id').as('blacklisted_id'))
    .castTo<{ id: number; blacklisted_id: number | null }>()
    .first();
  // A token signed with our key but never recorded (its rows were flushed, or the database was reset).
  if (!row) throw invalidToken();
  if (row.blacklisted_id !== null) throw invalidToken(text('tokenBlacklisted'));
  return { id: row.id };
}

async function isSessionLive(knex: Knex | Knex.Transaction, sessionId: string | null): Promise<boolean> {
  if (sessionId === null) return false;
  const row = await OutstandingToken.query(knex)
    .where('session_id', sessionId)
    .where('expires_at', '>', knex.fn.now())
    .whereNotExists(OutstandingToken.relatedQuery('blacklisted'))
    .select(knex.raw('1 as live'))
    .first();
  return row !== undefined;
}

async function blacklistWhere(
  db: Knex | Knex.Transaction,
  where: { session_id: string } | { user_id: number },
  exceptSessionId?: string,
): Promise<number> {
  const ids = OutstandingToken.query(db)
    .where(where)
    .where('expires_at', '>', db.fn.now())
    .modify((q) => {
      if (exceptSessionId) q.whereNot('session_id', exceptSessionId);
    })
    .select('id');
  return insertBlacklisted(db, ids);
}

/** Blacklists the outstanding tokens a subquery selects; returns how many were newly blacklisted. */
async function insertBlacklisted(
  db: Knex | Knex.Transaction,
  ids: ReturnType<typeof OutstandingToken.query>,
): Promise<number> {
  // INSERT … SELECT … ON CONFLICT DO NOTHING: objection inserts objects, not a subquery's rows, and
  // one statement keeps a concurrent blacklisting from failing on the unique token_id.
  const inserted = await db.raw<{ rows: unknown[] }>(
    'INSERT INTO ?? (token_id) ? ON CONFLICT (token_id) DO NOTHING RETURNING id',
    [BLACKLISTED, ids.toKnexQuery()],
  );
  return inserted.rows.length;
}
