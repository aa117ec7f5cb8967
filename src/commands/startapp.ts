/**
 * `cli startapp <plural> <field>:<type>[:unique][:optional]... [--owner] [--model <singular>]`:
 * Django's `startapp` for a declared resource. It writes the declaration and its feature, a
 * migration, a test and the resource's section of the REST API page, formatted as the project's
 * own code, then says what to run next. Nothing is written unless every check passes.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { adminPageNames } from '../admin/resources.js';
import { FEATURES } from '../registry.js';
import { modelApps, resourcesOf, type Feature } from '../resources/features.js';
import { isCompiled, projectRoot } from '../paths.js';
import { checkPlural, parseFields, parseNames, type AppSpec } from './app-spec.js';
import { apiSection, featureModule, migrationModule, resourceModule, testModule } from './app-templates.js';
import { openApiDocument } from './openapi.js';
import type { Output } from './output.js';

const execFileAsync = promisify(execFile);

/** The options of `startapp`. */
export interface StartAppOptions {
  /** Rows have an owner, the creating user, who may act on them without the model permissions. */
  readonly owner?: boolean;
  /** The model (singular), when the plural's cannot be derived or should differ. */
  readonly model?: string;
}

/** Tables that no migration creates but the database has: knex's own. */
const KNEX_TABLES = ['knex_migrations', 'knex_migrations_lock'];

/** The tables the project's migrations create. */
function migratedTables(root: string): Set<string> {
  const tables = new Set(KNEX_TABLES);
  const folder = path.join(root, 'migrations');
  for (const file of fs.readdirSync(folder).filter((f) => /\.[cm]?[jt]s$/.test(f)))
    for (const match of fs.readFileSync(path.join(folder, file), 'utf8').matchAll(/createTable\(\s*['"`](\w+)['"`]/g))
      tables.add(match[1]!);
  return tables;
}

/** The first path segment of every `/api/` route, and of the admin pages the features serve. */
function servedSegments(features: readonly Feature[]): { api: Set<string>; admin: Set<string> } {
  const first = (route: string) => route.split('/').find(Boolean) ?? '';
  const api = new Set(Object.keys(openApiDocument().paths).map((route) => first(route.replace(/^\/api\//, ''))));
  return { api, admin: adminPageNames(features) };
}

/**
 * Refuses a name the project already uses: a table, a model's permissions, a path under `/api/` or
 * `/admin/` (the folders of `src/` and `test/` are checked first, before the name is read further).
 *
 * @throws Error naming what already has the name
 */
function refuseTaken(spec: Pick<AppSpec, 'plural' | 'model' | 'table'>, root: string, features: readonly Feature[]) {
  const { plural, model, table } = spec;
  const tables = migratedTables(root);
  for (const resource of resourcesOf(features)) tables.add(resource.table);
  if (tables.has(table)) throw new Error(`table "${table}" already exists: choose another plural`);
  if (modelApps(features).has(model))
    throw new Error(`model "${model}" already has permissions (add_${model}, …): choose another with --model`);
  const served = servedSegments(features);
  if (served.api.has(plural)) throw new Error(`/api/${plural}/ is already served: choose another plural`);
  if (served.admin.has(plural)) throw new Error(`/admin/${plural}/ is already an admin page: choose another plural`);
}

/** The documents derived from the features, which a new one changes; the tests hold each to its source. */
const REGENERATED: readonly [file: string, why: string][] = [
  ['docs/md/openapi.json', 'the published OpenAPI document (npm run docs:openapi)'],
  ['client/src/schema.d.ts', "the typed client's paths (cd client && npm run generate)"],
  ['docs/md/spa.md', 'the role → permission matrix (npm run docs:roles)'],
];

/**
 * Rewrites the {@link REGENERATED} documents of a project, each by its own command in a process of
 * its own — this one loaded the features before the new one existed.
 */
async function regenerate(root: string): Promise<void> {
  const tsx = ['--import', 'tsx'];
  const steps: [args: string[], cwd: string][] = [
    [[...tsx, 'src/cli.ts', 'openapi'], root],
    [
      ['../node_modules/openapi-typescript/bin/cli.js', '../docs/md/openapi.json', '--output', 'src/schema.d.ts'],
      path.join(root, 'client'),
    ],
    [[...tsx, 'scripts/roles-matrix.ts'], root],
  ];
  for (const [args, cwd] of steps) await execFileAsync(process.execPath, args, { cwd });
}

/** `YYYYMMDDHHmmss` of a time, in UTC. */
function stamp(time: Date): string {
  return time.toISOString().replace(/\D/g, '').slice(0, 14);
}

/** The migration's timestamp: now, or one second after the latest migration's when that is later. */
function migrationStamp(root: string, now: Date): string {
  const latest = fs
    .readdirSync(path.join(root, 'migrations'))
    .map((file) => /^(\d{14})_/.exec(file)?.[1])
    .filter((found): found is string => found !== undefined)
    .sort()
    .at(-1);
  if (!latest || stamp(now) > latest) return stamp(now);
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(latest)!;
  return stamp(new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s! + 1)));
}

/** Lays TypeScript out as `npm run lint` expects (Prettier, with the project's settings). */
async function formatted(file: string, source: string): Promise<string> {
  // A development tool: imported here, not at the top, so that the built CLI loads without it.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(source, { ...options, filepath: file });
}

/**
 * Makes a declared resource: checks the names and fields, writes the files, prints them and what to
 * do next.
 *
 * @param plural - the folder, table and path segment: `projects`
 * @param fieldArgs - `name:string:unique`, `budget:decimal(10,2):optional`, `client:ref:clients`, …
 * @param options - `--owner`, `--model`
 * @param output - where the files written and the next steps are printed
 * @param root - the project to write into (the running one by default)
 * @throws Error, one line, for a name taken or reserved, a bad plural, an unknown type or modifier
 * @example
 * await startAppCommand('projects', ['name:string:unique', 'active:boolean'], { owner: true }, stdoutOutput);
 */
export async function startAppCommand(
  plural: string,
  fieldArgs: readonly string[],
  options: StartAppOptions,
  output: Output,
  root: string = projectRoot,
): Promise<void> {
  if (isCompiled) throw new Error('startapp writes TypeScript sources: run it in a checkout (npm run cli -- startapp)');
  checkPlural(plural);
  for (const folder of ['src', 'test'])
    if (fs.existsSync(path.join(root, folder, plural)))
      throw new Error(`${folder}/${plural} already exists: choose another plural`);
  const names = parseNames(plural, options.model);
  refuseTaken(names, root, FEATURES);
  const declared = resourcesOf(FEATURES);
  const owner = options.owner ?? false;
  const fields = parseFields(fieldArgs, { name: plural, table: names.table, model: names.model }, declared, owner);
  const spec: AppSpec = { ...names, fields, owner };

  const files: [string, string][] = [
    [`src/${plural}/resource.ts`, resourceModule(spec)],
    [`src/${plural}/feature.ts`, featureModule(spec)],
    [`migrations/${migrationStamp(root, new Date())}_${names.table}.ts`, migrationModule(spec)],
    [`test/${plural}/${plural}.test.ts`, testModule(spec, declared)],
  ];
  const written: [string, string][] = [];
  for (const [file, source] of files) {
    const full = path.join(root, file);
    if (fs.existsSync(full)) throw new Error(`${file} already exists`);
    written.push([full, await formatted(full, source)]);
  }
  const apiPage = path.join(root, 'docs/md/api.md');
  const page = fs.readFileSync(apiPage, 'utf8');

  for (const [full, text] of written) {
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  fs.writeFileSync(apiPage, `${page.replace(/\n*$/, '\n')}\n${apiSection(spec)}`);

  await regenerate(root);

  const [, , migration, test] = files.map(([file]) => file);
  output.line('Wrote:');
  for (const [file] of files) output.line(`  ${file}`);
  output.line(`  docs/md/api.md (the routes of /api/${plural}/ appended)`);
  output.line('Regenerated, as the new feature changes them:');
  for (const [file, why] of REGENERATED) output.line(`  ${file.padEnd(26)} ${why}`);
  output.line('Next:');
  output.line(
    `  npm run cli -- migrate        # creates the table (${path.basename(migration!)}) and add_${names.model}, change_${names.model}, delete_${names.model}, view_${names.model}`,
  );
  output.line(`  npm test -- ${test}`);
  output.line(
    `  npm run dev                   # then open http://localhost:8000/api/${plural}/ and http://localhost:8000/admin/${plural}/`,
  );
}
