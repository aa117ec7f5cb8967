/**
 * The client package as it is published: compiled by its own build (tsc with client/tsconfig.json,
 * then the generated types copied beside it), the compiled ES module imported from the build
 * folder, and a login and a request made with it against the real server.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type * as ClientModule from '../../client/src/index.js';
import { makeUser, PASSWORD } from '../support/app.js';
import { ROOT } from '../support/processes.js';
import { serveApp } from './server.js';

const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
// Under the repository, so that the compiled module finds openapi-fetch in node_modules.
const OUT = path.join(ROOT, 'test-artifacts/client-dist');

describe('client package build', function () {
  this.timeout(120_000);

  it('compiles with its own tsconfig, ships the generated types, and works from the build', async () => {
    fs.rmSync(OUT, { recursive: true, force: true });
    await promisify(execFile)(process.execPath, [TSC, '-p', path.join(ROOT, 'client/tsconfig.json'), '--outDir', OUT]);
    fs.copyFileSync(path.join(ROOT, 'client/src/schema.d.ts'), path.join(OUT, 'schema.d.ts'));
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'client/package.json'), 'utf8')) as {
      exports: Record<string, { types: string; import?: string }>;
    };
    for (const entry of Object.values(manifest.exports))
      for (const file of [entry.types, entry.import].filter(Boolean))
        expect(fs.existsSync(path.join(OUT, path.relative('./dist', file!))), file).to.equal(true);

    const built = (await import(pathToFileURL(path.join(OUT, 'index.js')).href)) as typeof ClientModule;
    const server = await serveApp();
    try {
      await makeUser({ username: 'ann' });
      const client = built.createBackofficeClient({ baseUrl: server.url, auth: 'bearer' });
      await client.login({ username: 'ann', password: PASSWORD });
      const me = await built.unwrap(client.api.GET('/api/users/me/'));
      expect(me.username).to.equal('ann');
    } finally {
      await server.close();
    }
  });
});
