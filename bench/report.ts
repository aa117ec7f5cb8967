/**
 * The benchmark's outputs: the result layout (`bench/results/latest.json`), the terminal table and
 * the SVG chart of the docs page, with the performance targets (the page's "Targets") beside each
 * number.
 */
import type { DatabaseCeiling } from './database-ceiling.js';

export type { DatabaseCeiling } from './database-ceiling.js';

/** What autocannon measured of one kind of request: rate, latency and every answer that was not a 2xx. */
export interface Measured {
  name: string;
  label: string;
  /** Mean requests per second over the measured window. */
  requestsPerSecond: number;
  requests: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  /** Connection errors (including timeouts). */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

/** One scenario: what was measured, plus the workers' memory and CPU and the ratios to the ceilings. */
export interface ScenarioResult extends Measured {
  /** The largest resident memory sampled during the scenario, per worker (MiB). */
  peakRssMiB: number[];
  /** CPU time the workers spent per request (ms, user + system): robust to other load on the machine. */
  workerCpuMsPerRequest: number;
  /** requestsPerSecond / the ceiling's. */
  ratio: number;
  /** For a write (refresh, login): requestsPerSecond / pgbench's rate of the same statements; null when not measured. */
  databaseRatio?: number | null;
  /**
   * For a scenario compared with another of the same run (its target's `relative`): requestsPerSecond /
   * that one's; null when that one was not measured.
   */
  relativeRatio?: number | null;
}

/** One kind of request of the mixed scenario. */
export interface MixedKind extends Measured {
  /** The rate offered (autocannon's `overallRate`), req/s; `null` for as fast as it goes. */
  offeredPerSecond: number | null;
  connections: number;
}

/** The mixed scenario: every kind at once against the same workers. */
export interface MixedResult {
  durationS: number;
  kinds: MixedKind[];
  /** Hits / (hits + misses) over the measured window, from the app's metrics; null when nothing was looked up. */
  cacheHitRatio: { principal: number | null; usersList: number | null };
  peakRssMiB: number[];
  workerCpuMsPerRequest: number;
}

/** Where and on what the run was measured, read from the machine (not written by hand). */
export interface RunMachine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  pgbench: string | null;
  /** The commit measured, `-dirty` appended when the worktree had changes. */
  commit: string;
  /** `os.loadavg()` before the first scenario and at the end. */
  loadAverageStart: number[];
  loadAverage: number[];
}

/** The whole result file. */
export interface BenchResults {
  date: string;
  machine: RunMachine;
  settings: {
    durationS: number;
    warmupS: number;
    connections: number;
    workers: number;
    users: number;
    logLevel: string;
    throttles: string;
    database: string;
    /** The mixed scenario's total offered rate (req/s). */
    mixRate: number;
    /** What `BENCH_NODE_OPTIONS` and `BENCH_APP_ENV` set in the app's environment, when anything. */
    appEnv?: Record<string, string>;
    /** The resource made by `startapp` for the generated-resource scenarios, when they ran. */
    generatedResource?: { command: string; rows: number };
  };
  ceiling: ScenarioResult;
  /** pgbench replaying the refresh's and the login's statements (absent when pgbench is). */
  databaseCeilings: DatabaseCeiling[];
  scenarios: ScenarioResult[];
  mixed: MixedResult | null;
  hashing: {
    algorithm: string;
    memoryKiB: number;
    iterations: number;
    parallelism: number;
    singleThreadHashesPerSecond: number;
    loginRequestsPerSecond: number | null;
  };
  /** `VmHWM` of each app worker at the end of the load: its peak resident memory (MiB). */
  peakRssMiBPerWorker: number[];
  /** Embedded mode, ms from spawn to the first 200. */
  startup: { firstStartMs: number; warmStartMs: number; firstStartTsxMs: number; warmStartTsxMs: number } | null;
}

/**
 * The performance targets per scenario: the least ratio to the `node:http` ceiling (`ratio`) or to the database
 * ceiling (`databaseRatio`), and the p99 bound.
 */
export const TARGETS: Record<string, ScenarioTarget> = {
  'me-bearer': { ratio: 0.4, p99Ms: 5 },
  'users-list': { ratio: 0.15 },
  refresh: { databaseRatio: 0.7, p99Ms: 50 },
  // A resource made by startapp is as fast as the hand-written users endpoints of the same kind.
  'resource-list': { relative: { to: 'users-list', ratio: 0.9 } },
  'resource-retrieve': { relative: { to: 'users-retrieve', ratio: 0.9 } },
};
/** The performance target of peak resident memory per worker (MiB), in every scenario. */
export const RSS_TARGET_MIB = 150;

/** What a scenario must reach; every bound is optional. */
export interface ScenarioTarget {
  ratio?: number;
  databaseRatio?: number;
  p99Ms?: number;
  /** The least share of another scenario's rate in the same run (`relativeRatio`). */
  relative?: { to: string; ratio: number };
}

/**
 * The results with each compared scenario's `relativeRatio` (its target's `relative`): its rate as
 * a share of the named scenario's in the same results, or null when that one is not among them.
 *
 * @example
 * withRelativeRatios([usersList, resourceList])[1].relativeRatio; // 0.953
 */
export function withRelativeRatios(results: readonly ScenarioResult[]): ScenarioResult[] {
  return results.map((r) => {
    const to = TARGETS[r.name]?.relative?.to;
    if (to === undefined) return r;
    const baseline = results.find((b) => b.name === to);
    const relativeRatio =
      baseline && baseline.requestsPerSecond > 0
        ? Math.round((r.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000
        : null;
    return { ...r, relativeRatio };
  });
}

/** A scenario's verdict: `pass` only with no error, no non-2xx answer and every target met. */
export interface Verdict {
  readonly pass: boolean;
  /** Why it failed, one phrase each (empty when it passed). */
  readonly misses: readonly string[];
  /** `ok`, `ok (no target)` or `FAIL (…)`. */
  readonly text: string;
}

/** A ratio as a percentage with one decimal: `0.376` → `'37.6 %'`. */
export const pct = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

/**
 * Judges one scenario. Any connection error, timeout or non-2xx answer fails it whatever its rate
 * (a refresh whose tokens ran out answers 401s fast: they are not throughput), and so does a
 * scenario that made no request at all; then each of its targets is checked. A target on the
 * database ceiling fails when that ceiling was not measured.
 *
 * @param target - the scenario's bounds; defaults to {@link TARGETS}
 * @example
 * verdict({ ...result, non2xx: 3 }).text; // 'FAIL (3 non-2xx)'
 */
export function verdict(
  result: Pick<ScenarioResult, 'name' | 'requests' | 'errors' | 'timeouts' | 'non2xx' | 'ratio' | 'latencyMs'> & {
    databaseRatio?: number | null;
    relativeRatio?: number | null;
  },
  target: ScenarioTarget | undefined = TARGETS[result.name],
): Verdict {
  const misses: string[] = [];
  if (result.requests === 0) misses.push('no request answered');
  if (result.errors > 0) misses.push(`${result.errors} connection errors`);
  // autocannon counts a timeout among the errors too; name it only when errors does not.
  if (result.timeouts > result.errors) misses.push(`${result.timeouts} timeouts`);
  if (result.non2xx > 0) misses.push(`${result.non2xx} non-2xx`);
  if (target?.ratio !== undefined && !(result.ratio >= target.ratio)) misses.push(`ratio < ${pct(target.ratio)}`);
  if (target?.databaseRatio !== undefined) {
    const measured = result.databaseRatio;
    if (measured === undefined || measured === null) misses.push('no database ceiling');
    else if (!(measured >= target.databaseRatio)) misses.push(`database ratio < ${pct(target.databaseRatio)}`);
  }
  if (target?.relative !== undefined) {
    const { to, ratio } = target.relative;
    const measured = result.relativeRatio;
    if (measured === undefined || measured === null) misses.push(`no ${to} to compare with`);
    else if (!(measured >= ratio)) misses.push(`< ${pct(ratio)} of ${to}`);
  }
  if (target?.p99Ms !== undefined && !(result.latencyMs.p99 <= target.p99Ms)) misses.push(`p99 > ${target.p99Ms} ms`);
  const pass = misses.length === 0;
  return { pass, misses, text: pass ? (target ? 'ok' : 'ok (no target)') : `FAIL (${misses.join(', ')})` };
}

/** The least share of its offered rate a kind of the mixed scenario must be served at. */
export const MIXED_RATE_TARGET = 0.95;

/**
 * Judges one kind of the mixed scenario: as {@link verdict} without targets (any error or non-2xx
 * fails it), and served at {@link MIXED_RATE_TARGET} of the rate offered — a kind the app fell
 * behind on would report a p99 of the requests it managed, not of the load it was given.
 *
 * @example
 * mixedVerdict({ ...kind, offeredPerSecond: 1200, requestsPerSecond: 900 }).text; // 'FAIL (served 75.0 % of 1200 req/s offered)'
 */
export function mixedVerdict(
  kind: Pick<
    MixedKind,
    'name' | 'requests' | 'errors' | 'timeouts' | 'non2xx' | 'latencyMs' | 'requestsPerSecond' | 'offeredPerSecond'
  >,
): Verdict {
  const base = verdict({ ...kind, ratio: 0 }, {});
  const misses = [...base.misses];
  const offered = kind.offeredPerSecond;
  if (offered !== null && offered > 0 && !(kind.requestsPerSecond >= MIXED_RATE_TARGET * offered))
    misses.push(`served ${pct(kind.requestsPerSecond / offered)} of ${offered} req/s offered`);
  const pass = misses.length === 0;
  return { pass, misses, text: pass ? 'ok' : `FAIL (${misses.join(', ')})` };
}

/**
 * A compared scenario's share of its baseline's rate, named: `'95.3 % of users-list'`; `'–'` when the
 * baseline was not measured, `''` for a scenario compared with none.
 */
export function relativeText(r: Pick<ScenarioResult, 'name' | 'relativeRatio'>): string {
  const to = TARGETS[r.name]?.relative?.to;
  if (to === undefined) return '';
  return r.relativeRatio === undefined || r.relativeRatio === null ? '–' : `${pct(r.relativeRatio)} of ${to}`;
}

/** The terminal table. */
export function renderTable(results: BenchResults): string {
  const rows = [results.ceiling, ...results.scenarios].map((r) => [
    r.name,
    String(r.requestsPerSecond),
    r.name === 'ceiling' ? '100 %' : pct(r.ratio),
    r.databaseRatio === undefined || r.databaseRatio === null ? '' : pct(r.databaseRatio),
    relativeText(r),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    String(r.errors + r.non2xx),
    r.workerCpuMsPerRequest.toFixed(3),
    r.peakRssMiB.map((m) => m.toFixed(0)).join('/'),
    r.name === 'ceiling' ? '' : verdict(r).text,
  ]);
  for (const c of results.databaseCeilings)
    rows.push([
      `pgbench ${c.name}`,
      String(c.transactionsPerSecond),
      '',
      '100 %',
      '',
      c.latencyMs.p50.toFixed(1),
      c.latencyMs.p99.toFixed(1),
      String(c.failed),
      '',
      '',
      `${c.clients} clients, ${c.walBytesPerTransaction} B WAL/tx`,
    ]);
  const { mixed } = results;
  for (const k of mixed?.kinds ?? [])
    rows.push([
      `mixed ${k.name}`,
      String(k.requestsPerSecond),
      '',
      '',
      '',
      k.latencyMs.p50.toFixed(1),
      k.latencyMs.p99.toFixed(1),
      String(k.errors + k.non2xx),
      '',
      '',
      mixedVerdict(k).text,
    ]);
  const head = [
    'scenario',
    'req/s',
    'of ceiling',
    'of db',
    'of users',
    'p50 ms',
    'p99 ms',
    'errors',
    'CPU ms/req',
    'RSS MiB',
    'target',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const { hashing, settings, startup } = results;
  const out = [
    '',
    `${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.node}, ${results.machine.postgres}, commit ${results.machine.commit}`,
    `${settings.workers} workers, ${settings.connections} connections, ${settings.durationS} s per scenario, ${settings.users} users, LOG_LEVEL=${settings.logLevel}; load average ${results.machine.loadAverageStart.join(' ')} at the start, ${results.machine.loadAverage.join(' ')} at the end`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `argon2id m=${hashing.memoryKiB} KiB t=${hashing.iterations} p=${hashing.parallelism}: ${hashing.singleThreadHashesPerSecond} hashes/s in one thread; login ${hashing.loginRequestsPerSecond ?? '-'} req/s`,
    ...results.scenarios
      .filter((r) => r.name === 'upload')
      .map((r) => `upload: ${r.requestsPerSecond} MiB/s of 1 MiB bodies streamed to the store and recorded`),
    mixed
      ? `mixed (${mixed.durationS} s): cache hit ratio principal ${mixed.cacheHitRatio.principal === null ? '-' : pct(mixed.cacheHitRatio.principal)}, users list ${mixed.cacheHitRatio.usersList === null ? '-' : pct(mixed.cacheHitRatio.usersList)}; worker CPU ${mixed.workerCpuMsPerRequest} ms/req; peak RSS ${mixed.peakRssMiB.map((m) => m.toFixed(0)).join('/')} MiB`
      : '',
    `peak RSS per worker (VmHWM): ${results.peakRssMiBPerWorker.map((m) => `${m} MiB`).join(', ')} (target ≤ ${RSS_TARGET_MIB} MiB)`,
    startup
      ? `embedded mode, spawn to first 200: node dist/server.js first start ${startup.firstStartMs} ms, warm ${startup.warmStartMs} ms; tsx (npm start) first ${startup.firstStartTsxMs} ms, warm ${startup.warmStartTsxMs} ms (target warm ≤ 3000 ms)`
      : '',
    '',
  ];
  return out.join('\n');
}

/** Labels short enough for the chart's left column. */
const CHART_LABELS: Record<string, string> = {
  'me-bearer': 'GET /api/users/me/ (Bearer)',
  'me-cookie': 'GET /api/users/me/ (cookie)',
  'users-list': 'GET /api/users/ (20 a page)',
  'users-search': 'GET /api/users/?search= (20 a page)',
  'users-retrieve': 'GET /api/users/{id}/',
  refresh: 'POST /api/token/refresh/ (rotating)',
  login: 'POST /api/token/ (argon2id)',
  upload: 'POST /api/files/ (1 MiB)',
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart of each scenario's share of the ceiling, with the targets marked. */
export function renderChart(results: BenchResults): string {
  const bars = results.scenarios;
  const width = 760;
  const left = 290;
  const barArea = width - left - 150;
  const rowHeight = 34;
  const top = 56;
  const height = top + bars.length * rowHeight + 40;
  const scale = (ratio: number) => Math.max(1, Math.min(1, ratio) * barArea);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">Share of the bare node:http ceiling (${results.ceiling.requestsPerSecond} req/s), ${results.settings.workers} workers, ${results.settings.connections} connections</text>`,
    `<text x="12" y="42" fill="#555">${escape(results.date.slice(0, 16).replace('T', ' '))} UTC, ${results.machine.cpus} cores, ${escape(results.machine.node)}; dashed line: the target</text>`,
  ];
  for (const [i, r] of bars.entries()) {
    const y = top + i * rowHeight;
    const target = TARGETS[r.name]?.ratio;
    const missed = target !== undefined && r.ratio < target;
    parts.push(
      `<text x="${left - 8}" y="${y + 18}" text-anchor="end">${escape(CHART_LABELS[r.name] ?? r.label)}</text>`,
    );
    parts.push(
      `<rect x="${left}" y="${y + 4}" width="${scale(r.ratio).toFixed(1)}" height="20" fill="${missed ? '#d9534f' : target !== undefined ? '#2e8b57' : '#6c8ebf'}"/>`,
    );
    parts.push(
      `<text x="${left + scale(r.ratio) + 6}" y="${y + 18}">${pct(r.ratio)} · ${r.requestsPerSecond} req/s · p99 ${r.latencyMs.p99} ms</text>`,
    );
    if (target !== undefined) {
      const x = left + scale(target);
      parts.push(`<line x1="${x}" y1="${y + 1}" x2="${x}" y2="${y + 27}" stroke="#000" stroke-dasharray="3,2"/>`);
    }
  }
  parts.push(`<line x1="${left}" y1="${top - 4}" x2="${left}" y2="${top + bars.length * rowHeight}" stroke="#999"/>`);
  parts.push(
    `<text x="12" y="${height - 12}" fill="#555">Peak RSS per worker: ${results.peakRssMiBPerWorker.map((m) => `${m} MiB`).join(', ')}</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
