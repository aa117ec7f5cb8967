/**
 * `startapp` makes a resource that works as generated: in a copy of the project it writes the
 * declaration, feature, migration, test and API section of a resource with an owner, which then
 * typecheck, lint, pass their own test on a fresh database and document every route they serve;
 * and it refuses, with one line and nothing written, what cannot work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startAppCommand, type StartAppOptions } from '../../src/commands/startapp.js';
import type { RunResult } from '../support/processes.js';
import { copyProject, runIn } from '../support/scratch-project.js';

/** The resource of the docs' example (docs/md/adding-a-resource.md). */
const PROJECTS = [
  'projects',
  'name:string:unique',
  'description:text:optional',
  'budget:decimal:optional',
  'active:boolean',
  '--owner',
];

describe('cli startapp', function () {
  this.timeout(600_000);
  let copy = '';
  let generated: RunResult;
  const read = (file: string) => fs.readFileSync(path.join(copy, file), 'utf8');

  before(() => {
    copy = copyProject();
    generated = runIn(copy, 'tsx', ['src/cli.ts', 'startapp', ...PROJECTS]);
  });

  after(() => {
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
  });

  it('writes the resource, its feature, migration and test, and says what to do next', () => {
    expect(generated.code, generated.stderr).to.equal(0);
    const migration = fs.readdirSync(path.join(copy, 'migrations')).find((f) => /^\d{14}_projects\.ts$/.test(f));
    expect(migration, 'migrations/<YYYYMMDDHHmmss>_projects.ts').to.be.a('string');
    expect(generated.stdout.split('\n').slice(0, 6)).to.deep.equal([
      'Wrote:',
      '  src/projects/resource.ts',
      '  src/projects/feature.ts',
      `  migrations/${migration}`,
      '  test/projects/projects.test.ts',
      '  docs/md/api.md (the routes of /api/projects/ appended)',
    ]);
    expect(generated.stdout)
      .to.match(/npm run cli -- migrate /)
      .and.to.include('npm test -- test/projects/projects.test.ts')
      .and.to.include('/api/projects/')
      .and.to.include('/admin/projects/');
    // The migration sorts after every migration before it, whatever the clock says.
    const names = fs.readdirSync(path.join(copy, 'migrations')).filter((f) => /^\d{14}_/.test(f));
    expect(names.sort().at(-1)).to.equal(migration);

    const resource = read('src/projects/resource.ts');
    for (const line of [
      'name: field.string(255, { unique: true }),',
      'description: field.text({ optional: true }),',
      'budget: field.decimal(12, 2, { optional: true }),',
      'active: field.boolean(),',
      'owner: field.user({ readOnly: true }),',
      "owner: 'owner',",
      "filters: { active: ['exact'], owner: ['exact', 'in'] },",
      "search: ['name', 'description'],",
      "ordering: ['name', 'description', 'budget', 'active', 'owner'],",
      "defaultOrdering: ['id'],",
      "access: ownerRules('project', 'owner_id'),",
      'repr: (row) => row.name,',
    ])
      expect(resource).to.include(line);
    expect(read('src/projects/feature.ts')).to.include(
      "export const feature = defineFeature({ name: 'projects', resources: [projects] });",
    );
    const table = read(`migrations/${migration}`);
    expect(table)
      .to.include("t.increments('id');")
      .and.to.include("t.string('name', 255).notNullable().unique();")
      .and.to.include("t.integer('owner_id').nullable().references('auth_user.id').onDelete('SET NULL');")
      .and.to.include("await knex.schema.dropTable('projects');");
  });

  it('typechecks, and passes ESLint and Prettier unchanged', () => {
    const tsc = runIn(copy, 'tsc', ['--noEmit', '-p', '.']);
    expect(tsc.code, tsc.stdout + tsc.stderr).to.equal(0);
    const files = ['src/projects', 'test/projects', ...fs.readdirSync(path.join(copy, 'migrations'))
      .filter((f) => f.endsWith('_projects.ts'))
      .map((f) => `migrations/${f}`)]; // prettier-ignore
    const eslint = runIn(copy, 'eslint', ['--max-warnings', '0', ...files]);
    expect(eslint.code, eslint.stdout + eslint.stderr).to.equal(0);
    const prettier = runIn(copy, 'prettier', ['--check', ...files]);
    expect(prettier.code, prettier.stdout + prettier.stderr).to.equal(0);
  });

  it('documents in api.md every route the resource serves, as the docs drift test requires', () => {
    const written = runIn(copy, 'tsx', ['src/cli.ts', 'openapi', '--output', 'openapi.json']);
    expect(written.code, written.stderr).to.equal(0);
    const document = JSON.parse(read('openapi.json')) as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(document.paths)
      .filter(([route]) => route.startsWith('/api/projects/'))
      .flatMap(([route, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`));
    const headings = [...read('docs/md/api.md').matchAll(/^### `(\w+ \/api\/projects\/[^`]*)`$/gm)].map((m) => m[1]);
    expect(served).to.have.length(6);
    expect(headings).to.have.members(served);
  });

  it('writes a test that passes alone, on a fresh database', () => {
    const mocha = runIn(copy, 'mocha', ['test/projects/projects.test.ts']);
    expect(mocha.code, mocha.stdout + mocha.stderr).to.equal(0);
    expect(mocha.stdout)
      .to.match(/6 passing/)
      .and.not.to.match(/failing|pending/);
  });

  describe('refuses what cannot work, writing nothing', () => {
    /** The error `startapp` stops with, run in the copy. */
    async function refusal(args: string[], options: StartAppOptions = {}): Promise<string> {
      const [plural, ...fields] = args;
      const before = fs.readdirSync(path.join(copy, 'migrations')).length;
      try {
        await startAppCommand(plural!, fields, options, { line: () => undefined }, copy);
      } catch (error) {
        expect(fs.readdirSync(path.join(copy, 'migrations')).length, 'a migration written').to.equal(before);
        return (error as Error).message;
      }
      throw new Error(`startapp ${args.join(' ')} was not refused`);
    }

    const cases: Array<[string, string[], StartAppOptions, RegExp]> = [
      ['a resource that exists', ['projects', 'title:string'], {}, /^src\/projects already exists/],
      ["the project's own features", ['users', 'name:string'], {}, /^src\/users already exists/],
      ['a folder of src/ that is not a feature', ['auth', 'name:string'], {}, /^src\/auth already exists/],
      ['files', ['files', 'name:string'], {}, /^src\/files already exists/],
      ['an existing table', ['auth-user', 'name:string'], { model: 'authuser' }, /^table "auth_user" already exists/],
      ['a model that has permissions', ['attachments', 'name:string'], { model: 'file' }, /^model "file" already has/],
      ['a path the admin serves', ['tokens', 'name:string'], {}, /^\/admin\/tokens\/ is already an admin page/],
      ['an unknown type', ['widgets', 'name:strin'], {}, /^field "name": unknown type "strin" \(string, /],
      ['a missing type', ['widgets', 'name'], {}, /^field "name": give a type/],
      ['a reference to nothing', ['widgets', 'box:ref:boxes'], {}, /^field "box": no declared resource "boxes"/],
      ['an unknown modifier', ['widgets', 'name:string:uniq'], {}, /^field "name": unknown modifier "uniq"/],
      ['a bad length', ['widgets', 'name:string(0)'], {}, /^field "name": a string's length/],
      ['a required reference to itself', ['widgets', 'up:ref:widgets'], {}, /must be optional/],
      ['a field given twice', ['widgets', 'name:string', 'name:text'], {}, /^field "name": given twice/],
      ['an owner field with --owner', ['widgets', 'owner:string'], { owner: true }, /^field "owner": --owner adds it/],
      ['a plural in capitals', ['Widgets', 'name:string'], {}, /^plural "Widgets": lower-case/],
      ['a plural with _', ['my_widgets', 'name:string'], {}, /^plural "my_widgets": lower-case/],
      ['a plural without a regular singular', ['sheep', 'name:string'], {}, /--model <singular>/],
      ['a model that is a reserved word', ['classes', 'name:string'], {}, /^model "class": a reserved word/],
    ];
    for (const word of ['id', 'search', 'ordering', 'page', 'page_size', 'format', 'class', 'select', 'constructor'])
      cases.push([
        `the field name ${word}`,
        ['widgets', `${word}:string`],
        {},
        new RegExp(`^field "${word}": a reserved`),
      ]);

    for (const [what, args, options, message] of cases)
      it(what, async () => expect(await refusal(args, options)).to.match(message));

    it('exits 1 with one line on stderr', () => {
      const failed = runIn(copy, 'tsx', ['src/cli.ts', 'startapp', 'widgets', 'name:strin']);
      expect(failed.code).to.equal(1);
      expect(failed.stderr.trim().split('\n')).to.deep.equal([
        `error: field "name": unknown type "strin" (string, string(N), text, integer, decimal, decimal(P,S), boolean, date, datetime, ref:<resource>, ref:user)`,
      ]);
      expect(fs.existsSync(path.join(copy, 'src/widgets'))).to.equal(false);
    });
  });
});
