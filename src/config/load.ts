/**
 * The loader: validates an environment against {@link EnvSchema} and shapes it into the
 * {@link Config} the application reads, with the checks that concern several variables at once.
 *
 * @module
 */
import path from 'node:path';
import { EnvSchema, type ThrottleRate } from './schema.js';

/** The development default of `SECRET_KEY` shipped in `.env`; refused when `DEBUG` is off. */
export const DEV_SECRET_KEY = 'dev-insecure-secret-key-change-me-in-production-0000';

/**
 * The hosts a development server answers when `ALLOWED_HOSTS` is empty, as Django's with `DEBUG`:
 * `localhost` and its subdomains, and the loopback addresses.
 */
export const DEBUG_ALLOWED_HOSTS: readonly string[] = Object.freeze(['.localhost', '127.0.0.1', '[::1]']);

/** Where the relational data lives. */
export type DatabaseConfig =
  | {
      /** Embedded PostgreSQL (PGlite) in a directory, or in memory when `dataDir` is `null`. */
      readonly kind: 'pglite';
      readonly dataDir: string | null;
    }
  | {
      /** A PostgreSQL server. */
      readonly kind: 'postgres';
      readonly connectionString: string;
      /** Upper bound of the connection pool per process. */
      readonly poolMax: number;
      /**
       * `DATABASE_STATEMENT_TIMEOUT`: seconds a statement of the server's may run before PostgreSQL
       * cancels it (a 503 to the client); `0` lets statements run as long as they take. The CLI
       * (migrations, imports) runs without it.
       */
      readonly statementTimeout: number;
    };

/** Where uploaded files live. */
export type StorageConfig =
  | {
      /** A folder on this machine (`MEDIA_ROOT`, default `DATA_DIR/media`). */
      readonly kind: 'local';
      readonly root: string;
    }
  | {
      readonly kind: 's3';
      /** Full URL of the S3 endpoint, e.g. `http://minio:9000`. */
      readonly url: string;
      /** `MINIO_PUBLIC_URL`: the endpoint presigned URLs name, as browsers reach it; `url` when unset. */
      readonly publicUrl: string;
      readonly accessKey: string;
      readonly secretKey: string;
      readonly bucket: string;
      /** `MINIO_REGION`: the region requests are signed for (MinIO's default `us-east-1`). */
      readonly region: string;
      /** `MINIO_CREATE_BUCKET`: create the bucket (private) on first use when it is missing. */
      readonly createBucket: boolean;
    };

/** How mail leaves the server (`EMAIL_*`, Django's names); see the Mail runbook. */
export type MailConfig = {
  /** `DEFAULT_FROM_EMAIL`: the sender of every message. */
  readonly from: string;
} & (
  | {
      /** Django's console backend: each message written whole to standard output (development). */
      readonly backend: 'console';
    }
  | {
      /** Django's file backend: each message a file in `filePath` (`EMAIL_FILE_PATH`, default `DATA_DIR/mail`). */
      readonly backend: 'file';
      readonly filePath: string;
    }
  | {
      /** SMTP to a relay (`EMAIL_HOST`, `EMAIL_PORT`, credentials, STARTTLS or implicit TLS). */
      readonly backend: 'smtp';
      readonly host: string;
      readonly port: number;
      /** `EMAIL_HOST_USER` and `EMAIL_HOST_PASSWORD`; no authentication when the user is empty. */
      readonly user: string;
      readonly password: string;
      /** `EMAIL_USE_TLS`: require STARTTLS on a plain connection (port 587). */
      readonly useTls: boolean;
      /** `EMAIL_USE_SSL`: TLS from the first byte (port 465). */
      readonly useSsl: boolean;
      /** `EMAIL_TIMEOUT`: seconds to wait for the relay at each step. */
      readonly timeoutSeconds: number;
    }
);

/** The whole validated configuration; see `docs/md/configuration.md` for each variable. */
export interface Config {
  /** `DEBUG`: development conveniences (pretty logs, demo credentials printed); never in production. */
  readonly debug: boolean;
  /** `HOST`: the address to listen on (loopback unless set; the image sets `0.0.0.0`). */
  readonly host: string;
  /**
   * `ALLOWED_HOSTS`: the host patterns a request's `Host` must match (Django's semantics: exact
   * names, `.domain` for the domain and its subdomains, `*`). With `DEBUG` and an empty variable,
   * Django's development default: `localhost`, `127.0.0.1`, `[::1]` and their subdomains of `localhost`.
   */
  readonly allowedHosts: readonly string[];
  /** `USE_X_FORWARDED_HOST`: a trusted proxy's `X-Forwarded-Host` names the host instead of `Host`. */
  readonly useXForwardedHost: boolean;
  /** `PORT`: the TCP port to listen on. */
  readonly port: number;
  /** `SECRET_KEY`: signs JWTs; at least 32 characters and not the development default outside debug. */
  readonly secretKey: string;
  /** `DATA_DIR`: embedded database and local media live below it. */
  readonly dataDir: string;
  /** `DATABASE_URL` or `POSTGRES_*`; PGlite in `DATA_DIR/pglite` when neither is set. */
  readonly database: DatabaseConfig;
  /** `MINIO_*`; the local folder `MEDIA_ROOT` (default `DATA_DIR/media`) when `MINIO_SERVER_URL` is unset. */
  readonly storage: StorageConfig;
  /** `FILE_URL_LIFETIME`: how long the `url` of a file (presigned or signed) stays valid, in seconds. */
  readonly fileUrlLifetime: number;
  /** `CORS_ALLOWED_ORIGINS`: origins allowed to call the API with credentials. */
  readonly corsAllowedOrigins: readonly string[];
  /** `COOKIE_SAMESITE` and `COOKIE_SECURE`: attributes of the token cookies. */
  readonly cookies: { readonly sameSite: 'none' | 'lax' | 'strict'; readonly secure: boolean };
  /** Token lifetimes (seconds) and simplejwt's rotation and blacklist switches. */
  readonly jwt: {
    readonly accessLifetime: number;
    readonly refreshLifetime: number;
    readonly rotateRefreshTokens: boolean;
    readonly blacklistAfterRotation: boolean;
    /** `TOKEN_BLACKLIST`: the blacklist feature (logout, logout-all, blacklist after rotation). */
    readonly blacklistEnabled: boolean;
    /**
     * `REFRESH_REUSE_LEEWAY`: seconds after a rotation during which presenting the rotated refresh
     * token again is refused without ending the session (two tabs racing); past it, the reuse
     * revokes the whole session. `0`: every reuse revokes.
     */
    readonly reuseLeeway: number;
    /** `SESSION_MAX_LIFETIME`: seconds after login past which a session's refresh token no longer rotates. */
    readonly sessionMaxLifetime: number;
  };
  /** `BROWSABLE_API`: the OpenAPI document and the interactive API browser. */
  readonly browsableApi: boolean;
  /** `WEB_CONCURRENCY`: worker processes in production mode. */
  readonly webConcurrency: number;
  /**
   * `METRICS_PORT` and `METRICS_HOST`: where the Prometheus metrics are served (`/metrics`, a listener
   * of its own, never the API's port); `port` is `null` (off) when `METRICS_PORT` is `0`, the default.
   */
  readonly metrics: { readonly port: number | null; readonly host: string };
  /**
   * `TRUST_PROXY`: how many reverse proxies stand in front of the app (0: none, clients connect
   * directly; 1: the shipped nginx). With N ≥ 1 the app honours `X-Forwarded-Proto/Host` and takes
   * the client address from the N-th `X-Forwarded-For` entry from the right — the one the outermost
   * trusted proxy appended — so that what a client writes into the header itself counts for nothing.
   */
  readonly trustProxy: number;
  /** `UPLOAD_MAX_BYTES`: the largest accepted upload. */
  readonly uploadMaxBytes: number;
  /**
   * `LANGUAGE_CODE` and `LANGUAGES`: the language of the messages, and the languages a client may
   * choose with `Accept-Language` (empty: no negotiation, every answer in `languageCode`).
   */
  readonly i18n: { readonly languageCode: 'en' | 'ru'; readonly languages: readonly ('en' | 'ru')[] };
  /** `LOG_LEVEL`: pino level. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `REDIS_URL`: optional shared store for throttling. */
  readonly redisUrl: string | null;
  /**
   * `CACHE_TTL`: how long (seconds) a worker may reuse, without asking the database, what database
   * notices keep current — a token's user, groups, permissions and session liveness, and pages of
   * the users list; `0` (`off`) asks on every request. Triggers evict an entry the moment what it
   * holds changes, so this only bounds how long a lost notice could last.
   */
  readonly cacheTtl: number;
  /** `SUPERUSER_PASSWORD`: the password `create-superuser` takes when `--password` is not given. */
  readonly superuserPassword: string | null;
  /** `MALLOC_ARENA_MAX`: glibc's memory arenas per worker process (`1`: see `src/server.ts`). */
  readonly mallocArenaMax: string;
  /**
   * `WORKER_MAX_SEMI_SPACE_MB`: V8's `--max-semi-space-size` for the workers the server starts
   * (`0`: V8's own default; see `src/server.ts`).
   */
  readonly workerMaxSemiSpaceMb: number;
  /**
   * `WORKER_HEAP_GROWING_PERCENT`: V8's `--heap-growing-percent` for the workers the server starts,
   * how far the old generation may grow past what the last full collection kept before the next
   * one (`0`: V8's own, adaptive factor; see `src/server.ts`).
   */
  readonly workerHeapGrowingPercent: number;
  /** `EMAIL_*` and `DEFAULT_FROM_EMAIL`: the mail backend. */
  readonly mail: MailConfig;
  /** Password recovery by email. */
  readonly passwordReset: {
    /** `PASSWORD_RESET_URL`: the frontend's page a reset link opens, with `{uid}` and `{token}` in it. */
    readonly url: string;
    /** `PASSWORD_RESET_TIMEOUT`: seconds a reset link stays valid (Django's default, 3 days). */
    readonly timeoutSeconds: number;
  };
  /** `THROTTLE_*`: request rates; `null` is off. */
  readonly throttle: {
    readonly loginPerIp: ThrottleRate | null;
    readonly loginPerUser: ThrottleRate | null;
    readonly user: ThrottleRate | null;
    readonly anon: ThrottleRate | null;
    /** `THROTTLE_PASSWORD_RESET_PER_IP`: reset requests per client address. */
    readonly passwordResetPerIp: ThrottleRate | null;
    /** `THROTTLE_PASSWORD_RESET_PER_EMAIL`: reset requests per email address asked for. */
    readonly passwordResetPerEmail: ThrottleRate | null;
  };
}

/** Thrown when the environment does not describe a valid configuration; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates an environment and turns it into a {@link Config}.
 *
 * @param env - the variables to read; `process.env` after `.env` was loaded, or a test's own object
 * @returns the configuration, frozen
 * @throws {@link ConfigError} naming the first variable that is missing or malformed
 * @example
 * const config = loadConfig({ SECRET_KEY: 'x'.repeat(40), DEBUG: 'false' });
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  const fail = (variable: string, message: string): never => {
    throw new ConfigError(`${variable} ${message}`);
  };

  if (!e.DEBUG) {
    if (e.SECRET_KEY === DEV_SECRET_KEY)
      fail('SECRET_KEY', 'is the development default; set a generated key when DEBUG is off');
    if (e.SECRET_KEY.length < 32) fail('SECRET_KEY', 'must be at least 32 characters when DEBUG is off');
  } else if (e.SECRET_KEY.length === 0) {
    fail('SECRET_KEY', 'must not be empty');
  }
  // S3 refuses presigned URLs valid for longer than a week.
  if (e.FILE_URL_LIFETIME > 7 * 86400) fail('FILE_URL_LIFETIME', 'must be at most 7d');
  if (e.SESSION_MAX_LIFETIME < e.REFRESH_TOKEN_LIFETIME) {
    fail(
      'SESSION_MAX_LIFETIME',
      'must be at least REFRESH_TOKEN_LIFETIME (a session outlives each of its refresh tokens)',
    );
  }
  if (e.COOKIE_SAMESITE === 'none' && !e.COOKIE_SECURE) {
    fail('COOKIE_SAMESITE', 'None requires COOKIE_SECURE=true (browsers drop such cookies otherwise)');
  }

  const dataDir = path.resolve(e.DATA_DIR);
  const database: DatabaseConfig = e.DATABASE_URL
    ? {
        kind: 'postgres',
        connectionString: e.DATABASE_URL,
        poolMax: e.DATABASE_POOL_MAX,
        statementTimeout: e.DATABASE_STATEMENT_TIMEOUT,
      }
    : e.POSTGRES_HOST
      ? {
          kind: 'postgres',
          connectionString: postgresUrl(
            e.POSTGRES_HOST,
            e.POSTGRES_PORT,
            e.POSTGRES_DB,
            e.POSTGRES_USER,
            e.POSTGRES_PASSWORD,
          ),
          poolMax: e.DATABASE_POOL_MAX,
          statementTimeout: e.DATABASE_STATEMENT_TIMEOUT,
        }
      : { kind: 'pglite', dataDir: e.DATA_DIR === ':memory:' ? null : path.join(dataDir, 'pglite') };

  let storage: StorageConfig = {
    kind: 'local',
    root: e.MEDIA_ROOT ? path.resolve(e.MEDIA_ROOT) : path.join(dataDir, 'media'),
  };
  if (e.MINIO_SERVER_URL) {
    // S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(e.MINIO_BUCKET))
      fail('MINIO_BUCKET', `is not a valid bucket name: "${e.MINIO_BUCKET}"`);
    storage = {
      kind: 's3',
      url: e.MINIO_SERVER_URL,
      publicUrl: e.MINIO_PUBLIC_URL ?? e.MINIO_SERVER_URL,
      accessKey: e.MINIO_ROOT_USER ?? fail('MINIO_ROOT_USER', 'is required when MINIO_SERVER_URL is set'),
      secretKey: e.MINIO_ROOT_PASSWORD ?? fail('MINIO_ROOT_PASSWORD', 'is required when MINIO_SERVER_URL is set'),
      bucket: e.MINIO_BUCKET,
      region: e.MINIO_REGION,
      createBucket: e.MINIO_CREATE_BUCKET,
    };
  }

  if (e.EMAIL_USE_TLS && e.EMAIL_USE_SSL) {
    fail('EMAIL_USE_TLS', 'and EMAIL_USE_SSL are mutually exclusive: set one of them (TLS for port 587, SSL for 465)');
  }
  for (const placeholder of ['{uid}', '{token}']) {
    if (!e.PASSWORD_RESET_URL.includes(placeholder)) fail('PASSWORD_RESET_URL', `must contain ${placeholder}`);
  }
  if (!/^https?:\/\//.test(e.PASSWORD_RESET_URL)) fail('PASSWORD_RESET_URL', 'must be an http:// or https:// URL');
  // Django's default backend is SMTP; development needs no mail server, so debug defaults to the console.
  const backend = e.EMAIL_BACKEND ?? (e.DEBUG ? 'console' : 'smtp');
  const mail: MailConfig =
    backend === 'console'
      ? { backend, from: e.DEFAULT_FROM_EMAIL }
      : backend === 'file'
        ? {
            backend,
            from: e.DEFAULT_FROM_EMAIL,
            filePath: e.EMAIL_FILE_PATH ? path.resolve(e.EMAIL_FILE_PATH) : path.join(dataDir, 'mail'),
          }
        : {
            backend,
            from: e.DEFAULT_FROM_EMAIL,
            host: e.EMAIL_HOST,
            port: e.EMAIL_PORT,
            user: e.EMAIL_HOST_USER,
            password: e.EMAIL_HOST_PASSWORD,
            useTls: e.EMAIL_USE_TLS,
            useSsl: e.EMAIL_USE_SSL,
            timeoutSeconds: e.EMAIL_TIMEOUT,
          };

  return Object.freeze({
    debug: e.DEBUG,
    host: e.HOST,
    allowedHosts: e.ALLOWED_HOSTS.length || !e.DEBUG ? e.ALLOWED_HOSTS : DEBUG_ALLOWED_HOSTS,
    useXForwardedHost: e.USE_X_FORWARDED_HOST,
    port: e.PORT,
    secretKey: e.SECRET_KEY,
    dataDir,
    database,
    storage,
    fileUrlLifetime: e.FILE_URL_LIFETIME,
    corsAllowedOrigins: e.CORS_ALLOWED_ORIGINS,
    cookies: { sameSite: e.COOKIE_SAMESITE, secure: e.COOKIE_SECURE },
    jwt: {
      accessLifetime: e.ACCESS_TOKEN_LIFETIME,
      refreshLifetime: e.REFRESH_TOKEN_LIFETIME,
      rotateRefreshTokens: e.ROTATE_REFRESH_TOKENS,
      blacklistAfterRotation: e.BLACKLIST_AFTER_ROTATION,
      blacklistEnabled: e.TOKEN_BLACKLIST,
      reuseLeeway: e.REFRESH_REUSE_LEEWAY,
      sessionMaxLifetime: e.SESSION_MAX_LIFETIME,
    },
    browsableApi: e.BROWSABLE_API,
    webConcurrency: e.WEB_CONCURRENCY,
    metrics: { port: e.METRICS_PORT || null, host: e.METRICS_HOST },
    trustProxy: e.TRUST_PROXY,
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    i18n: { languageCode: e.LANGUAGE_CODE, languages: e.LANGUAGES },
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    cacheTtl: e.CACHE_TTL,
    throttle: {
      loginPerIp: e.THROTTLE_LOGIN_PER_IP,
      loginPerUser: e.THROTTLE_LOGIN_PER_USER,
      user: e.THROTTLE_USER,
      anon: e.THROTTLE_ANON,
      passwordResetPerIp: e.THROTTLE_PASSWORD_RESET_PER_IP,
      passwordResetPerEmail: e.THROTTLE_PASSWORD_RESET_PER_EMAIL,
    },
    mail,
    passwordReset: { url: e.PASSWORD_RESET_URL, timeoutSeconds: e.PASSWORD_RESET_TIMEOUT },
    superuserPassword: e.SUPERUSER_PASSWORD,
    mallocArenaMax: e.MALLOC_ARENA_MAX,
    workerMaxSemiSpaceMb: e.WORKER_MAX_SEMI_SPACE_MB,
    workerHeapGrowingPercent: e.WORKER_HEAP_GROWING_PERCENT,
  });
}

/**
 * What a server started with this configuration would do wrong in production, as one line, or
 * `null`. Checked when the server starts (not by every {@link loadConfig}: tests and the CLI may
 * run without a proxy in front). With `DEBUG` off the app is in production, where it serves plain
 * HTTP behind a TLS-terminating proxy: its cookies must be `Secure`, and it must trust that proxy,
 * or every client has the proxy's address (one throttle bucket for everyone) and the app believes
 * it is served over `http://` (links, origin check).
 *
 * @param config - a loaded configuration
 * @example
 * const problem = servingProblem(config);
 * if (problem) exitWithError(problem);
 */
export function servingProblem(config: Config): string | null {
  if (config.debug) return null;
  if (!config.cookies.secure) return 'COOKIE_SECURE must be true when DEBUG is off (production is served over HTTPS)';
  if (config.trustProxy === 0) {
    return 'TRUST_PROXY must be the number of proxies in front of the app when DEBUG is off (1 behind the shipped nginx): the app serves plain HTTP, so HTTPS reaches it through a proxy';
  }
  if (config.allowedHosts.length === 0) {
    return 'ALLOWED_HOSTS must name the host names the site is served under when DEBUG is off (prod.env.example sets it from BACKOFFICE_DOMAIN)';
  }
  if (config.mail.backend === 'console') {
    return 'EMAIL_BACKEND=console writes password reset links into the logs; use smtp (or file) when DEBUG is off';
  }
  return null;
}

function postgresUrl(host: string, port: number, db: string, user: string, password: string): string {
  const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  return `postgres://${auth}@${host}:${port}/${encodeURIComponent(db)}`;
}
