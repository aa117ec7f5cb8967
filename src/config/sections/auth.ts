/**
 * The authentication section: the browser clients the API trusts, the token cookies, the JWTs'
 * lifetimes and rotation, and the request throttles.
 *
 * @module
 */
import { bool, choice, duration, got, list, optionalText, rate, section, url } from '../declare.js';

/** Authentication's variables and the part of the configuration they make. */
export const AUTH = section(
  'auth',
  {
    CORS_ALLOWED_ORIGINS: list('comma-separated origins', (origin, refuse) => {
      const bare = origin.replace(/\/$/, '');
      return URL.parse(origin)?.origin === bare
        ? bare
        : refuse(`"${origin}" is not an origin such as https://app.example.com`);
    }).means(
      "Comma-separated origins (`https://app.example.com`) allowed to call the API from a browser with credentials; also the origins trusted for cookie-authenticated unsafe requests. The API's own origin is always trusted.",
    ),
    COOKIE_SAMESITE: choice(
      ['none', 'lax', 'strict'],
      'lax',
      (issue) => `must be None, Lax or Strict, ${got(issue)}`,
    ).means(
      '`SameSite` of the `access_token`/`refresh_token` cookies: `None`, `Lax` or `Strict`. `None` (a frontend on another site) requires `COOKIE_SECURE=true`.',
    ),
    COOKIE_SECURE: bool(false).means(
      'Mark the token cookies `Secure` (sent over HTTPS only). `true` in production: with `DEBUG=false` the server refuses to start with `false` (`Configuration error: COOKIE_SECURE must be true when DEBUG is off …`); the CLI runs either way.',
    ),
    ACCESS_TOKEN_LIFETIME: duration('5m').means(
      "Lifetime of access tokens and of the `access_token` cookie (simplejwt's `ACCESS_TOKEN_LIFETIME`).",
    ),
    REFRESH_TOKEN_LIFETIME: duration('1d').means('Lifetime of refresh tokens and of the `refresh_token` cookie.'),
    ROTATE_REFRESH_TOKENS: bool(true).means(
      "A refresh also returns a new refresh token (simplejwt's `ROTATE_REFRESH_TOKENS`).",
    ),
    BLACKLIST_AFTER_ROTATION: bool(true).means(
      'The refresh token given to a rotating refresh is blacklisted at once; reusing it is 401.',
    ),
    REFRESH_REUSE_LEEWAY: duration('5s', { allowOff: true }).means(
      'A rotated refresh token presented again within this time after its rotation is refused (401) but its session lives on: two tabs refreshing at once. Presented later, the reuse means the token was stolen, and the whole session ends: every refresh and access token of that login is blacklisted at once. `0` (`off`) ends the session on any reuse.',
    ),
    SESSION_MAX_LIFETIME: duration('30d').means(
      "The absolute lifetime of a session: past this time after the login, a refresh is refused (401) however recently the session rotated, and the user signs in again. A refresh token (and its cookie) never outlives its session's end. Read at each refresh, so shortening it ends older sessions at their next refresh. At least `REFRESH_TOKEN_LIFETIME`.",
    ),
    TOKEN_BLACKLIST: bool(true).means(
      "The blacklist feature (simplejwt's `token_blacklist` app): logout, `logout-all`, blacklist after rotation, and refusing access tokens of ended sessions. `false` makes logout only clear cookies and tokens live until they expire.",
    ),
    SUPERUSER_PASSWORD: optionalText().means(
      'The password [`create-superuser`](cli.md#create-superuser) takes when `--password` is not given (else it prompts on a terminal). The server does not read it.',
    ),
    THROTTLE_LOGIN_PER_IP: rate('20/m').means('Login attempts (`POST /api/token/`) per client address.'),
    THROTTLE_LOGIN_PER_USER: rate('5/m').means(
      '**Failed** password checks per username (case-insensitive), whichever address they come from: failed logins (API and admin form) and wrong `old_password`s of `POST /api/users/me/password/`, in one bucket; a success of either clears the count.',
    ),
    THROTTLE_USER: rate('1000/m').means('Requests per authenticated user.'),
    THROTTLE_ANON: rate('100/m').means('Anonymous requests per client address.'),
    THROTTLE_PASSWORD_RESET_PER_IP: rate('10/h').means(
      'Password reset requests (`POST /api/password-reset/`) per client address, malformed ones included.',
    ),
    THROTTLE_PASSWORD_RESET_PER_EMAIL: rate('3/h').means(
      'Password reset requests per email address asked for (case-insensitive), whether or not an account has it: a mailbox cannot be flooded with links.',
    ),
    REDIS_URL: url(['redis', 'rediss']).means(
      "`redis://` or `rediss://` URL of a Redis shared by every instance for throttle counters; without it they are kept in the PostgreSQL server's `throttle` table, or in memory in embedded mode (one process).",
    ),
  },
  (e, { fail }) => {
    if (e.SESSION_MAX_LIFETIME < e.REFRESH_TOKEN_LIFETIME) {
      fail(
        'SESSION_MAX_LIFETIME',
        'must be at least REFRESH_TOKEN_LIFETIME (a session outlives each of its refresh tokens)',
      );
    }
    if (e.COOKIE_SAMESITE === 'none' && !e.COOKIE_SECURE) {
      fail('COOKIE_SAMESITE', 'None requires COOKIE_SECURE=true (browsers drop such cookies otherwise)');
    }
    return {
      /** `CORS_ALLOWED_ORIGINS`: origins allowed to call the API with credentials. */
      corsAllowedOrigins: e.CORS_ALLOWED_ORIGINS,
      /** `COOKIE_SAMESITE` and `COOKIE_SECURE`: attributes of the token cookies. */
      cookies: {
        /** `COOKIE_SAMESITE`. */
        sameSite: e.COOKIE_SAMESITE,
        /** `COOKIE_SECURE`. */
        secure: e.COOKIE_SECURE,
      },
      /** Token lifetimes (seconds) and simplejwt's rotation and blacklist switches. */
      jwt: {
        /** `ACCESS_TOKEN_LIFETIME`. */
        accessLifetime: e.ACCESS_TOKEN_LIFETIME,
        /** `REFRESH_TOKEN_LIFETIME`. */
        refreshLifetime: e.REFRESH_TOKEN_LIFETIME,
        /** `ROTATE_REFRESH_TOKENS`. */
        rotateRefreshTokens: e.ROTATE_REFRESH_TOKENS,
        /** `BLACKLIST_AFTER_ROTATION`. */
        blacklistAfterRotation: e.BLACKLIST_AFTER_ROTATION,
        /** `TOKEN_BLACKLIST`: the blacklist feature (logout, logout-all, blacklist after rotation). */
        blacklistEnabled: e.TOKEN_BLACKLIST,
        /**
         * `REFRESH_REUSE_LEEWAY`: seconds after a rotation during which presenting the rotated refresh
         * token again is refused without ending the session (two tabs racing); past it, the reuse
         * revokes the whole session. `0`: every reuse revokes.
         */
        reuseLeeway: e.REFRESH_REUSE_LEEWAY,
        /** `SESSION_MAX_LIFETIME`: seconds after login past which a session's refresh token no longer rotates. */
        sessionMaxLifetime: e.SESSION_MAX_LIFETIME,
      },
      /** `SUPERUSER_PASSWORD`: the password `create-superuser` takes when `--password` is not given. */
      superuserPassword: e.SUPERUSER_PASSWORD,
      /** `THROTTLE_*`: request rates; `null` is off. */
      throttle: {
        /** `THROTTLE_LOGIN_PER_IP`: login attempts per client address. */
        loginPerIp: e.THROTTLE_LOGIN_PER_IP,
        /** `THROTTLE_LOGIN_PER_USER`: failed password checks per username. */
        loginPerUser: e.THROTTLE_LOGIN_PER_USER,
        /** `THROTTLE_USER`: requests per authenticated user. */
        user: e.THROTTLE_USER,
        /** `THROTTLE_ANON`: anonymous requests per client address. */
        anon: e.THROTTLE_ANON,
        /** `THROTTLE_PASSWORD_RESET_PER_IP`: reset requests per client address. */
        passwordResetPerIp: e.THROTTLE_PASSWORD_RESET_PER_IP,
        /** `THROTTLE_PASSWORD_RESET_PER_EMAIL`: reset requests per email address asked for. */
        passwordResetPerEmail: e.THROTTLE_PASSWORD_RESET_PER_EMAIL,
      },
      /** `REDIS_URL`: optional shared store for throttling. */
      redisUrl: e.REDIS_URL,
    } as const;
  },
);
