/**
 * The login use-case under the login throttles, shared by `POST /api/token/` and the admin's login
 * form.
 *
 * @module
 */
import type { Deps } from '../deps.js';
import { AuthenticationFailedError, ThrottledError } from '../errors.js';
import { assertNotExhausted, consume, reset, type Throttles } from '../http/throttle.js';
import { loginsFailed, loginsThrottled } from '../metrics.js';
import { obtainTokenPair } from './service.js';

/** Who is logging in from where: a Koa context is one. */
export interface LoginClient {
  /** The application's throttles. */
  readonly throttles: Throttles;
  /** The client address the per-address rate counts. */
  readonly ip: string;
}

/**
 * Logs a user in under the login throttles (`THROTTLE_LOGIN_PER_IP`, `THROTTLE_LOGIN_PER_USER`).
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
  const userKey = credentials.username.toLowerCase();
  // Every attempt counts per address. Per username only failures count: guessing one account's
  // password is capped whatever the addresses, and a user's own successful logins never use up
  // the rate (failures by others can still hold that username back for one window).
  try {
    await consume(loginPerIp, client.ip);
    await assertNotExhausted(loginPerUser, userKey);
  } catch (error) {
    if (error instanceof ThrottledError) loginsThrottled.inc();
    throw error;
  }
  let tokens;
  try {
    tokens = await obtainTokenPair(deps, credentials);
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
