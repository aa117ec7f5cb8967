/**
 * The client: openapi-fetch typed by the generated `paths`, plus what a generator cannot know —
 * how the session is carried (the API's httpOnly cookies, or Bearer tokens held in memory), and
 * one refresh then one retry when a request is refused with 401.
 *
 * @module
 */
import createFetchClient from 'openapi-fetch';
import { DrfError } from './errors.js';
import { browserCrossTab, RefreshCoordinator, type CrossTab } from './refresh.js';
import type { paths } from './schema.js';
import { typedApi, type TypedApi } from './typed-api.js';

/** A token pair as `POST /api/token/` answers it. */
export interface TokenPair {
  readonly access: string;
  readonly refresh: string;
}

/**
 * Where Bearer mode keeps its tokens besides memory (optional): e.g. `sessionStorage`, so that a
 * reload keeps the session, or `localStorage`, so that the tabs of an origin share it.
 */
export interface TokenStorage {
  /** The stored pair, or null. */
  load(): TokenPair | null;
  /** Stores a pair, or forgets it (`null`, on logout or when the session ended). */
  save(tokens: TokenPair | null): void;
}

/** How a {@link BackofficeClient} is made. */
export interface BackofficeClientOptions {
  /** The API's origin, e.g. `https://api.example.com`; empty (the default) for the page's own origin. */
  readonly baseUrl?: string;
  /**
   * `cookie`: the API's `access_token`/`refresh_token` cookies, sent with `credentials: 'include'`
   * (the script never sees a token). `bearer`: `Authorization: Bearer <access>` from tokens in memory.
   */
  readonly auth: 'cookie' | 'bearer';
  /** Bearer mode: where tokens are kept besides memory. */
  readonly storage?: TokenStorage;
  /** The fetch to send with (default: the global one). */
  readonly fetch?: (request: Request) => Promise<Response>;
  /**
   * Share refreshes with the other tabs of the origin through Web Locks and BroadcastChannel
   * (default true; ignored where they are missing). `false` only for a page that is never open
   * twice; a {@link CrossTab} of your own where the browser's are not the ones to share (a worker
   * pool, a test).
   */
  readonly crossTab?: boolean | CrossTab;
  /** The lock and channel name; clients of one session must agree (default `backoffice-refresh`). */
  readonly lockName?: string;
  /** Called once when a refresh is refused: the session has ended, show the login screen. */
  readonly onSessionEnd?: () => void;
}

/** The typed API and the session around it. */
export interface BackofficeClient {
  /** The typed API (openapi-fetch): `api.GET('/api/users/', { params: { query: { search } } })`. */
  readonly api: TypedApi;
  /**
   * Logs in with `POST /api/token/` (never retried).
   *
   * @throws {@link DrfError} 400 (field errors), 401 (`No active account found with the given credentials`), 429
   */
  login(credentials: { username: string; password: string }): Promise<void>;
  /**
   * Refreshes now, sharing a refresh in flight; says whether the session goes on.
   */
  refresh(): Promise<boolean>;
  /** Logs out with `POST /api/token/blacklist/`: the session is blacklisted, cookies cleared, tokens forgotten. */
  logout(): Promise<void>;
  /** Bearer mode: the tokens in memory (null when logged out); always null in cookie mode. */
  readonly tokens: TokenPair | null;
  /** Stops listening to the other tabs. */
  close(): void;
}

/** The token routes: their 401 means wrong credentials or a dead refresh token, never "refresh and retry". */
const TOKEN_ROUTES = ['/api/token/', '/api/token/refresh/', '/api/token/verify/', '/api/token/blacklist/'];

/**
 * Makes a client of the API.
 *
 * @example
 * // A single-page app on the API's own site: cookies, nothing stored by the script.
 * const client = createBackofficeClient({ auth: 'cookie', onSessionEnd: () => router.push('/login') });
 * await client.login({ username, password });
 * const me = await unwrap(client.api.GET('/api/users/me/'));
 */
export function createBackofficeClient(options: BackofficeClientOptions): BackofficeClient {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const bearer = options.auth === 'bearer';
  const credentials: 'include' | 'same-origin' = bearer ? 'same-origin' : 'include';
  let tokens: TokenPair | null = bearer ? (options.storage?.load() ?? null) : null;

  const keep = (next: TokenPair | null) => {
    tokens = next;
    options.storage?.save(next);
  };

  // Token calls go straight out: not retried, and not waiting on the refresh they may be part of.
  // DRF reads a list parameter (`ordering`) comma-separated, as the document declares it (`style:
  // form`, `explode: false`); openapi-fetch would repeat the name by default.
  const querySerializer = { array: { style: 'form', explode: false } } as const;
  const plain = createFetchClient<paths>({ baseUrl, credentials, fetch: send, querySerializer });

  async function sendRefresh(): Promise<boolean> {
    if (bearer) {
      // Another tab may have rotated the pair into the shared storage while this one waited.
      const stored = options.storage?.load() ?? null;
      if (stored && tokens && stored.refresh !== tokens.refresh) {
        tokens = stored;
        return true;
      }
      if (!tokens) return false;
    }
    const { data, response } = await plain.POST('/api/token/refresh/', {
      body: bearer && tokens ? { refresh: tokens.refresh } : {},
    });
    if (!response.ok || !data) {
      if (bearer) keep(null);
      options.onSessionEnd?.();
      return false;
    }
    if (bearer && tokens) keep({ access: data.access, refresh: data.refresh ?? tokens.refresh });
    return true;
  }

  const crossTab: CrossTab | null =
    typeof options.crossTab === 'object'
      ? options.crossTab
      : options.crossTab === false
        ? null
        : browserCrossTab(options.lockName ?? 'backoffice-refresh');
  const refresher = new RefreshCoordinator(sendRefresh, crossTab, () => {
    if (bearer && options.storage) tokens = options.storage.load();
  });

  function authorized(request: Request): Request {
    if (!bearer || !tokens) return request;
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${tokens.access}`);
    return new Request(request, { headers });
  }

  async function sendWithRefresh(request: Request): Promise<Response> {
    const retryable = !TOKEN_ROUTES.includes(new URL(request.url).pathname);
    const copy = retryable ? request.clone() : null;
    const seen = refresher.generation;
    const response = await send(authorized(request));
    if (response.status !== 401 || !copy || (bearer && !tokens)) return response;
    if (!(await refresher.refresh(seen))) return response;
    // One retry: a second 401 is the answer (the user was deactivated, the session ended).
    return send(authorized(copy));
  }

  return {
    api: typedApi(createFetchClient<paths>({ baseUrl, credentials, fetch: sendWithRefresh, querySerializer })),

    async login(credentials) {
      const { data, response, error } = await plain.POST('/api/token/', { body: credentials });
      if (!response.ok || !data) throw new DrfError(response.status, error, response.headers.get('Retry-After'));
      if (bearer) keep({ access: data.access, refresh: data.refresh });
    },

    refresh: () => refresher.refresh(),

    async logout() {
      const refresh = tokens?.refresh;
      if (bearer) keep(null);
      if (bearer && !refresh) return;
      const { response, error } = await plain.POST('/api/token/blacklist/', { body: refresh ? { refresh } : {} });
      // 401: the session had already ended, which is what logging out asks for.
      if (!response.ok && response.status !== 401)
        throw new DrfError(response.status, error, response.headers.get('Retry-After'));
    },

    get tokens() {
      return tokens;
    },

    close: () => refresher.close(),
  };
}
