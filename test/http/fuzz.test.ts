import { expect } from 'chai';
import fc from 'fast-check';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { bearer, makeUser, testDeps } from '../support/app.js';

/** Every route the API router serves, with `:params` filled by the fuzzer. */
function routes(): Array<{ method: string; path: string }> {
  const { api } = createApp(testDeps());
  return api.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path) })));
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const body = fc.oneof(
  fc.dictionary(fc.constantFrom('username', 'password', 'refresh', 'token', 'email', 'groups', 'permissions', 'name', 'is_active', 'old_password', 'new_password', 'first_name'), jsonValue),
  jsonValue.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/vnd.api+json');
const pathParam = fc.oneof(fc.nat().map(String), fc.constantFrom('me', '0', '-1', '1e3', '%00', '..', '99999999999999999999', 'a'.repeat(300)), fc.string({ maxLength: 20 }).map(encodeURIComponent));
const query = fc.dictionary(fc.constantFrom('page', 'page_size', 'search', 'ordering', 'is_active', 'group'), fc.string({ maxLength: 30 }), { maxKeys: 4 });

describe('fuzzing every route', function () {
  this.timeout(300_000);

  it('never answers 5xx, and always answers JSON in DRF\'s shape', async () => {
    const admin = await makeUser({ is_superuser: true });
    const authorization = await bearer(admin);
    const client = supertest(createApp(testDeps()).app.callback());
    const table = routes();
    expect(table.length).to.be.greaterThan(10);

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...table),
        fc.array(pathParam, { minLength: 3, maxLength: 3 }),
        query,
        body,
        contentType,
        fc.constantFrom('admin', 'none', 'garbage'),
        async (route, params, q, payload, type, who) => {
          const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
          let i = 0;
          const path = route.path.replace(/:\w+/g, () => params[i++]!);
          let request = client[route.method.toLowerCase() as 'get'](path).query(q);
          if (who === 'admin') request = request.set('Authorization', authorization);
          if (who === 'garbage') request = request.set('Authorization', `Bearer ${encodeURIComponent(raw).slice(0, 50)}`);
          if (route.method !== 'GET') {
            if (type) request = request.set('Content-Type', type);
            request = request.send(raw);
          }
          const res = await request;
          expect(res.status, `${route.method} ${path} → ${res.status} ${res.text}`).to.be.below(500);
          // Successes may be HTML (the API browser) or a file; every refusal is DRF-shaped JSON.
          if (res.status >= 400) {
            expect(res.headers['content-type'], `${route.method} ${path}`).to.match(/^application\/json/);
            const shapeOk = typeof res.body.detail === 'string' || Object.values(res.body).every((v) => Array.isArray(v));
            expect(shapeOk, `${route.method} ${path} ${res.text}`).to.equal(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
