import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { openApiDocument, serializeOpenApi } from '../../src/commands/openapi.js';
import type { Response } from 'supertest';
import type { SuccessResponse } from '../../src/http/responds.js';
import { buildOpenApiDocument, openApiPath, routesOf } from '../../src/openapi/document.js';
import { api, makeUser, PASSWORD, testDeps } from '../support/app.js';

describe('GET /api/schema/', () => {
  it('serves an OpenAPI 3.1 document that validates against the OpenAPI 3.1 schema', async () => {
    const res = await api()
      .get('/api/schema/')
      .expect(200)
      .expect('Content-Type', /openapi\+json/);
    const document = JSON.parse(res.text);
    expect(document.openapi).to.equal('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(validator.version).to.equal('3.1');
    expect(result.errors ?? [], JSON.stringify(result.errors)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
  });

  it('lists every route the API router serves, with OpenAPI path templates', async () => {
    const document = JSON.parse((await api().get('/api/schema/').expect(200)).text);
    const routes = routesOf(createApp(testDeps()).api);
    expect(routes.length).to.be.greaterThan(20);
    for (const route of routes) {
      const template = openApiPath(route.path);
      expect(document.paths[template], template).to.be.an('object');
      expect(document.paths[template][route.method.toLowerCase()], `${route.method} ${template}`).to.be.an('object');
    }
    expect(document.paths).to.have.property('/api/users/{id}/');
  });

  it('describes request bodies with the schemas that validate them', async () => {
    const document = JSON.parse((await api().get('/api/schema/').expect(200)).text);
    const create = document.paths['/api/users/'].post;
    expect(create.requestBody.required).to.equal(true);
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.required).to.have.members(['username', 'password']);
    expect(schema.properties.username.maxLength).to.equal(150);
    // The refresh body is optional: the refresh token may come from its cookie.
    expect(document.paths['/api/token/refresh/'].post.requestBody.required).to.equal(false);
  });

  it('marks authenticated routes with the bearer and cookie schemes, public ones with none', async () => {
    const document = JSON.parse((await api().get('/api/schema/').expect(200)).text);
    expect(document.components.securitySchemes.bearerAuth).to.include({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(document.components.securitySchemes.cookieAuth).to.include({
      type: 'apiKey',
      in: 'cookie',
      name: 'access_token',
    });
    expect(document.paths['/api/users/me/'].get.security).to.deep.equal([{ bearerAuth: [] }, { cookieAuth: [] }]);
    expect(document.paths['/api/token/'].post.security).to.deep.equal([]);
    expect(document.paths['/api/health/'].get.security).to.deep.equal([]);
  });
});

describe('success responses in the OpenAPI document', () => {
  let routes: ReturnType<typeof routesOf>;
  before(() => {
    routes = routesOf(createApp(testDeps()).api);
  });

  /** What a route declares with `responds(...)`, read from the router as the generator reads it. */
  function declared(method: string, path: string): SuccessResponse {
    const route = routes.find((r) => r.method === method && r.path === path);
    expect(route, `${method} ${path}`).to.not.equal(undefined);
    const success = route!.metadata.success;
    expect(success, `${method} ${path} declares its success response`).to.not.equal(undefined);
    return success!;
  }

  /** Checks an answer against its route's declaration: the status, and the body (strict: no field more). */
  function answersAsDeclared(res: Response, method: string, path: string): void {
    const success = declared(method, path);
    expect(res.status, `${method} ${path}: ${res.text}`).to.equal(success.status);
    if (success.schema) {
      const parsed = success.schema.safeParse(res.body);
      expect(parsed.success, `${method} ${path}: ${JSON.stringify(parsed.error?.issues)}`).to.equal(true);
    }
  }

  it('declares a success response, with a body schema or a media type, for every route', async () => {
    const document = JSON.parse((await api().get('/api/schema/').expect(200)).text);
    for (const route of routes) {
      const success = declared(route.method, route.path);
      const operation = document.paths[openApiPath(route.path)][route.method.toLowerCase()];
      const response = operation.responses[String(success.status)];
      expect(response.description, `${route.method} ${route.path}`).to.equal(success.description);
      if (success.status !== 204)
        expect(Object.keys(response.content ?? {}), `${route.method} ${route.path}`).to.have.length(1);
    }
    const me = document.paths['/api/users/me/'].get.responses['200'].content['application/json'].schema;
    expect(me.required).to.include.members(['id', 'username', 'groups', 'permissions']);
    expect(me.additionalProperties).to.equal(false);
    const list = document.paths['/api/users/'].get;
    expect(
      list.responses['200'].content['application/json'].schema.properties.results.items.properties,
    ).to.have.property('date_joined');
    expect(list.summary).to.equal('List users');
    for (const [path, operations] of Object.entries(
      document.paths as Record<string, Record<string, { summary?: string; description?: string }>>,
    ))
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.summary, `${method} ${path}: a summary`).to.be.a('string').and.not.empty;
        expect(operation.description, `${method} ${path}: a description`).to.be.a('string').and.not.empty;
      }
    expect(list.description).to.match(/\n\nRequires the `view_user` permission \(a superuser holds every one\)\.$/);
  });

  it('answers every JSON route with the body it documents', async () => {
    const root = await makeUser({ username: 'root', is_superuser: true });
    const client = api();
    const login = await client.post('/api/token/').send({ username: root.username, password: PASSWORD });
    answersAsDeclared(login, 'POST', '/api/token/');
    const auth = { Authorization: `Bearer ${login.body.access}` };
    const refreshed = await client.post('/api/token/refresh/').send({ refresh: login.body.refresh });
    answersAsDeclared(refreshed, 'POST', '/api/token/refresh/');
    answersAsDeclared(
      await client.post('/api/token/verify/').send({ token: refreshed.body.access }),
      'POST',
      '/api/token/verify/',
    );

    answersAsDeclared(await client.get('/api/users/me/').set(auth), 'GET', '/api/users/me/');
    answersAsDeclared(
      await client.patch('/api/users/me/').set(auth).send({ first_name: 'Root' }),
      'PATCH',
      '/api/users/me/',
    );

    const group = await client
      .post('/api/groups/')
      .set(auth)
      .send({ name: 'editors', permissions: ['view_user'] });
    answersAsDeclared(group, 'POST', '/api/groups/');
    answersAsDeclared(await client.get('/api/groups/').set(auth), 'GET', '/api/groups/');
    answersAsDeclared(await client.get(`/api/groups/${group.body.id}/`).set(auth), 'GET', '/api/groups/:id/');
    answersAsDeclared(
      await client.put(`/api/groups/${group.body.id}/`).set(auth).send({ name: 'writers' }),
      'PUT',
      '/api/groups/:id/',
    );
    answersAsDeclared(
      await client.patch(`/api/groups/${group.body.id}/`).set(auth).send({ permissions: [] }),
      'PATCH',
      '/api/groups/:id/',
    );
    answersAsDeclared(await client.get('/api/permissions/').set(auth), 'GET', '/api/permissions/');

    const user = await client
      .post('/api/users/')
      .set(auth)
      .send({ username: 'vera', password: PASSWORD, email: 'vera@example.com', groups: ['writers'] });
    answersAsDeclared(user, 'POST', '/api/users/');
    answersAsDeclared(await client.get('/api/users/?search=vera').set(auth), 'GET', '/api/users/');
    answersAsDeclared(await client.get(`/api/users/${user.body.id}/`).set(auth), 'GET', '/api/users/:id/');
    answersAsDeclared(
      await client.put(`/api/users/${user.body.id}/`).set(auth).send({ username: 'vera2' }),
      'PUT',
      '/api/users/:id/',
    );
    answersAsDeclared(
      await client.patch(`/api/users/${user.body.id}/`).set(auth).send({ last_name: 'V' }),
      'PATCH',
      '/api/users/:id/',
    );
    answersAsDeclared(
      await client.post(`/api/users/${user.body.id}/logout-all/`).set(auth),
      'POST',
      '/api/users/:id/logout-all/',
    );

    const file = await client.post('/api/files/').set(auth).attach('file', Buffer.from('hello'), 'hello.txt');
    answersAsDeclared(file, 'POST', '/api/files/');
    answersAsDeclared(await client.get('/api/files/').set(auth), 'GET', '/api/files/');
    answersAsDeclared(await client.get(`/api/files/${file.body.id}/`).set(auth), 'GET', '/api/files/:id/');
    answersAsDeclared(
      await client.get(`/api/files/${file.body.id}/download/`).set(auth),
      'GET',
      '/api/files/:id/download/',
    );
    answersAsDeclared(await client.delete(`/api/files/${file.body.id}/`).set(auth), 'DELETE', '/api/files/:id/');

    answersAsDeclared(await client.get('/api/health/'), 'GET', '/api/health/');
    answersAsDeclared(await client.delete(`/api/users/${user.body.id}/`).set(auth), 'DELETE', '/api/users/:id/');
    answersAsDeclared(await client.delete(`/api/groups/${group.body.id}/`).set(auth), 'DELETE', '/api/groups/:id/');
    answersAsDeclared(
      await client
        .post('/api/users/me/password/')
        .set(auth)
        .send({ old_password: PASSWORD, new_password: `${PASSWORD}-2` }),
      'POST',
      '/api/users/me/password/',
    );
    answersAsDeclared(
      await client.post('/api/token/blacklist/').send({ refresh: refreshed.body.refresh }),
      'POST',
      '/api/token/blacklist/',
    );
  });
});

describe('openApiPath()', () => {
  it('writes parameters and wildcards as OpenAPI templates', () => {
    expect(openApiPath('/api/users/:id/')).to.equal('/api/users/{id}/');
    expect(openApiPath('/api/users/:id/logout-all/')).to.equal('/api/users/{id}/logout-all/');
    expect(openApiPath('/api/media/*key')).to.equal('/api/media/{key}');
    expect(openApiPath('/api/health/')).to.equal('/api/health/');
  });
});

describe('GET /api/docs/', () => {
  it('serves Swagger UI whose every file comes from this server', async () => {
    const res = await api()
      .get('/api/docs/')
      .expect(200)
      .expect('Content-Type', /text\/html/);
    expect(res.text).to.include('id="swagger-ui"');
    expect(res.text).not.to.match(/(src|href)="(https?:)?\/\//);
    const assets = [...res.text.matchAll(/(?:src|href)="(\/api\/docs\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).to.have.length(3);
    for (const asset of assets) {
      const file = await api().get(asset).expect(200);
      expect(file.headers['content-type']).to.match(/^text\/(css|javascript)/);
    }
  });

  it('points Swagger UI at the schema and away from the public validator', async () => {
    const res = await api().get('/api/docs/init.js').expect(200);
    expect(res.text).to.include("url: '/api/schema/'").and.to.include('validatorUrl: null');
  });

  it('answers an unknown asset with the DRF 404', async () => {
    const res = await api().get('/api/docs/secrets.txt/').expect(404);
    expect(res.body).to.deep.equal({ detail: 'Not found.' });
  });
});

describe('BROWSABLE_API=false', () => {
  it('answers the schema, the docs page and its assets with 404', async () => {
    for (const path of ['/api/schema/', '/api/docs/', '/api/docs/swagger-ui-bundle.js', '/api/docs/init.js/']) {
      const res = await api({ BROWSABLE_API: 'false' }).get(path).expect(404);
      expect(res.body).to.deep.equal({ detail: 'Not found.' });
    }
  });

  it('leaves the routes out of the router', () => {
    const paths = routesOf(createApp(testDeps({ BROWSABLE_API: 'false' })).api).map((r) => r.path);
    expect(paths).not.to.include('/api/schema/');
    expect(paths).not.to.include('/api/docs/');
  });
});

describe('the published OpenAPI document (docs/md/openapi.json)', () => {
  // The file the docs site publishes and the client is generated from. A change to the API
  // rewrites it: npm run docs:openapi (or: npx tsx src/cli.ts openapi).
  it('is the document the running app serves, to the byte', async () => {
    const served = serializeOpenApi(JSON.parse((await api().get('/api/schema/').expect(200)).text));
    expect(served === PUBLISHED_TEXT, 'docs/md/openapi.json is stale: run npm run docs:openapi').to.equal(true);
  });

  it('is what `cli openapi` writes, without a database', () => {
    expect(serializeOpenApi(openApiDocument())).to.equal(PUBLISHED_TEXT);
  });

  it('does not depend on the names of the middleware: renaming every function of every chain changes nothing', () => {
    const { api: router, tags } = createApp(testDeps());
    let renamed = 0;
    for (const layer of router.stack) {
      for (const fn of layer.stack) {
        Object.defineProperty(fn, 'name', { value: `renamed${renamed++}` });
      }
    }
    expect(renamed).to.be.greaterThan(50);
    const document = buildOpenApiDocument(router, { title: RECORDED.info.title, version: RECORDED.info.version }, tags);
    expect(document).to.deep.equal(RECORDED);
  });
});

const PUBLISHED_TEXT = readFileSync(new URL('../../docs/md/openapi.json', import.meta.url), 'utf8');
const RECORDED = JSON.parse(PUBLISHED_TEXT);
