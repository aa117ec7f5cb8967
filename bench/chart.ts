/**
 * Re-draws `docs/md/img/bench.svg` from a result file without running the benchmark again.
 *
 * Usage: `tsx bench/chart.ts [bench/results/latest.json]`
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart, type BenchResults } from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const input = process.argv[2] ?? path.join(ROOT, 'bench/results/latest.json');
const results = JSON.parse(fs.readFileSync(input, 'utf8')) as BenchResults;
fs.writeFileSync(path.join(ROOT, 'docs/md/img/bench.svg'), renderChart(results));
