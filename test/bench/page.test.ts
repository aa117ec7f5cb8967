/**
 * The benchmarks page's results section is the committed result file, rendered: a number edited on
 * the page, or a run committed without its page (or the reverse), fails here.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import {
  BENCHMARKS_PAGE,
  currentResultsSection,
  LATEST_RESULTS,
  renderResultsSection,
  withResultsSection,
} from '../../bench/page.js';
import type { BenchResults } from '../../bench/report.js';

const latest = () => JSON.parse(fs.readFileSync(LATEST_RESULTS, 'utf8')) as BenchResults;

describe('benchmarks page', () => {
  it('shows the committed run, as bench/page.ts renders it', () => {
    const page = fs.readFileSync(BENCHMARKS_PAGE, 'utf8');
    expect(currentResultsSection(page), 'run `npx tsx bench/page.ts` and commit the page').to.equal(
      renderResultsSection(latest()),
    );
  });

  it('states every scenario, ceiling and mixed kind of the run with its verdict', () => {
    const results = latest();
    const section = renderResultsSection(results);
    for (const r of results.scenarios) expect(section).to.include(`| \`${r.name}\` |`);
    for (const c of results.databaseCeilings) expect(section).to.include(`| ${c.name} |`);
    for (const k of results.mixed?.kinds ?? []) expect(section).to.include(`| \`${k.name}\` |`);
    expect(section).to.include(`commit \`${results.machine.commit}\``);
    // A scenario with an error answer cannot read as met.
    const broken = structuredClone(results);
    broken.scenarios[0]!.non2xx = 7;
    expect(renderResultsSection(broken)).to.match(/\*\*FAIL \([^)]*7 non-2xx/);
  });

  it("names the app settings a run changed, so that it does not read as the defaults'", () => {
    const results = latest();
    delete results.settings.appEnv;
    expect(renderResultsSection(results)).not.to.include('beyond the bench');
    results.settings.appEnv = { WORKER_MAX_SEMI_SPACE_MB: '8', NODE_OPTIONS: '--max-old-space-size=256' };
    expect(renderResultsSection(results)).to.include(
      'The app ran with `WORKER_MAX_SEMI_SPACE_MB=8`, `NODE_OPTIONS=--max-old-space-size=256` beyond the bench',
    );
  });

  it('replaces the section only, and refuses a page without its markers', () => {
    const section = renderResultsSection(latest());
    const page = `# Title\n\nbefore\n\n${section}\n\nafter\n`;
    const changed = withResultsSection(page, section.replace('Run of', 'Run from'));
    expect(changed.startsWith('# Title\n\nbefore\n\n')).to.equal(true);
    expect(changed.endsWith('\n\nafter\n')).to.equal(true);
    expect(changed).to.include('Run from');
    expect(() => withResultsSection('# no markers\n', section)).to.throw(/no results section markers/);
  });
});
