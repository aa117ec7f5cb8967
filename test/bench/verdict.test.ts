import { expect } from 'chai';
import { percentile, parsePgbenchSummary, withVariables } from '../../bench/database-ceiling.js';
import { counterTotals, hitRatio } from '../../bench/mixed.js';
import { MIXED_RATE_TARGET, mixedVerdict, TARGETS, verdict } from '../../bench/report.js';

const clean = {
  name: 'me-bearer',
  requests: 100_000,
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  ratio: 0.45,
  latencyMs: { p50: 2, p99: 4, mean: 2, max: 9 },
};

describe('bench verdicts', () => {
  it('passes a scenario with no error that meets its targets', () => {
    expect(verdict(clean)).to.deep.equal({ pass: true, misses: [], text: 'ok' });
  });

  it('fails on any non-2xx answer or connection error, whatever the rate', () => {
    expect(verdict({ ...clean, non2xx: 1 }).text).to.equal('FAIL (1 non-2xx)');
    expect(verdict({ ...clean, errors: 2, timeouts: 2 }).text).to.equal('FAIL (2 connection errors)');
    const refresh = { ...clean, name: 'refresh', databaseRatio: 0.9, latencyMs: { ...clean.latencyMs, p99: 10 } };
    expect(verdict(refresh).pass).to.equal(true);
    // A token pool run dry answers 401s fast: they are not throughput.
    expect(verdict({ ...refresh, non2xx: 5_000 }).pass).to.equal(false);
    // Without a target, errors still fail it.
    expect(verdict({ ...clean, name: 'upload', non2xx: 3 }).text).to.equal('FAIL (3 non-2xx)');
    expect(verdict({ ...clean, name: 'upload' }).text).to.equal('ok (no target)');
    expect(verdict({ ...clean, requests: 0 }).misses).to.deep.equal(['no request answered']);
  });

  it('checks the ratio, the database ratio and the p99 of SPEC §9', () => {
    expect(TARGETS['me-bearer']).to.deep.equal({ ratio: 0.4, p99Ms: 5 });
    expect(verdict({ ...clean, ratio: 0.39 }).misses).to.deep.equal(['ratio < 40.0 %']);
    expect(verdict({ ...clean, latencyMs: { ...clean.latencyMs, p99: 6 } }).misses).to.deep.equal(['p99 > 5 ms']);
    const refresh = { ...clean, name: 'refresh', latencyMs: { ...clean.latencyMs, p99: 10 } };
    expect(verdict({ ...refresh, databaseRatio: 0.69 }).misses).to.deep.equal(['database ratio < 70.0 %']);
    expect(verdict({ ...refresh, databaseRatio: null }).misses).to.deep.equal(['no database ceiling']);
    expect(verdict({ ...refresh, databaseRatio: Number.NaN }).pass).to.equal(false);
  });
});

describe('mixed-scenario verdicts', () => {
  const kind = {
    name: 'me',
    requests: 12_000,
    requestsPerSecond: 1_200,
    offeredPerSecond: 1_200,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    latencyMs: { p50: 1, p99: 3, mean: 1, max: 9 },
  };

  it('passes a kind served at its offered rate with no error', () => {
    expect(mixedVerdict(kind)).to.deep.equal({ pass: true, misses: [], text: 'ok' });
    expect(mixedVerdict({ ...kind, requestsPerSecond: MIXED_RATE_TARGET * 1_200 }).pass).to.equal(true);
    expect(mixedVerdict({ ...kind, offeredPerSecond: null }).pass).to.equal(true);
  });

  it('fails a kind the app fell behind on, or one with errors', () => {
    expect(mixedVerdict({ ...kind, requestsPerSecond: 900 }).text).to.equal(
      'FAIL (served 75.0 % of 1200 req/s offered)',
    );
    expect(mixedVerdict({ ...kind, non2xx: 2 }).misses).to.deep.equal(['2 non-2xx']);
    expect(mixedVerdict({ ...kind, requests: 0, requestsPerSecond: 0 }).misses).to.deep.equal([
      'no request answered',
      'served 0.0 % of 1200 req/s offered',
    ]);
  });
});

describe('bench helpers', () => {
  it('reads pgbench summaries, percentiles, counters and hit ratios', () => {
    const summary = parsePgbenchSummary(
      'number of transactions actually processed: 2194\nnumber of failed transactions: 3 (0.1%)\ntps = 1182.25 (without initial connection time)\n',
    );
    expect(summary).to.deep.equal({ tps: 1182.25, transactions: 2194, failed: 3 });
    expect(() => parsePgbenchSummary('connection refused')).to.throw(/no summary/);
    expect(percentile([5, 1, 4, 2, 3], 0.5)).to.equal(3);
    expect(percentile([1, 2, 3, 4, 100], 0.99)).to.equal(100);
    expect(withVariables('a = $1 AND b = $2 OR c = $1', ['x', 'y'])).to.equal('a = :x AND b = :y OR c = :x');
    const text = 'h_total{worker="1"} 3\nh_total 4\n# HELP m_total x\nm_total 1e1\nother 9\n';
    expect(counterTotals(text, ['h_total', 'm_total', 'absent'])).to.deep.equal({ h_total: 7, m_total: 10, absent: 0 });
    expect(hitRatio(3, 1)).to.equal(0.75);
    expect(hitRatio(0, 0)).to.equal(null);
  });
});
