/**
 * Drift: client/src/schema.d.ts is what openapi-typescript makes of docs/md/openapi.json, byte for
 * byte — regenerated here the way `npm run generate` in client/ does it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ROOT, scratchDir } from '../support/processes.js';

const CLIENT = path.join(ROOT, 'client');
const GENERATOR = path.join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');

describe('client package: generated types (client/src/schema.d.ts)', function () {
  this.timeout(60_000);

  it('match docs/md/openapi.json (regenerate: cd client && npm run generate)', async () => {
    const output = path.join(scratchDir('client-schema-'), 'schema.d.ts');
    await promisify(execFile)(process.execPath, [GENERATOR, '../docs/md/openapi.json', '--output', output], {
      cwd: CLIENT,
    });
    const committed = fs.readFileSync(path.join(CLIENT, 'src/schema.d.ts'), 'utf8');
    const regenerated = fs.readFileSync(output, 'utf8');
    fs.rmSync(path.dirname(output), { recursive: true, force: true });
    expect(committed === regenerated, 'client/src/schema.d.ts is stale: cd client && npm run generate').to.equal(true);
  });

  it('type every path of the document', () => {
    const document = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/md/openapi.json'), 'utf8')) as {
      paths: Record<string, unknown>;
    };
    const types = fs.readFileSync(path.join(CLIENT, 'src/schema.d.ts'), 'utf8');
    const missing = Object.keys(document.paths).filter((p) => !types.includes(`"${p}": {`));
    expect(missing).to.deep.equal([]);
  });
});
