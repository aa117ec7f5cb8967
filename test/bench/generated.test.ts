/**
 * The generated resource's scenarios: held to the hand-written users endpoints of the same kind in
 * the same run (≥ 90 % of their rate), brought in with their baselines, checked alike before they
 * are compared, and shown on the benchmarks page with that target. No timing is measured here.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import {
  GENERATED_COMMAND,
  listMismatches,
  needsGeneratedResource,
  withBaselines,
  type ListPage,
} from '../../bench/generated.js';
import { BENCHMARKS_PAGE, LATEST_RESULTS, renderResultsSection } from '../../bench/page.js';
import {
  relativeText,
  renderTable,
  TARGETS,
  verdict,
  withRelativeRatios,
  type BenchResults,
  type ScenarioResult,
} from '../../bench/report.js';

/** A clean scenario result of a given rate. */
function scenario(name: string, requestsPerSecond: number): ScenarioResult {
  return {
    name,
    label: name,
    requestsPerSecond,
    requests: requestsPerSecond * 10,
    latencyMs: { p50: 2, p99: 6, mean: 2, max: 20 },
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: { '200': requestsPerSecond * 10 },
    peakRssMiB: [100, 100],
    workerCpuMsPerRequest: 0.1,
    ratio: requestsPerSecond / 30_000,
  };
}

describe('the generated resource in the benchmark', () => {
  it('holds its list and retrieve to 90 % of the users list and retrieve', () => {
    expect(TARGETS['resource-list']).to.deep.equal({ relative: { to: 'users-list', ratio: 0.9 } });
    expect(TARGETS['resource-retrieve']).to.deep.equal({ relative: { to: 'users-retrieve', ratio: 0.9 } });
  });

  it('measures each as a share of its baseline in the same results', () => {
    const [usersList, resourceList, usersRetrieve, resourceRetrieve, me] = withRelativeRatios([
      scenario('users-list', 10_000),
      scenario('resource-list', 9_530),
      scenario('users-retrieve', 12_000),
      scenario('resource-retrieve', 10_000),
      scenario('me-bearer', 14_000),
    ]);
    expect(resourceList!.relativeRatio).to.equal(0.953);
    expect(resourceRetrieve!.relativeRatio).to.equal(0.833);
    for (const r of [usersList, usersRetrieve, me]) expect(r).not.to.have.property('relativeRatio');
    expect(relativeText(resourceList!)).to.equal('95.3 % of users-list');
    expect(relativeText(me!)).to.equal('');
    // Without its baseline there is nothing to compare with.
    const [alone] = withRelativeRatios([scenario('resource-list', 9_000)]);
    expect(alone!.relativeRatio).to.equal(null);
    expect(relativeText(alone!)).to.equal('–');
  });

  it('passes at 90 % of the baseline and above, and fails below, without it, or with errors', () => {
    const at = (relativeRatio: number | null) => ({ ...scenario('resource-list', 9_000), relativeRatio });
    expect(verdict(at(0.9))).to.deep.equal({ pass: true, misses: [], text: 'ok' });
    expect(verdict(at(1.2)).pass).to.equal(true);
    expect(verdict(at(0.899)).text).to.equal('FAIL (< 90.0 % of users-list)');
    expect(verdict(at(null)).misses).to.deep.equal(['no users-list to compare with']);
    expect(verdict({ ...at(Number.NaN) }).pass).to.equal(false);
    expect(verdict({ ...at(1), non2xx: 4 }).text).to.equal('FAIL (4 non-2xx)');
    expect(verdict({ ...scenario('resource-retrieve', 1), relativeRatio: 0.5 }).misses).to.deep.equal([
      '< 90.0 % of users-retrieve',
    ]);
  });

  it('runs a compared scenario with its baseline, and starts the generated app only when one is chosen', () => {
    expect([...withBaselines(new Set(['resource-list']))].sort()).to.deep.equal(['resource-list', 'users-list']);
    expect([...withBaselines(new Set(['resource-retrieve', 'me-bearer']))].sort()).to.deep.equal([
      'me-bearer',
      'resource-retrieve',
      'users-retrieve',
    ]);
    expect([...withBaselines(new Set(['users-list']))]).to.deep.equal(['users-list']);
    expect(needsGeneratedResource(null)).to.equal(true);
    expect(needsGeneratedResource(new Set(['resource-retrieve']))).to.equal(true);
    expect(needsGeneratedResource(new Set(['me-bearer', 'users-list']))).to.equal(false);
  });

  it('compares only lists alike: the same page size, sorted by id, tables of about the same size', () => {
    const page = (count: number, ids: number[]): ListPage => ({ count, results: ids.map((id) => ({ id })) });
    const ids = (from: number) => Array.from({ length: 20 }, (_, i) => from + i);
    const users = page(10_001, ids(1));
    expect(listMismatches('users-list', users, 'resource-list', page(10_000, ids(1)), 20)).to.deep.equal([]);
    expect(listMismatches('users-list', users, 'resource-list', page(10_000, ids(1).reverse()), 20)).to.deep.equal([
      'resource-list is not sorted by id',
    ]);
    expect(listMismatches('users-list', users, 'resource-list', page(10_000, ids(1).slice(0, 10)), 20)).to.deep.equal([
      'resource-list answered 10 rows for a page of 20',
    ]);
    expect(listMismatches('users-list', users, 'resource-list', page(100, ids(1)), 20)).to.deep.equal([
      'users-list counts 10001 rows, resource-list 100',
    ]);
  });

  it('shows the verdicts with their target on the page and in the terminal table, and says how the resource was made', () => {
    const results = JSON.parse(fs.readFileSync(LATEST_RESULTS, 'utf8')) as BenchResults;
    const notMeasured = renderResultsSection({
      ...results,
      scenarios: results.scenarios.filter((r) => !r.name.startsWith('resource-')),
    });
    expect(notMeasured).to.include(
      "The generated resource's scenarios (`resource-list`, `resource-retrieve`) were not measured in this run.",
    );

    const run: BenchResults = {
      ...results,
      settings: { ...results.settings, generatedResource: { command: GENERATED_COMMAND, rows: 10_000 } },
      scenarios: withRelativeRatios([
        scenario('users-list', 10_000),
        scenario('resource-list', 9_530),
        scenario('users-retrieve', 12_000),
        scenario('resource-retrieve', 10_000),
      ]),
    };
    const section = renderResultsSection(run);
    expect(section).to.include('| of users |');
    expect(section).to.match(
      /\| `resource-list` \|[^\n]*\| 95\.3 % of `users-list` \|[^\n]*\| met \(≥ 90\.0 % of `users-list`\) \|/,
    );
    expect(section).to.match(/\| `resource-retrieve` \|[^\n]*\| \*\*FAIL \(< 90\.0 % of users-retrieve\)\*\* \|/);
    expect(section).to.include(
      `\`resource-list\` and \`resource-retrieve\`: a resource made by \`${GENERATED_COMMAND}\` in a scratch copy of the project, 10,000 rows`,
    );
    const table = renderTable(run);
    expect(table).to.match(/resource-list\s+9530\s+[\d.]+ %\s+95\.3 % of users-list/);
    expect(table).to.include('FAIL (< 90.0 % of users-retrieve)');
  });

  it('is described on the benchmarks page with the command that makes the resource', () => {
    const page = fs.readFileSync(BENCHMARKS_PAGE, 'utf8');
    expect(page).to.include(GENERATED_COMMAND);
    for (const name of ['resource-list', 'resource-retrieve', 'users-retrieve']) expect(page).to.include(`\`${name}\``);
  });
});
