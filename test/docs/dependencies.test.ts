import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/processes.js';

/**
 * The rows of the first table under a `### heading` of the Dependencies section: the package names
 * of the first cell (each in backticks; several per row allowed) and the justification beside them.
 */
function dependencyTable(page: string, heading: string): Array<{ names: string[]; why: string }> {
  const section = page.slice(page.indexOf('\n## Dependencies'));
  const start = section.indexOf(`\n### ${heading}\n`);
  expect(start, `"### ${heading}" under "## Dependencies"`).to.be.greaterThan(-1);
  const lines = section.slice(start).split('\n').slice(2);
  const table = lines.slice(lines.findIndex((l) => l.startsWith('|')));
  const rows = table.slice(0, table.findIndex((l) => !l.startsWith('|')) === -1 ? undefined : table.findIndex((l) => !l.startsWith('|')));
  expect(rows[0], heading).to.match(/^\| package \| why \|$/);
  return rows.slice(2).map((row) => {
    const cells = row.split('|').slice(1, -1).map((c) => c.trim());
    expect(cells, row).to.have.length(2);
    const names = [...cells[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    expect(cells[0]!.replace(/`[^`]+`/g, '').replace(/[,\s]/g, ''), `only package names in the first cell: ${row}`).to.equal('');
    return { names, why: cells[1]! };
  });
}

describe('docs drift: dependencies (docs/md/architecture.md)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  const page = fs.readFileSync(path.join(ROOT, 'docs/md/architecture.md'), 'utf8');

  for (const [heading, field] of [['Runtime', 'dependencies'], ['Development', 'devDependencies']] as const) {
    it(`lists exactly the ${field} of package.json under "${heading}", each with a justification`, () => {
      const rows = dependencyTable(page, heading);
      const listed = rows.flatMap((r) => r.names);
      const declared = Object.keys(pkg[field] ?? {});
      // `@types/*` stands for the type packages, one row for them all.
      const covers = (name: string) => listed.includes(name) || (name.startsWith('@types/') && listed.includes('@types/*'));
      expect(declared.filter((name) => !covers(name)), `in package.json ${field}, not in the table`).to.deep.equal([]);
      const stale = listed.filter((name) => (name === '@types/*' ? !declared.some((d) => d.startsWith('@types/')) : !declared.includes(name)));
      expect(stale, `in the table, not in package.json ${field}`).to.deep.equal([]);
      expect(new Set(listed).size, 'each package listed once').to.equal(listed.length);
      for (const { names, why } of rows) expect(why.split(/\s+/).length, `a justification for ${names.join(', ')}`).to.be.at.least(3);
    });
  }
});
