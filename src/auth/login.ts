/**
 * The login use-case under the login throttles, shared by `POST /api/token/` and the admin's login
 * form.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.js';
import { AuthenticationFailedError, authenticationFailed, ThrottledError } from '../errors.js';
import { assertNotExhausted, consume, reset, type Throttles } from '../http/throttle.js';
import { text } from '../i18n/translate.js';
import { loginsFailed, loginsThrottled } from '../metrics.js';
import { normalizeUsername, USERNAME_MAX_LENGTH } from '../users/service.js';
import { obtainTokenPair } from './service.js';

/** Who is logging in from where: a Koa context is one. */
export interface LoginClient {
  /** The application's throttles. */
  readonly throttles: Throttles;
  /** The client address the per-address rate counts. */
  readonly ip: string;
}

/**
 * The longest input read as a username at login. NFKC composes a few characters into one (a
 * letter and three accents, at the extreme five UTF-16 units into one), so a stored name of 150
 * may be typed longer; nothing longer than this can normalise to 150. Longer input is refused
 * unread, before NFKC (which expands some characters eighteenfold) or any throttle key sees it.
 */
const LOGIN_INPUT_MAX_LENGTH = 8 * USERNAME_MAX_LENGTH;

/**
 * Logs a user in under the login throttles (`THROTTLE_LOGIN_PER_IP`, `THROTTLE_LOGIN_PER_USER`).
 *
 * The username is looked up in NFKC form, as usernames are stored, so `ａｄｍｉｎ` logs in `admin`;
 * the per-username rate counts that form lower-cased, so no spelling of a name escapes it. A
 * username no account can have (longer than 150 characters once normalised) fails at once, after
 * the per-address count and before anything is keyed on it.
 *
 * @param client - the throttles and the client address (pass the Koa context)
 * @param deps - configuration and database
 * @param credentials - the username and password as typed
 * @returns the new session's tokens
 * @throws {@link AuthenticationFailedError} for wrong credentials
 * @throws {@link "errors".ThrottledError} when a login rate is exceeded
 * @example
 * const tokens = await throttledLogin(ctx, deps, { username, password });
 */
export async function throttledLogin(
  client: LoginClient,
  deps: Deps,
  credentials: { username: string; password: string },
) {
  const { loginPerIp, loginPerUser } = client.throttles;
  await counted(consume(loginPerIp, client.ip));
  const username = loginUsername(credentials.username);
  if (username === null) {
    loginsFailed.inc();
    throw authenticationFailed(text('noActiveAccount'));
  }
  const userKey = throttleKey(username);
  // Every attempt counts per address. Per username only failures count: guessing one account's
  // password is capped whatever the addresses, and a user's own successful logins never use up
  // the rate (failures by others can still hold that username back for one window).
  await counted(assertNotExhausted(loginPerUser, userKey));
  let tokens;
  try {
    tokens = await obtainTokenPair(deps, { username, password: credentials.password });
  } catch (error) {
    if (error instanceof AuthenticationFailedError) {
      loginsFailed.inc();
      await consume(loginPerUser, userKey).catch(() => undefined);
    }
    throw error;
  }
  await reset(loginPerUser, userKey);
  return tokens;
}

/** The username a login looks up — NFKC, as stored — or `null` for one no account can have. */
function loginUsername(typed: string): string | null {
  if (typed.length > LOGIN_INPUT_MAX_LENGTH) return null;
  const username = normalizeUsername(typed);
  return username.length > USERNAME_MAX_LENGTH ? null : username;
}

/**
 * The per-username throttle key: the name lower-cased, so that no case of it escapes the rate. The
 * shared store's keys hold 255 characters, prefix included, and lower-casing lengthens one letter
 * (`İ` becomes two): a name that grows past 150 is keyed by its hash.
 */
function throttleKey(username: string): string {
  const key = username.toLowerCase();
  return key.length <= USERNAME_MAX_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** Awaits a throttle check, counting a refusal in the login metrics. */
async function counted(check: Promise<void>): Promise<void> {
  try {
    await check;
  } catch (error) {
    if (error instanceof ThrottledError) loginsThrottled.inc();
    throw error;
  }
}
