/**
 * The mixed scenario: many users logging in, reading `/me`, listing and searching users,
 * refreshing, and an admin changing users and their groups, all at once against the same workers.
 * Each kind is its own autocannon instance with a fixed share of the total offered rate
 * (`BENCH_MIX_RATE`, 600 req/s by default) and of the connections, so that each kind's rate and
 * p99 are measured on their own while the others run; a login's `last_login` and every admin write
 * send the notices that empty the users-list cache (and evict a principal), as in production.
 *
 * @module
 */
import type autocannon from 'autocannon';

/** One kind of request: its share of the offered rate and its connections (of 32). */
export interface MixShare {
  readonly name: string;
  readonly label: string;
  readonly share: number;
  readonly connections: number;
}

/** The proportions of the mix (the docs page states them from here). */
export const MIX: readonly MixShare[] = [
  { name: 'me', label: 'GET /api/users/me/, 100 users by turns', share: 0.6, connections: 12 },
  { name: 'users-list', label: 'GET /api/users/?page=1…5 (admin)', share: 0.15, connections: 6 },
  { name: 'users-search', label: 'GET /api/users/?search=<one of 10 surnames> (admin)', share: 0.05, connections: 3 },
  { name: 'refresh', label: 'POST /api/token/refresh/ (rotating, fresh tokens)', share: 0.185, connections: 5 },
  { name: 'login', label: 'POST /api/token/ (argon2id), 9,900 other users by turns', share: 0.01, connections: 4 },
  {
    name: 'admin-write',
    label: "PATCH /api/users/<id>/: a user's first name, and its groups (adds or drops one)",
    share: 0.005,
    connections: 2,
  },
];

/** What the mixed requests need from the bench's setup. */
export interface MixContext {
  readonly url: string;
  /** Access tokens of the users reading `/me`. */
  readonly userTokens: readonly string[];
  readonly adminToken: string;
  /** Fresh refresh tokens, spent one per request. */
  nextRefreshToken(): string;
  /** The next username to log in, and the bench password. */
  nextLogin(): string;
  readonly password: string;
  /** Ids of the users the admin changes. */
  readonly editableUserIds: readonly number[];
  /** Surnames to search for. */
  readonly searches: readonly string[];
  /** The total offered rate (req/s). */
  readonly rate: number;
}

/** The autocannon options of each kind of the mix. */
export function mixedKinds(context: MixContext): { kind: MixShare; options: autocannon.Options }[] {
  let me = 0;
  let page = 0;
  let search = 0;
  let write = 0;
  const admin = { Authorization: `Bearer ${context.adminToken}` };
  const json = { 'Content-Type': 'application/json' };
  const requests: Record<string, autocannon.Request> = {
    me: {
      method: 'GET',
      path: '/api/users/me/',
      setupRequest: (request) => ({
        ...request,
        headers: { Authorization: `Bearer ${context.userTokens[me++ % context.userTokens.length]!}` },
      }),
    },
    'users-list': {
      method: 'GET',
      setupRequest: (request) => ({
        ...request,
        path: `/api/users/?page_size=20&page=${(page++ % 5) + 1}`,
        headers: admin,
      }),
    },
    'users-search': {
      method: 'GET',
      setupRequest: (request) => ({
        ...request,
        path: `/api/users/?page_size=20&search=${context.searches[search++ % context.searches.length]!}`,
        headers: admin,
      }),
    },
    refresh: {
      method: 'POST',
      path: '/api/token/refresh/',
      headers: json,
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ refresh: context.nextRefreshToken() }) }),
    },
    login: {
      method: 'POST',
      path: '/api/token/',
      headers: json,
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ username: context.nextLogin(), password: context.password }),
      }),
    },
    'admin-write': {
      method: 'PATCH',
      setupRequest: (request) => {
        const n = write++;
        const id = context.editableUserIds[Math.floor(n / 2) % context.editableUserIds.length]!;
        const body =
          n % 2 === 0 ? { first_name: `Mixed${n}` } : { groups: n % 4 === 1 ? ['editors', 'reviewers'] : ['editors'] };
        return { ...request, path: `/api/users/${id}/`, headers: { ...admin, ...json }, body: JSON.stringify(body) };
      },
    },
  };
  return MIX.map((kind) => ({
    kind,
    options: {
      url: context.url,
      connections: kind.connections,
      overallRate: Math.max(1, Math.round(context.rate * kind.share)),
      requests: [requests[kind.name]!],
    },
  }));
}

/**
 * Sums the samples of some counters in a Prometheus text exposition (the app's `/metrics`).
 *
 * @returns each name's total; 0 for a name absent
 */
export function counterTotals(text: string, names: readonly string[]): Record<string, number> {
  const totals = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? ([\d.eE+-]+)/.exec(line);
    if (match && match[1]! in totals) totals[match[1]!]! += Number(match[2]);
  }
  return totals;
}

/** The cache counters of the app's metrics listener. */
export const CACHE_COUNTERS = [
  'backoffice_principal_cache_hits_total',
  'backoffice_principal_cache_misses_total',
  'backoffice_users_page_cache_hits_total',
  'backoffice_users_page_cache_misses_total',
] as const;

/** Scrapes the cache counters from `http://127.0.0.1:<port>/metrics`. */
export async function scrapeCounters(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics: ${res.status}`);
  return counterTotals(await res.text(), CACHE_COUNTERS);
}

/** hits / (hits + misses), or null when there was no lookup. */
export function hitRatio(hits: number, misses: number): number | null {
  return hits + misses > 0 ? Math.round((hits / (hits + misses)) * 1000) / 1000 : null;
}
