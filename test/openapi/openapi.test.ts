import { Validator } from '@seriousme/openapi-schema-validator';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { openApiPath, routesOf } from '../../src/openapi/document.js';
import { api, testDeps } from '../support/app.js';

describe('GET /api/schema/', () => {
  it('serves an OpenAPI 3.1 document that validates against the OpenAPI 3.1 schema', async () => {
    const res = await api().get('/api/schema/').expect(200).expect('Content-Type', /openapi\+json/);
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
    expect(document.components.securitySchemes.bearerAuth).to.deep.equal({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.components.securitySchemes.cookieAuth).to.deep.equal({ type: 'apiKey', in: 'cookie', name: 'access_token' });
    expect(document.paths['/api/users/me/'].get.security).to.deep.equal([{ bearerAuth: [] }, { cookieAuth: [] }]);
    expect(document.paths['/api/token/'].post.security).to.deep.equal([]);
    expect(document.paths['/api/health/'].get.security).to.deep.equal([]);
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
    const res = await api().get('/api/docs/').expect(200).expect('Content-Type', /text\/html/);
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
