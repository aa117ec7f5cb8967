import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { adminRoutes } from '../../src/admin/routes.js';
import { testDeps } from '../support/app.js';
import { ROOT } from '../support/processes.js';

describe('docs drift: admin routes (docs/md/api-admin.md)', () => {
  it('lists every route of the admin panel, and none that does not exist', () => {
    const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    const served = adminRoutes(testDeps())
      .stack.filter((layer) => !String(layer.path).includes('{*')) // the catch-all HTML 404
      .flatMap((layer) => layer.methods.filter((m) => METHODS.has(m)).map((method) => `${method} ${String(layer.path).replace(/^\/admin$/, '/admin/').replace(/[:*](\w+)/g, '{$1}')}`));
    const page = fs.readFileSync(path.join(ROOT, 'docs/md/api-admin.md'), 'utf8');
    const documented = [...page.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE)` \| `([^`]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(served.length).to.be.greaterThan(10);
    expect(served.filter((r) => !documented.includes(r)), 'routes missing from api-admin.md').to.deep.equal([]);
    expect(documented.filter((r) => !served.includes(r)), 'documented routes that do not exist').to.deep.equal([]);
  });
});
