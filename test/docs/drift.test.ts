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
/** The pages that document routes: this project's REST reference and the file routes' own page. */
const ROUTE_PAGES = ['api.md', 'api-files.md'];

function readPage(name: string): string {
  const file = path.join(DOCS, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** `METHOD /api/...` mentions in a text, paths in OpenAPI form (`:id` is read as `{id}`). */
function routeMentions(text: string): string[] {
  return [...text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/api\/[^\s`'"?#.,;:)\]|*]*(?::\w+[^\s`'"?#.,;)\]|*]*)*)/g)].map(
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
    const pages = ROUTE_PAGES.map(readPage);
    const mentioned = new Set(pages.flatMap(routeMentions));
    const headed = new Set(pages.flatMap((text) => headings(text).flatMap(routeMentions)));

    it('finds the routes and the page', () => {
      expect(servedRoutes()).to.include('GET /api/users/{id}/');
      expect(headed.size).to.be.greaterThan(10);
    });

    it('documents every route the router serves', () => {
      const undocumented = servedRoutes().filter((route) => !mentioned.has(route) || !headed.has(route));
      expect(undocumented, `routes without a heading in ${ROUTE_PAGES.join(' or ')}`).to.deep.equal([]);
    });

    it('documents no route that the router does not serve', () => {
      const served = new Set(servedRoutes());
      const phantom = [...headed].filter((route) => !served.has(route));
      expect(phantom, 'route headings naming no served route').to.deep.equal([]);
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
