import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/processes.js';

describe('docs drift: dependencies (docs/md/architecture.md)', () => {
  it('justifies every dependency of package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const page = fs.readFileSync(path.join(ROOT, 'docs/md/architecture.md'), 'utf8');
    const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter((name) => !name.startsWith('@types/'));
    expect(names.filter((name) => !page.includes(`\`${name}\``))).to.deep.equal([]);
  });
});
