/**
 * Drift: the role → permission matrix of docs/md/spa.md is what scripts/roles-matrix.ts makes of
 * seeds/roles.json, the migrated permissions and the routes' declared permissions.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { MATRIX_END, MATRIX_START, rolesMatrix, SPA_PAGE, withMatrix } from '../../scripts/roles-matrix.js';
import { testDeps } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

describe('docs drift: the role → permission matrix (docs/md/spa.md)', () => {
  it('matches seeds/roles.json and the routes (regenerate: npm run docs:roles)', async () => {
    const page = fs.readFileSync(SPA_PAGE, 'utf8');
    const matrix = await rolesMatrix(testKnex(), createApp(testDeps()).api);
    expect(withMatrix(page, matrix) === page, 'docs/md/spa.md is stale: npm run docs:roles').to.equal(true);
  });

  it('follows the roles: a permission taken from a role changes the table', async () => {
    const api = createApp(testDeps()).api;
    const seeded = await rolesMatrix(testKnex(), api);
    const changed = await rolesMatrix(testKnex(), api, { viewer: ['view_group'] });
    expect(changed).to.not.equal(seeded);
    expect(changed).to.match(/\| `view_group` \(Can view group\) \| ✓ \| `GET \/api\/groups\/`/);
    expect(changed).to.match(/\| `view_user` \(Can view user\) \| {2}\| `GET \/api\/users\/`/);
  });

  it('keeps its markers', () => {
    const page = fs.readFileSync(SPA_PAGE, 'utf8');
    expect(page).to.include(MATRIX_START).and.include(MATRIX_END);
  });
});
