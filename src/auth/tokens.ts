/**
 * JWTs in simplejwt's layout: HS256, claims `token_type`, `exp`, `iat`, `jti`, `user_id`.
 *
 * One claim goes beyond simplejwt: `sid`, the session (login) a token belongs to. Refresh tokens
 * keep it across rotations and access tokens carry it, so that blacklisting a session refuses its
 * access tokens at once. Tokens the Django backend issued with the same key have no `sid`; they
 * verify with `sid: null`, and the services apply the rules of such "legacy" tokens
 * (docs/md/security.md, "Tokens issued by the Django backend").
 *
 * @module
 */
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import type { Deps } from '../deps.js';

/** `access` or `refresh`, as in simplejwt's `token_type` claim. */
export type TokenType = 'access' | 'refresh';

/** The verified claims of a token. */
export interface TokenClaims {
  readonly token_type: TokenType;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** The token's unique id: 32 hex digits, as simplejwt's `uuid4().hex`. */
  readonly jti: string;
  readonly user_id: number;
  /** The session id (a UUID), shared by every token of one login; `null` for a token Django issued. */
  readonly sid: string | null;
}

/** Signing key and lifetimes (seconds). */
export interface TokenSettings {
  readonly secretKey: string;
  readonly accessLifetime: number;
  readonly refreshLifetime: number;
}

/**
 * The token signing settings from the configuration.
 *
 * @param deps - the configuration (`SECRET_KEY`, the JWT lifetimes)
 * @returns the key and lifetimes {@link signToken} and {@link verifyToken} take
 * @example
 * verifyToken(tokenSettings(deps), token, 'access');
 */
export function tokenSettings(deps: Pick<Deps, 'config'>): TokenSettings {
  const { secretKey, jwt } = deps.config;
  return { secretKey, accessLifetime: jwt.accessLifetime, refreshLifetime: jwt.refreshLifetime };
}

/** Thrown when a token fails verification; `reason` is simplejwt's message for it. */
export class TokenError extends Error {
  override name = 'TokenError';
}

const ALGORITHM = 'HS256';

let signingKey: { secret: string; key: KeyObject } | null = null;

/**
 * The HMAC key as a `KeyObject`, made once per secret. Given a string, jsonwebtoken first tries to
 * parse it as a PEM public key on every call — an exception per request that cost a quarter of the
 * worker's CPU on `GET /api/users/me/` (see docs/md/benchmarks.md).
 */
function keyOf(secret: string): KeyObject {
  if (signingKey?.secret !== secret) signingKey = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return signingKey.key;
}

/**
 * Access tokens this process has verified, by their text, with the key that verified them. A
 * token's claims cannot change, so a hit needs only the expiry and type checks — not the HMAC,
 * the base64 and the JSON parse that were a tenth of an authenticated request's CPU. Revocation is
 * not affected: it is the session check's job, made on every request.
 */
const verifiedAccessTokens = new LRUCache<string, { secret: string; claims: TokenClaims }>({ max: 10_000 });

/** A new token id: 32 hex digits. */
export function newJti(): string {
  return randomUUID().replaceAll('-', '');
}

/**
 * Signs a token of the given type.
 *
 * @param type - `access` or `refresh`; sets `token_type` and the lifetime
 * @param subject - the user and the session the token belongs to
 * @param now - the issue time in seconds (tests pass their own clock)
 * @returns the encoded token with its claims
 * @example
 * const { token } = signToken(settings, 'access', { userId: 1, sessionId: randomUUID() });
 */
export function signToken(
  settings: TokenSettings,
  type: TokenType,
  subject: { userId: number; sessionId: string },
  now = Math.floor(Date.now() / 1000),
): { token: string; claims: TokenClaims } {
  const lifetime = type === 'access' ? settings.accessLifetime : settings.refreshLifetime;
  const claims: TokenClaims = {
    token_type: type,
    exp: now + lifetime,
    iat: now,
    jti: newJti(),
    user_id: subject.userId,
    sid: subject.sessionId,
  };
  return { token: jwt.sign(claims, keyOf(settings.secretKey), { algorithm: ALGORITHM }), claims };
}

/**
 * Signs a token again with an earlier expiry and every other claim unchanged (its `jti` included).
 *
 * @param claims - the claims of a token {@link signToken} made
 * @param exp - the new expiry, seconds since the epoch
 * @returns the encoded token with its claims
 * @example
 * const capped = withExpiry(settings, next.claims, sessionEndsAt); // never past the session's end
 */
export function withExpiry(
  settings: TokenSettings,
  claims: TokenClaims,
  exp: number,
): { token: string; claims: TokenClaims } {
  const capped: TokenClaims = { ...claims, exp };
  return { token: jwt.sign(capped, keyOf(settings.secretKey), { algorithm: ALGORITHM }), claims: capped };
}

/**
 * Verifies a token's signature, algorithm, expiry and claims.
 *
 * Only HS256 is accepted, so `alg: none` and algorithm-confusion tokens fail here.
 *
 * @param expected - the required `token_type`, or `null` to accept either (simplejwt's `UntypedToken`)
 * @returns the claims
 * @throws {@link TokenError} for any token that is not valid
 */
export function verifyToken(settings: TokenSettings, token: string, expected: TokenType | null): TokenClaims {
  const claims = knownClaims(settings, token) ?? decodeToken(settings, token);
  if (expected !== null && claims.token_type !== expected) throw new TokenError('Token has wrong type');
  return claims;
}

/** The claims of an access token verified before with the same key, or `undefined` for one not seen. */
function knownClaims(settings: TokenSettings, token: string): TokenClaims | undefined {
  const known = verifiedAccessTokens.get(token);
  if (known?.secret !== settings.secretKey) return undefined;
  // jsonwebtoken's rule: expired once the clock reaches `exp`.
  if (Math.floor(Date.now() / 1000) >= known.claims.exp) {
    verifiedAccessTokens.delete(token);
    throw new TokenError('Token is expired');
  }
  return known.claims;
}

/** Verifies signature, algorithm and expiry, and checks the claims' shape. */
function decodeToken(settings: TokenSettings, token: string): TokenClaims {
  let payload: unknown;
  try {
    payload = jwt.verify(token, keyOf(settings.secretKey), { algorithms: [ALGORITHM] });
  } catch (error) {
    throw new TokenError((error as Error).name === 'TokenExpiredError' ? 'Token is expired' : 'Token is invalid');
  }
  if (!isClaims(payload)) throw new TokenError('Token has no id');
  const claims: TokenClaims = { ...payload, sid: payload.sid ?? null };
  if (claims.token_type === 'access') verifiedAccessTokens.set(token, { secret: settings.secretKey, claims });
  return claims;
}

/** simplejwt's claims, with or without this project's `sid` (Django's tokens have none). */
function isClaims(value: unknown): value is Omit<TokenClaims, 'sid'> & { sid?: string } {
  const c = value as Partial<Record<keyof TokenClaims, unknown>> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    (c.token_type === 'access' || c.token_type === 'refresh') &&
    typeof c.jti === 'string' &&
    (c.sid === undefined || typeof c.sid === 'string') &&
    Number.isSafeInteger(c.user_id) &&
    typeof c.exp === 'number' &&
    typeof c.iat === 'number'
  );
}
