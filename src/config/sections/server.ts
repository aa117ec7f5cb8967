/**
 * The server section: how the process listens, which hosts and proxies it trusts, its language,
 * logs and workers.
 *
 * @module
 */
import { bool, choice, got, int, list, proxyCount, requiredText, section, text } from '../declare.js';

/** The development default of `SECRET_KEY` shipped in `.env`; refused when `DEBUG` is off. */
export const DEV_SECRET_KEY = 'dev-insecure-secret-key-change-me-in-production-0000';

/**
 * The hosts a development server answers when `ALLOWED_HOSTS` is empty, as Django's with `DEBUG`:
 * `localhost` and its subdomains, and the loopback addresses.
 */
export const DEBUG_ALLOWED_HOSTS: readonly string[] = Object.freeze(['.localhost', '127.0.0.1', '[::1]']);

/** The languages of the messages. */
export const LANGUAGE_CODES = ['en', 'ru'] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The server's variables and the part of the configuration they make. */
export const SERVER = section(
  'server',
  {
    DEBUG: bool(false).means(
      'Development mode: the development `SECRET_KEY` is accepted, `setup-project` runs without `--force`, the first start loads roles and demo users and prints their logins, logs are pretty on a terminal. Never on in production.',
    ),
    HOST: text('127.0.0.1').means(
      'Address the server listens on. Loopback unless set, so that a development server with its demo accounts is not reachable from the network; the image, `compose.env` and the Kubernetes manifests set `0.0.0.0`.',
    ),
    ALLOWED_HOSTS: list('comma-separated host patterns', (value, refuse) => {
      const pattern = value.toLowerCase();
      return pattern === '*' || /^(?:\.?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[a-f0-9:.]+\])$/.test(pattern)
        ? pattern
        : refuse(`"${pattern}" is not a host name, .domain pattern or * (no scheme, no port)`);
    }).means(
      'Comma-separated host names the site answers under, with Django\'s semantics: an exact name or address (`api.example.com`, `10.0.0.5`, `[::1]`), `.example.com` for the domain and all its subdomains, or `*` for any. A request whose host matches none gets `400 {"detail": "Invalid host header."}` (the admin panel: Django\'s "Bad Request (400)" page; with `DEBUG`, Django\'s message naming the host to add) before any routing, and a warning in the log; only a matching host appears in links and file URLs and counts as the API\'s own origin in the cookie origin check ([security](security.md#the-host-allowlist-allowed_hosts)). The health probes under `/api/health/` answer any host (an orchestrator calls them by address). Empty with `DEBUG` on means `localhost` (and its subdomains), `127.0.0.1` and `[::1]`; with `DEBUG` off a server refuses to start while it is empty (`prod.env.example` sets it from `BACKOFFICE_DOMAIN`, the Kubernetes overlays to the Ingress\'s host). `*` turns the check off.',
    ),
    USE_X_FORWARDED_HOST: bool(false).means(
      "Take the host from a trusted proxy's `X-Forwarded-Host` instead of `Host` (Django's setting of the same name): that value is then the one `ALLOWED_HOSTS` checks (a comma-separated list of several is refused) and links carry. Only with `TRUST_PROXY` ≥ 1; otherwise the header is removed from every request before anything reads it. The shipped nginx and ingress-nginx pass the client's `Host` on as it is, so production leaves it off.",
    ),
    PORT: int(8000, 0, 65535).means('TCP port the server listens on.'),
    SECRET_KEY: requiredText('is required (generate one with `npm run cli -- generate-secret-key`)').means(
      'Signs the JWTs (HS256). With `DEBUG` off it must be at least 32 characters and not the development default of `.env`. Generate one with `npm run cli -- generate-secret-key`. Changing it logs everyone out.',
    ),
    WEB_CONCURRENCY: int(1, 1, 64).means(
      "Worker processes serving requests (Node cluster); the counterpart of gunicorn's `workers`. Rule of thumb: the number of cores. Ignored in embedded mode, which always serves from one process.",
    ),
    METRICS_PORT: int(0, 0, 65535)
      .shownAs('`0` (off)')
      .means(
        'Port of the Prometheus metrics listener (`GET /metrics`, text format), a listener of its own beside `PORT` so that the metrics are never public. With `WEB_CONCURRENCY` > 1 the primary process serves them aggregated over its workers. Names and alert rules: [Scaling](runbooks/scaling.md#metrics).',
      ),
    METRICS_HOST: text('127.0.0.1').means(
      'Address of the metrics listener. Loopback suits a Prometheus agent on the same host; in Kubernetes set `0.0.0.0` so that Prometheus reaches the pod, and let a NetworkPolicy admit only Prometheus to that port.',
    ),
    TRUST_PROXY: proxyCount(10).means(
      'How many reverse proxies stand in front of the app: `0` none (clients connect directly), `1` the shipped nginx (`compose.env` sets it), `2` nginx behind a load balancer of your own. With N ≥ 1 the app honours `X-Forwarded-Proto` (`https` in links, the origin check; `X-Forwarded-Host` only with `USE_X_FORWARDED_HOST`) and takes the client address (throttling, logs) from the N-th `X-Forwarded-For` entry from the right — the one the outermost trusted proxy appended — so entries a client writes itself count for nothing. `true`/`false` mean `1`/`0`. With `DEBUG=false` the server refuses to start with `0` (it serves plain HTTP, so HTTPS reaches it through a proxy).',
    ),
    BROWSABLE_API: bool(true).means(
      "`GET /api/schema/` (OpenAPI) and `GET /api/docs/` (Swagger UI), the counterpart of DRF's browsable API. `false` makes both 404.",
    ),
    LANGUAGE_CODE: choice(LANGUAGE_CODES, 'en', (issue) => `must be en or ru, ${got(issue)}`).means(
      "The language of every message the API sends: `en` or `ru` (the exact wording of Django's, DRF's and simplejwt's Russian catalogues; see [Languages](api.md#languages)).",
    ),
    LANGUAGES: list(`comma-separated, among ${LANGUAGE_CODES.map((c) => `\`${c}\``).join(', ')}`, (value, refuse) => {
      const language = value.toLowerCase();
      return (LANGUAGE_CODES as readonly string[]).includes(language)
        ? (language as (typeof LANGUAGE_CODES)[number])
        : refuse(`must list languages among ${LANGUAGE_CODES.join(', ')}, got "${language}"`);
    }).means(
      "Comma-separated languages a client may choose with `Accept-Language` (e.g. `en,ru`), as Django's `LocaleMiddleware`; answers then carry `Content-Language` and `Vary: Accept-Language`. Empty: no negotiation, every answer in `LANGUAGE_CODE`.",
    ),
    LOG_LEVEL: choice(LOG_LEVELS, 'info', (issue) => `must be one of ${LOG_LEVELS.join(', ')}, ${got(issue)}`).means(
      'pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. One JSON line per request (with its request id) at `info`. Lines leave in batches of up to 4 KiB, at most a second after they are logged, and whatever is left when the process exits; a process killed outright (`SIGKILL`, the OOM killer) loses at most its last second of lines.',
    ),
  },
  (e, { fail }) => {
    if (!e.DEBUG) {
      if (e.SECRET_KEY === DEV_SECRET_KEY)
        fail('SECRET_KEY', 'is the development default; set a generated key when DEBUG is off');
      if (e.SECRET_KEY.length < 32) fail('SECRET_KEY', 'must be at least 32 characters when DEBUG is off');
    } else if (e.SECRET_KEY.length === 0) {
      fail('SECRET_KEY', 'must not be empty');
    }
    return {
      /** `DEBUG`: development conveniences (pretty logs, demo credentials printed); never in production. */
      debug: e.DEBUG,
      /** `HOST`: the address to listen on (loopback unless set; the image sets `0.0.0.0`). */
      host: e.HOST,
      /**
       * `ALLOWED_HOSTS`: the host patterns a request's `Host` must match (Django's semantics: exact
       * names, `.domain` for the domain and its subdomains, `*`). With `DEBUG` and an empty variable,
       * Django's development default: `localhost`, `127.0.0.1`, `[::1]` and their subdomains of `localhost`.
       */
      allowedHosts: e.ALLOWED_HOSTS.length || !e.DEBUG ? e.ALLOWED_HOSTS : DEBUG_ALLOWED_HOSTS,
      /** `USE_X_FORWARDED_HOST`: a trusted proxy's `X-Forwarded-Host` names the host instead of `Host`. */
      useXForwardedHost: e.USE_X_FORWARDED_HOST,
      /** `PORT`: the TCP port to listen on. */
      port: e.PORT,
      /** `SECRET_KEY`: signs JWTs; at least 32 characters and not the development default outside debug. */
      secretKey: e.SECRET_KEY,
      /** `WEB_CONCURRENCY`: worker processes in production mode. */
      webConcurrency: e.WEB_CONCURRENCY,
      /**
       * `METRICS_PORT` and `METRICS_HOST`: where the Prometheus metrics are served (`/metrics`, a listener
       * of its own, never the API's port); `port` is `null` (off) when `METRICS_PORT` is `0`, the default.
       */
      metrics: {
        /** `METRICS_PORT`, `null` when off. */
        port: e.METRICS_PORT || null,
        /** `METRICS_HOST`. */
        host: e.METRICS_HOST,
      },
      /**
       * `TRUST_PROXY`: how many reverse proxies stand in front of the app (0: none, clients connect
       * directly; 1: the shipped nginx). With N ≥ 1 the app honours `X-Forwarded-Proto/Host` and takes
       * the client address from the N-th `X-Forwarded-For` entry from the right — the one the outermost
       * trusted proxy appended — so that what a client writes into the header itself counts for nothing.
       */
      trustProxy: e.TRUST_PROXY,
      /** `BROWSABLE_API`: the OpenAPI document and the interactive API browser. */
      browsableApi: e.BROWSABLE_API,
      /**
       * `LANGUAGE_CODE` and `LANGUAGES`: the language of the messages, and the languages a client may
       * choose with `Accept-Language` (empty: no negotiation, every answer in `languageCode`).
       */
      i18n: {
        /** `LANGUAGE_CODE`. */
        languageCode: e.LANGUAGE_CODE,
        /** `LANGUAGES`, each once. */
        languages: [...new Set(e.LANGUAGES)],
      },
      /** `LOG_LEVEL`: pino level. */
      logLevel: e.LOG_LEVEL,
    } as const;
  },
);
