/**
 * The generated resource of the benchmark: a resource made by `startapp` in a scratch copy of the
 * project — the real command's output, not a hand-written stand-in — built there, so that its list
 * and retrieve are measured on the same build, in the same app and the same run as the hand-written
 * users list and retrieve they are held to.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { copyProject, runIn } from '../test/support/scratch-project.js';
import { run } from './processes.js';
import { TARGETS } from './report.js';

/** The resource `startapp` makes for the benchmark: the example of docs/md/adding-a-resource.md, with an owner. */
export const GENERATED_RESOURCE = {
  plural: 'projects',
  table: 'projects',
  args: ['name:string:unique', 'description:text:optional', '--owner'],
};

/** The `startapp` command line of {@link GENERATED_RESOURCE}, as a developer types it. */
export const GENERATED_COMMAND = `npm run cli -- startapp ${GENERATED_RESOURCE.plural} ${GENERATED_RESOURCE.args.join(' ')}`;

/** A scratch copy of the project with the generated resource, built: its root and how to remove it. */
export interface GeneratedProject {
  readonly root: string;
  remove(): void;
}

/**
 * Copies the project (the working tree, `node_modules` linked), runs `startapp` there and builds
 * the copy (`npm run build`), so that its `dist/server.js` serves the generated resource beside
 * every hand-written feature.
 *
 * @param log - where the steps are told
 * @throws when `startapp` or the build fails (the copy is removed)
 */
export async function prepareGeneratedProject(log: (line: string) => void): Promise<GeneratedProject> {
  const root = copyProject();
  const remove = () => fs.rmSync(root, { recursive: true, force: true });
  try {
    log(`scratch copy ${root}: ${GENERATED_COMMAND}`);
    const made = runIn(root, 'tsx', ['src/cli.ts', 'startapp', GENERATED_RESOURCE.plural, ...GENERATED_RESOURCE.args]);
    if (made.code !== 0) throw new Error(`startapp exited ${made.code}: ${made.stderr || made.stdout}`);
    if (!fs.existsSync(path.join(root, 'src', GENERATED_RESOURCE.plural, 'resource.ts')))
      throw new Error(`startapp wrote no src/${GENERATED_RESOURCE.plural}/resource.ts`);
    log('npm run build (the copy)');
    await run('npm', ['run', 'build', '--silent'], { cwd: root });
    return { root, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** The first page of a list as the API answers it (DRF's page-number pagination). */
export interface ListPage {
  count: number;
  results: { id: number }[];
}

/**
 * Checks that two list scenarios are comparable before they are compared: first pages of the same
 * size, in the same order (by `id`, ascending, as the users list sorts without `?ordering=`), over
 * tables of about the same size.
 *
 * @param pageSize - the page size both scenarios ask for
 * @returns the reasons they are not comparable (empty when they are)
 * @example
 * listMismatches('users-list', users, 'resource-list', resource, 20); // []
 */
export function listMismatches(
  baselineName: string,
  baseline: ListPage,
  name: string,
  page: ListPage,
  pageSize: number,
): string[] {
  const problems: string[] = [];
  for (const [label, list] of [
    [baselineName, baseline],
    [name, page],
  ] as const) {
    if (list.results.length !== pageSize)
      problems.push(`${label} answered ${list.results.length} rows for a page of ${pageSize}`);
    if (!list.results.every((row, i) => i === 0 || row.id > list.results[i - 1]!.id))
      problems.push(`${label} is not sorted by id`);
  }
  const larger = Math.max(baseline.count, page.count);
  if (larger === 0 || Math.min(baseline.count, page.count) / larger < 0.9)
    problems.push(`${baselineName} counts ${baseline.count} rows, ${name} ${page.count}`);
  return problems;
}

/**
 * Inserts `count` rows into the generated resource's table (migrated): unique names, a sentence of
 * description each, owners spread over the users — as many rows as the users table holds, so that
 * the two lists count and page over tables of the same size.
 *
 * @returns the id of the first row (the one the retrieve scenario reads)
 */
export async function loadGeneratedRows(knex: Knex, count: number): Promise<number> {
  const owners: number[] = await knex('auth_user').orderBy('id').pluck('id');
  const rows = Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(5, '0');
    return {
      name: `Project ${n}`,
      description: `The project numbered ${n}, one of ${count} made for the benchmark.`,
      owner_id: owners[i % owners.length] ?? null,
    };
  });
  await knex.batchInsert(GENERATED_RESOURCE.table, rows, 1_000);
  await knex.raw(`ANALYZE ${GENERATED_RESOURCE.table}`);
  const first = await knex(GENERATED_RESOURCE.table).orderBy('id').first('id');
  return first.id as number;
}

/** The scenario each scenario is compared with (its `relative` target's), e.g. `resource-list` → `users-list`. */
export function baselineOf(name: string): string | undefined {
  return TARGETS[name]?.relative?.to;
}

/**
 * The scenarios a selection (`BENCH_SCENARIOS`) runs: those named, plus the baseline of each
 * compared one — `resource-list` alone is a ratio to nothing.
 *
 * @example
 * withBaselines(new Set(['resource-list'])); // Set { 'resource-list', 'users-list' }
 */
export function withBaselines(names: ReadonlySet<string>): Set<string> {
  const all = new Set(names);
  for (const name of names) {
    const baseline = baselineOf(name);
    if (baseline) all.add(baseline);
  }
  return all;
}

/** Whether a selection of scenarios (null: all of them) needs the generated resource's app. */
export function needsGeneratedResource(only: ReadonlySet<string> | null): boolean {
  return GENERATED_SCENARIOS.some((name) => !only || only.has(name));
}

/** The scenarios served by the generated resource. */
export const GENERATED_SCENARIOS = ['resource-list', 'resource-retrieve'] as const;
