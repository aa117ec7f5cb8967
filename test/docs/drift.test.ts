/**
 * The hand-written docs against the code: every route, CLI command and configuration variable is
 * documented, and nothing documented is missing from the code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { buildProgram } from '../../src/commands/program.js';
import { CONFIG_VARIABLES } from '../../src/config.js';
import { openApiPath, routesOf } from '../../src/openapi/document.js';
import { projectRoot } from '../../src/paths.js';
import { testDeps } from '../support/app.js';

const DOCS = path.join(projectRoot, 'docs', 'md');
function readPage(name: string): string {
  const file = path.join(DOCS, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** `METHOD /api/...` mentions in a text, paths in OpenAPI form (`:id` and `*key` are read as `{id}`, `{key}`). */
function routeMentions(text: string): string[] {
  return [...text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/api\/[\w\-/{}:*]*)/g)].map(
    ([, method, route]) => `${method} ${openApiPath(route!)}`,
  );
}

/** Lines that are markdown headings (outside fenced code blocks). */
function headings(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    return !fenced && /^#{1,6}\s/.test(line);
  });
}

/** Every route the API router serves, as `METHOD /api/path/` (HEAD left out: Koa serves it with GET). */
function servedRoutes(): string[] {
  return routesOf(createApp(testDeps()).api).map((r) => `${r.method} ${openApiPath(r.path)}`);
}

describe('docs drift', () => {
  describe('REST routes (docs/md/api.md, docs/md/api-files.md)', () => {
    const api = readPage('api.md');
    const files = readPage('api-files.md');
    // api.md gives each route a heading; the file routes' page may list them as it likes.
    const documented = new Set([...headings(api).flatMap(routeMentions), ...routeMentions(files)]);
    const mentioned = new Set([...routeMentions(api), ...routeMentions(files)]);

    it('finds the routes and the page', () => {
      expect(servedRoutes()).to.include('GET /api/users/{id}/');
      expect(documented.size).to.be.greaterThan(10);
    });

    it('documents every route the router serves', () => {
      const undocumented = servedRoutes().filter((route) => !documented.has(route));
      expect(undocumented, 'routes with neither a heading in api.md nor a mention in api-files.md').to.deep.equal([]);
    });

    it('documents no route that the router does not serve', () => {
      const served = new Set(servedRoutes());
      const phantom = [...mentioned].filter((route) => !served.has(route));
      expect(phantom, 'METHOD /api/... mentions naming no served route').to.deep.equal([]);
    });
  });

  describe('command line (docs/md/cli.md)', () => {
    const text = readPage('cli.md');
    const commands = buildProgram().commands.map((c) => c.name());
    const documented = headings(text).flatMap((line) => [...line.matchAll(/`([a-z][\w-]*)`/g)].map((m) => m[1]!));

    it('documents every command', () => {
      expect(commands.length).to.be.greaterThan(3);
      expect(commands.filter((c) => !documented.includes(c)), 'commands without a heading in cli.md').to.deep.equal([]);
    });

    it('documents no command that does not exist', () => {
      expect(documented.filter((c) => !commands.includes(c)), 'cli.md headings naming no command').to.deep.equal([]);
    });
  });

  describe('configuration (docs/md/configuration.md)', () => {
    const text = readPage('configuration.md');
    const rows = [...text.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((m) => m[1]!);

    it('documents every variable in a table row', () => {
      expect(CONFIG_VARIABLES.filter((v) => !rows.includes(v)), 'variables without a row').to.deep.equal([]);
    });

    it('documents no variable the configuration does not read', () => {
      expect(rows.filter((v) => !CONFIG_VARIABLES.includes(v)), 'rows naming no variable').to.deep.equal([]);
    });
  });
});
