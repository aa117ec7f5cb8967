/**
 * The results section of the benchmarks page (`docs/md/benchmarks.md`), written from a result file:
 * `npm run bench` rewrites it after a full run, and `npx tsx bench/page.ts [latest.json]` does the
 * same from the committed file. The section sits between two HTML comments; the page's prose around
 * it is hand-written. `test/bench/page.test.ts` fails when the section and the committed result
 * file disagree, so a number on the page is always one the run printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  mixedVerdict,
  pct,
  RSS_TARGET_MIB,
  TARGETS,
  verdict,
  type BenchResults,
  type ScenarioResult,
} from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The page the section is written into. */
export const BENCHMARKS_PAGE = path.join(ROOT, 'docs/md/benchmarks.md');
/** The committed result file the section is written from. */
export const LATEST_RESULTS = path.join(ROOT, 'bench/results/latest.json');

const BEGIN = '<!-- bench:results — written by bench/page.ts from bench/results/latest.json; do not edit -->';
const END = '<!-- /bench:results -->';

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** Says which of the app's settings the run changed (`BENCH_NODE_OPTIONS`, `BENCH_APP_ENV`), so that it is not read as the defaults'. */
const appEnvNote = (appEnv: Record<string, string> | undefined): string =>
  appEnv && Object.keys(appEnv).length > 0
    ? ` The app ran with ${Object.entries(appEnv)
        .map(([name, value]) => `\`${name}=${value}\``)
        .join(', ')} beyond the bench's own settings.`
    : '';
const ms = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const mib = (values: readonly number[]) => values.map((m) => m.toFixed(0)).join(' / ');

/** The performance targets' bounds of a scenario in words (the page's "Targets"), or '' when it has none. */
function targetText(name: string): string {
  const target = TARGETS[name];
  if (!target) return '';
  const parts = [
    target.ratio === undefined ? null : `≥ ${pct(target.ratio)} of ceiling`,
    target.databaseRatio === undefined ? null : `≥ ${pct(target.databaseRatio)} of db`,
    target.relative === undefined ? null : `≥ ${pct(target.relative.ratio)} of \`${target.relative.to}\``,
    target.p99Ms === undefined ? null : `p99 ≤ ${target.p99Ms} ms`,
  ];
  return parts.filter(Boolean).join(', ');
}

/** What the run says of the generated resource: how it was made, or that it was not measured. */
function generatedNote(results: BenchResults): string {
  const compared = Object.entries(TARGETS).filter(([, target]) => target.relative !== undefined);
  const measured = compared.filter(([name]) => results.scenarios.some((r) => r.name === name));
  const generated = results.settings.generatedResource;
  if (measured.length === 0)
    return `The generated resource's scenarios (${compared.map(([name]) => `\`${name}\``).join(', ')}) were not measured in this run.`;
  return `${measured.map(([name]) => `\`${name}\``).join(' and ')}: a resource made by \`${generated?.command ?? 'startapp'}\` in a scratch copy of the project${generated ? `, ${count(generated.rows)} rows` : ''}, served by the same app as the users scenarios.`;
}

/** A compared scenario's share of its baseline, the baseline named: `` 95.3 % of `users-list` ``. */
function relativeCell(r: ScenarioResult): string {
  const to = TARGETS[r.name]?.relative?.to;
  if (to === undefined) return '';
  return r.relativeRatio === undefined || r.relativeRatio === null ? '–' : `${pct(r.relativeRatio)} of \`${to}\``;
}

function scenarioRow(r: ScenarioResult, ceiling: boolean): string {
  const judged = verdict(r);
  const target = targetText(r.name);
  const outcome = ceiling ? '' : judged.pass ? (target ? `met (${target})` : 'no target') : `**${judged.text}**`;
  const cells = [
    `\`${r.name}\``,
    count(r.requestsPerSecond),
    ceiling ? '100 %' : pct(r.ratio),
    r.databaseRatio === undefined || r.databaseRatio === null ? '' : pct(r.databaseRatio),
    relativeCell(r),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p99),
    `${r.errors} / ${r.non2xx}`,
    r.workerCpuMsPerRequest.toFixed(3),
    mib(r.peakRssMiB),
    outcome,
  ];
  return `| ${cells.join(' | ')} |`;
}

/**
 * The results section in Markdown: the run's machine and settings, the scenarios with their
 * verdicts, the database ceilings, the mixed scenario, and the memory, hashing and start-up lines.
 *
 * @param results - a result file of `npm run bench`
 */
export function renderResultsSection(results: BenchResults): string {
  const { machine, settings, mixed, hashing, startup } = results;
  const when = `${results.date.slice(0, 16).replace('T', ' ')} UTC`;
  const lines = [
    BEGIN,
    '',
    `Run of ${when}, commit \`${machine.commit}\`: ${machine.cpus} × ${machine.cpuModel} (${machine.memoryGiB} GiB, ${machine.kernel}), Node.js ${machine.node}, ${machine.postgres}${machine.pgbench ? `, ${machine.pgbench}` : ''}. Load average ${machine.loadAverageStart.join(' ')} at the start, ${machine.loadAverage.join(' ')} at the end. ${settings.workers} workers, ${settings.connections} connections, ${settings.durationS} s measured per scenario after ${settings.warmupS} s of warm-up, ${count(settings.users)} users, \`LOG_LEVEL=${settings.logLevel}\`, throttles ${settings.throttles}; ${settings.database}.${appEnvNote(settings.appEnv)}`,
    '',
    '| scenario | req/s | of ceiling | of db | of users | p50 ms | p99 ms | errors / non-2xx | worker CPU ms/req | peak RSS MiB (w1 / w2) | target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    scenarioRow(results.ceiling, true),
    ...results.scenarios.map((r) => scenarioRow(r, false)),
    '',
    generatedNote(results),
  ];
  if (results.databaseCeilings.length > 0)
    lines.push(
      '',
      '**Database ceilings** — pgbench replaying the same statements against the same database (`of db` above is a share of these):',
      '',
      '| statements | transactions/s | p50 ms | p99 ms | clients | `-M` | WAL B/transaction | failed |',
      '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
      ...results.databaseCeilings.map(
        (c) =>
          `| ${c.name} | ${count(c.transactionsPerSecond)} | ${ms(c.latencyMs.p50)} | ${ms(c.latencyMs.p99)} | ${c.clients} | ${c.mode} | ${count(c.walBytesPerTransaction)} | ${c.failed} |`,
      ),
    );
  if (mixed)
    lines.push(
      '',
      `**Mixed scenario** — every kind at once for ${mixed.durationS} s, ${count(settings.mixRate)} req/s offered in all:`,
      '',
      '| kind | connections | offered req/s | served req/s | p50 ms | p99 ms | errors / non-2xx | verdict |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...mixed.kinds.map((k) => {
        const judged = mixedVerdict(k);
        return `| \`${k.name}\` | ${k.connections} | ${k.offeredPerSecond === null ? 'unbounded' : count(k.offeredPerSecond)} | ${count(k.requestsPerSecond)} | ${ms(k.latencyMs.p50)} | ${ms(k.latencyMs.p99)} | ${k.errors} / ${k.non2xx} | ${judged.pass ? 'ok' : `**${judged.text}**`} |`;
      }),
      '',
      `Cache hit ratio under the mix: principal ${mixed.cacheHitRatio.principal === null ? '–' : pct(mixed.cacheHitRatio.principal)}, users-list pages ${mixed.cacheHitRatio.usersList === null ? '–' : pct(mixed.cacheHitRatio.usersList)}. Worker CPU ${mixed.workerCpuMsPerRequest.toFixed(3)} ms per request; peak RSS ${mib(mixed.peakRssMiB)} MiB.`,
    );
  const worst = Math.max(...results.peakRssMiBPerWorker);
  lines.push(
    '',
    `- **Password hash**: ${hashing.algorithm}, m = ${count(hashing.memoryKiB)} KiB, t = ${hashing.iterations}, p = ${hashing.parallelism}: ${hashing.singleThreadHashesPerSecond} hashes/s in one thread${hashing.loginRequestsPerSecond === null ? '' : `; the login endpoint ${hashing.loginRequestsPerSecond} req/s with ${settings.workers} workers`}.`,
    `- **Peak RSS per worker** (\`VmHWM\` over the whole run): ${results.peakRssMiBPerWorker.map((m) => `${m} MiB`).join(', ')} — ${worst <= RSS_TARGET_MIB ? 'within' : '**above**'} the target of ${RSS_TARGET_MIB} MiB.`,
  );
  if (startup)
    lines.push(
      `- **Embedded start-up**, spawn to the first 200 (PGlite): \`node dist/server.js\` ${startup.firstStartMs} ms on a fresh \`DATA_DIR\`, ${startup.warmStartMs} ms warm; through tsx as \`npm start\` runs it, ${startup.firstStartTsxMs} ms and ${startup.warmStartTsxMs} ms warm (the target: ≤ 3 s warm).`,
    );
  lines.push('', END);
  return lines.join('\n');
}

/** Where the results section starts and ends in a page, markers included; null without both markers. */
function sectionBounds(page: string): { start: number; end: number } | null {
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  return start === -1 || end < start ? null : { start, end: end + END.length };
}

/**
 * The page with its results section replaced by `section`.
 *
 * @throws when the page has no section markers (they were edited away)
 */
export function withResultsSection(page: string, section: string): string {
  const bounds = sectionBounds(page);
  if (!bounds) throw new Error(`${path.relative(ROOT, BENCHMARKS_PAGE)} has no results section markers`);
  return page.slice(0, bounds.start) + section + page.slice(bounds.end);
}

/** The results section the page holds now, or '' when it has none. */
export function currentResultsSection(page: string): string {
  const bounds = sectionBounds(page);
  return bounds ? page.slice(bounds.start, bounds.end) : '';
}

/** Rewrites the page's results section from a result file. */
export function writeResultsPage(results: BenchResults, page = BENCHMARKS_PAGE): void {
  fs.writeFileSync(page, withResultsSection(fs.readFileSync(page, 'utf8'), renderResultsSection(results)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.resolve(process.argv[2] ?? LATEST_RESULTS);
  writeResultsPage(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults);
  process.stdout.write(
    `[bench] wrote the results section of ${path.relative(ROOT, BENCHMARKS_PAGE)} from ${path.relative(ROOT, file)}\n`,
  );
}
