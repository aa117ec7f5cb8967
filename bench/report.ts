/**
 * The benchmark's outputs: the result layout (`bench/results/latest.json`), the terminal table and
 * the SVG chart of the docs page, with SPEC §9's targets beside each number.
 */

/** One measured scenario. */
export interface ScenarioResult {
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
  /** The largest resident memory sampled during the scenario, per worker (MiB). */
  peakRssMiB: number[];
  /** CPU time the workers spent per request (ms, user + system): robust to other load on the machine. */
  workerCpuMsPerRequest: number;
  /** requestsPerSecond / the ceiling's. */
  ratio: number;
}

/** The whole result file. */
export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverage: number[] };
  settings: {
    durationS: number;
    warmupS: number;
    connections: number;
    workers: number;
    users: number;
    logLevel: string;
    throttles: string;
    database: string;
  };
  ceiling: ScenarioResult;
  scenarios: ScenarioResult[];
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

/** SPEC §9: the least ratio to the ceiling per scenario, and the p99 bound. */
export const TARGETS: Record<string, { ratio?: number; p99Ms?: number }> = {
  'me-bearer': { ratio: 0.35, p99Ms: 10 },
  'users-list': { ratio: 0.15 },
  refresh: { ratio: 0.15 },
};
/** SPEC §9: resident memory per worker. */
export const RSS_TARGET_MIB = 150;

const pct = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

function verdict(result: ScenarioResult): string {
  const target = TARGETS[result.name];
  if (!target) return '';
  const misses: string[] = [];
  if (target.ratio !== undefined && result.ratio < target.ratio) misses.push(`ratio < ${pct(target.ratio)}`);
  if (target.p99Ms !== undefined && result.latencyMs.p99 > target.p99Ms) misses.push(`p99 > ${target.p99Ms} ms`);
  return misses.length ? `MISS (${misses.join(', ')})` : 'ok';
}

/** The terminal table. */
export function renderTable(results: BenchResults): string {
  const rows = [results.ceiling, ...results.scenarios].map((r) => [
    r.name,
    String(r.requestsPerSecond),
    r.name === 'ceiling' ? '100 %' : pct(r.ratio),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    String(r.errors + r.non2xx),
    r.workerCpuMsPerRequest.toFixed(3),
    r.peakRssMiB.map((m) => m.toFixed(0)).join('/'),
    r.name === 'ceiling' ? '' : verdict(r),
  ]);
  const head = ['scenario', 'req/s', 'of ceiling', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/req', 'RSS MiB', 'SPEC §9'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const { hashing, settings, startup } = results;
  const out = [
    '',
    `${settings.workers} workers, ${settings.connections} connections, ${settings.durationS} s per scenario, ${settings.users} users, LOG_LEVEL=${settings.logLevel}; load average ${results.machine.loadAverage.join(' ')}`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `argon2id m=${hashing.memoryKiB} KiB t=${hashing.iterations} p=${hashing.parallelism}: ${hashing.singleThreadHashesPerSecond} hashes/s in one thread; login ${hashing.loginRequestsPerSecond ?? '-'} req/s`,
    ...results.scenarios
      .filter((r) => r.name === 'upload')
      .map((r) => `upload: ${r.requestsPerSecond} MiB/s of 1 MiB bodies streamed to the store and recorded`),
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
    `<text x="12" y="42" fill="#555">${escape(results.date.slice(0, 16).replace('T', ' '))} UTC, ${results.machine.cpus} cores, ${escape(results.machine.node)}; dashed line: SPEC §9 target</text>`,
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
