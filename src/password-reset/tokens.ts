/**
 * Password reset tokens with the semantics and the format of Django's `PasswordResetTokenGenerator`
 * (Django 3.1 and later), so that a link Django sent keeps working here and the other way round:
 * `<seconds since 2001-01-01 in base 36>-<every other hex digit of an HMAC-SHA256>`, keyed by
 * `SECRET_KEY` through Django's `salted_hmac`, over the user's id, password hash, last login (to the
 * second, UTC), the timestamp and the email. A new password or a new login changes the hash, so a
 * token works once; the timestamp makes it expire.
 *
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a token is made of: the user's state it dies with. */
export interface ResetTokenUser {
  readonly id: number;
  /** The password hash as stored. */
  readonly password: string;
  readonly last_login: Date | null;
  readonly email: string | null;
}

/** Django's key salt, part of the HMAC key: a different salt would make Django's links fail here. */
const KEY_SALT = 'django.contrib.auth.tokens.PasswordResetTokenGenerator';

/** 2001-01-01T00:00:00Z, Django's epoch for these tokens. */
const EPOCH_MS = Date.UTC(2001, 0, 1);

/**
 * Seconds from 2001-01-01 to a moment, whole, as Django's `_num_seconds`.
 *
 * @example
 * secondsSince2001(new Date('2001-01-01T00:01:00Z')); // 60
 */
export function secondsSince2001(moment: Date): number {
  return Math.floor((moment.getTime() - EPOCH_MS) / 1000);
}

/**
 * Makes the token of a user at a timestamp.
 *
 * @param secret - `SECRET_KEY`
 * @param user - the user's current id, hash, last login and email
 * @param timestamp - seconds since 2001-01-01 ({@link secondsSince2001})
 * @returns `<timestamp base 36>-<32 hex digits>`
 * @example
 * makeResetToken(config.secretKey, user, secondsSince2001(new Date())); // 'cr3qzp-6d1c…'
 */
export function makeResetToken(secret: string, user: ResetTokenUser, timestamp: number): string {
  // salted_hmac: the key is the digest of salt + secret, the message the hash value.
  const key = createHash('sha256')
    .update(KEY_SALT + secret)
    .digest();
  const digest = createHmac('sha256', key).update(hashValue(user, timestamp)).digest('hex');
  let every2nd = '';
  for (let i = 0; i < digest.length; i += 2) every2nd += digest[i];
  return `${timestamp.toString(36)}-${every2nd}`;
}

/**
 * Checks a token as Django's `check_token` does: well formed, made from the user's current state,
 * and not older than `timeoutSeconds`.
 *
 * @param now - the moment of the check
 * @returns whether the token is valid now
 * @example
 * checkResetToken(config.secretKey, user, token, config.passwordReset.timeoutSeconds, new Date());
 */
export function checkResetToken(
  secret: string,
  user: ResetTokenUser,
  token: string,
  timeoutSeconds: number,
  now: Date,
): boolean {
  const parts = token.split('-');
  if (parts.length !== 2 || !/^[0-9a-z]{1,13}$/.test(parts[0]!)) return false;
  const timestamp = parseInt(parts[0]!, 36);
  if (!Number.isSafeInteger(timestamp)) return false;
  const expected = Buffer.from(makeResetToken(secret, user, timestamp));
  const given = Buffer.from(token);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  return secondsSince2001(now) - timestamp <= timeoutSeconds;
}

/**
 * Django's `urlsafe_base64_encode(force_bytes(pk))`: the id's decimal digits in URL-safe base 64
 * without padding (`1` is `MQ`).
 *
 * @example
 * encodeUid(42); // 'NDI'
 */
export function encodeUid(id: number): string {
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

/**
 * Reads a uid back into a user id, or `null` when it is not one ({@link encodeUid}'s inverse).
 *
 * @example
 * decodeUid('NDI'); // 42
 */
export function decodeUid(uid: string): number | null {
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(uid)) return null;
  const digits = Buffer.from(uid, 'base64url').toString('utf8');
  if (!/^[1-9]\d{0,9}$/.test(digits)) return null;
  const id = Number(digits);
  return id <= 2_147_483_647 ? id : null;
}

/** Django's `_make_hash_value`: `f'{pk}{password}{login_timestamp}{timestamp}{email}'`. */
function hashValue(user: ResetTokenUser, timestamp: number): string {
  return `${user.id}${user.password}${loginTimestamp(user.last_login)}${timestamp}${user.email ?? ''}`;
}

/** Python's `str(last_login.replace(microsecond=0, tzinfo=None))` of a UTC moment: `2026-12-02 04:21:56`. */
function loginTimestamp(lastLogin: Date | null): string {
  if (lastLogin === null) return '';
  return lastLogin.toISOString().slice(0, 19).replace('T', ' ');
}
