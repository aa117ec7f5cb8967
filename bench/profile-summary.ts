/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, written by `BENCH_CPU_PROF=1 npm run bench`):
 * self time by function and by package, biggest first.
 *
 * Usage: `tsx bench/profile-summary.ts bench/results/profile.tmp/*.cpuprofile`
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;

for (const file of process.argv.slice(2)) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const [i, id] of profile.samples.entries()) {
    const node = nodes.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    total += ms;
    const where = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|src|dist)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes('/dist/') || url.includes('/src/')
        ? '(app)'
        : url.startsWith('node:')
          ? '(node core)'
          : functionName.startsWith('(')
            ? functionName
            : '(other)');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
}

const top = (map: Map<string, number>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, ms]) => `${((ms / total) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${key}`)
    .join('\n');

process.stdout.write(
  `busy ${total.toFixed(0)} ms\n\nby package:\n${top(byPackage, 15)}\n\nby function (self):\n${top(byFunction, 30)}\n`,
);
