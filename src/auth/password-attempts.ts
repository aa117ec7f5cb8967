/**
 * The per-user password bucket: every check of a user's password outside the login — today the
 * own password change's `old_password` — counts its failures in the bucket of failed logins
 * (`THROTTLE_LOGIN_PER_USER`), under the same key, so that alternating a login form and a password
 * change gains nothing over either alone.
 *
 * @module
 */
import { assertNotExhausted, consume, reset, type Throttles } from '../http/throttle.js';

/**
 * The key of a username in the per-user password bucket: NFKC-normalised (Django's
 * `normalize_username`) and lower-cased, so that every spelling of one account shares a bucket.
 *
 * @param username - as typed at a login, or as stored on the account
 * @returns the bucket's key
 * @example
 * passwordAttemptKey('Ａlice'); // 'alice'
 */
export function passwordAttemptKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

/**
 * Runs a check of a user's password under the per-user password bucket: refused at once (429,
 * before any hashing) while the bucket is exhausted; a failure (`isWrongPassword`) counts against
 * it, a success clears it as a successful login does; any other failure (a weak new password)
 * neither counts nor clears.
 *
 * @param throttles - the application's throttles (`ctx.throttles`)
 * @param username - the account's username
 * @param check - the use-case that checks the password (and does the rest of its work)
 * @param isWrongPassword - whether an error `check` threw means the password was wrong
 * @returns what `check` returned
 * @throws {@link "errors".ThrottledError} (429) while the bucket is exhausted; else what `check` throws
 * @example
 * await throttledPasswordCheck(ctx.throttles, me.username, () => changePassword(...), isWrongOldPassword);
 */
export async function throttledPasswordCheck<T>(
  throttles: Pick<Throttles, 'loginPerUser'>,
  username: string,
  check: () => Promise<T>,
  isWrongPassword: (error: unknown) => boolean,
): Promise<T> {
  const key = passwordAttemptKey(username);
  await assertNotExhausted(throttles.loginPerUser, key);
  let result: T;
  try {
    result = await check();
  } catch (error) {
    if (isWrongPassword(error)) await consume(throttles.loginPerUser, key).catch(() => undefined);
    throw error;
  }
  await reset(throttles.loginPerUser, key);
  return result;
}
