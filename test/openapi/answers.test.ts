// Holds the error answers and the query parameters the OpenAPI document declares to the real
// server: every declared error status of every operation is provoked and its body, headers and the
// shared examples checked; every query parameter a route reads at run time must be declared.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import type Koa from 'koa';
import supertest, { type Response } from 'supertest';
import { createApp } from '../../src/app.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { queryParameters } from '../../src/http/params.js';
import { responds } from '../../src/http/responds.js';
import { buildOpenApiDocument, openApiPath, routesOf, type RouteInfo } from '../../src/openapi/document.js';
import { createStorage } from '../../src/storage/factory.js';
import { api, makeUser, PASSWORD, testDeps, tokensFor } from '../support/app.js';
import { testConfig } from '../support/config.js';
import Router from '@koa/router';
import { z } from 'zod';

type Document = ReturnType<typeof buildOpenApiDocument> & {
  components: {
    responses: Record<string, { content?: Record<string, { schema: object; example?: unknown }>; headers?: object }>;
    headers: Record<string, { schema: object }>;
  };
};

const MISSING_ID = '999999999';
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';
const FOREIGN_ORIGIN = 'http://evil.example';

/** The route's path with its parameters filled: ids that exist nowhere. */
function pathOf(route: RouteInfo): string {
  return route.path
    .replace(':id', route.path.startsWith('/api/files/') ? MISSING_UUID : MISSING_ID)
    .replace(':asset', 'nope.js')
    .replace('*key', 'nope');
}

/** A request of the route's method and filled path. */
function call(client: supertest.Agent | ReturnType<typeof supertest>, route: RouteInfo, path = pathOf(route)) {
  return (client as ReturnType<typeof supertest>)[route.method.toLowerCase() as 'get'](path);
}

describe('error answers in the OpenAPI document, held to the real server', function () {
  this.timeout(120_000);
  let document: Document;
  let routes: RouteInfo[];
  let root: { access: string; refresh: string };
  let plain: { access: string; refresh: string };
  let deadDb: Database;
  const validate = new Ajv2020({ strict: false, validateFormats: false });

  // The database is emptied before each test (test/support/hooks.ts): the users are made in each.
  beforeEach(async () => {
    const app = createApp(testDeps());
    routes = routesOf(app.api);
    document = buildOpenApiDocument(app.api, { title: 't', version: '0' }, app.tags) as Document;
    const superuser = await makeUser({ username: 'root', is_superuser: true });
    root = await tokensFor(superuser);
    plain = await tokensFor(await makeUser({ username: 'nobody' }));
    deadDb ??= await openDatabase(
      testConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATABASE_POOL_MAX: '1' }).database,
    );
  });
  after(async () => {
    await deadDb?.close();
  });

  /** The app on a database that does not answer (same signing key: tokens of the live one are valid). */
  function deadApp() {
    const config = testConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATABASE_POOL_MAX: '1' });
    return supertest(
      createApp({ ...testDeps(), config, knex: deadDb.knex, storage: createStorage(config) }).app.callback(),
    );
  }

  /** A valid body for the routes that read one before they reach the database. */
  function validBody(route: RouteInfo): Record<string, unknown> {
    switch (route.path) {
      case '/api/token/':
        return { username: 'root', password: PASSWORD };
      case '/api/token/refresh/':
      case '/api/token/blacklist/':
        return { refresh: root.refresh };
      case '/api/token/verify/':
        return { token: root.refresh };
      case '/api/password-reset/':
        return { email: 'root@example.com' };
      case '/api/password-reset/confirm/':
        return { uid: 'MQ', token: 'abc-def', new_password: PASSWORD };
      default:
        return {};
    }
  }

  /** Provokes one declared error status of a route, as a client would meet it. */
  async function provoke(route: RouteInfo, status: number): Promise<Response> {
    const rootAuth = `Bearer ${root.access}`;
    switch (status) {
      case 400:
        if (route.method === 'GET') {
          // A filter value past the bound every list keeps (200 characters) is refused.
          const filter = Object.keys(route.metadata.query ?? {}).find(
            (name) => name !== 'page' && name !== 'page_size',
          );
          const query = filter ? `${filter}=${'x'.repeat(201)}` : 'group=a%00b';
          return call(api(), route, `${pathOf(route)}?${query}`).set('Authorization', rootAuth);
        }
        return call(api(), route).set('Content-Type', 'application/json').send('{"username":');
      case 401:
        if (route.metadata.authenticated) return call(api(), route);
        return call(api(), route).send(
          route.path === '/api/token/' ? { username: 'root', password: 'wrong' } : { refresh: 'junk', token: 'junk' },
        );
      case 403:
        if (route.metadata.permission) return call(api(), route).set('Authorization', `Bearer ${plain.access}`);
        if (route.path === '/api/media/*key')
          return call(api(), route, '/api/media/nope/?expires=1&name=a&type=b&signature=c');
        // An unsafe request with cookie credentials from an origin not allowed (the CSRF check).
        return call(api(), route)
          .set('Cookie', `access_token=${root.access}; refresh_token=${root.refresh}`)
          .set('Origin', FOREIGN_ORIGIN)
          .send({});
      case 404:
        if (route.path === '/api/media/*key') return call(api(), route, '/api/media/Not.Valid/');
        if (!/[:*]/.test(route.path))
          return call(api(), route, `${route.path}?page=999`).set('Authorization', rootAuth);
        return call(api(), route)
          .set('Authorization', rootAuth)
          .send(route.path.startsWith('/api/users/') ? { username: 'ghost' } : { name: 'ghost' });
      case 405:
        return call(api(), route, route.path.replace(':id', 'me')).set('Authorization', rootAuth);
      case 413:
        return call(api(), route)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }));
      case 415:
        return call(api(), route).set('Content-Type', 'text/plain').send('hello');
      case 429: {
        const client = api({ THROTTLE_ANON: '1/m' });
        await call(client, route);
        return call(client, route);
      }
      case 503: {
        const request = call(deadApp(), route);
        if (route.metadata.authenticated) return request.set('Authorization', rootAuth);
        return request.send(validBody(route));
      }
      default:
        throw new Error(`no way to provoke ${status} for ${route.method} ${route.path}`);
    }
  }

  /** The declared response of an operation for a status, its `$ref` resolved. */
  function declaredResponse(operation: { responses: Record<string, { $ref?: string }> }, status: string) {
    const response = operation.responses[status]!;
    if (!response.$ref) return { name: undefined, response: response as Document['components']['responses'][string] };
    const name = response.$ref.split('/').at(-1)!;
    return { name, response: document.components.responses[name]! };
  }

  /** Checks a real answer against its declaration: status, JSON body schema, declared headers. */
  function holdsTo(res: Response, declared: ReturnType<typeof declaredResponse>, label: string): void {
    const content = declared.response.content?.['application/json'];
    if (content) {
      const check = validate.compile({ ...content.schema, components: document.components });
      expect(check(res.body), `${label}: ${res.text} ${JSON.stringify(check.errors)}`).to.equal(true);
    }
    for (const [header, ref] of Object.entries(declared.response.headers ?? {})) {
      const name = (ref as { $ref: string }).$ref.split('/').at(-1)!;
      const value = res.headers[header.toLowerCase()];
      expect(value, `${label}: header ${header}`).to.be.a('string');
      const schema = document.components.headers[name]!.schema as { type: string };
      if (schema.type === 'integer') expect(value, `${label}: ${header}`).to.match(/^\d+$/);
    }
  }

  it('answers every declared error status of every operation, with the declared body and headers', async () => {
    const seen = new Map<string, unknown[]>();
    let checked = 0;
    for (const route of routes) {
      const operation = document.paths[openApiPath(route.path)]![route.method.toLowerCase()] as {
        responses: Record<string, { $ref?: string }>;
      };
      for (const status of Object.keys(operation.responses)) {
        if (Number(status) < 400) continue;
        const label = `${route.method} ${route.path} ${status}`;
        const res = await provoke(route, Number(status));
        expect(res.status, `${label}: ${res.text}`).to.equal(Number(status));
        const declared = declaredResponse(operation, status);
        holdsTo(res, declared, label);
        if (declared.name) seen.set(declared.name, [...(seen.get(declared.name) ?? []), res.body]);
        checked += 1;
      }
    }
    expect(checked).to.be.greaterThan(100);

    // Every shared response is used, and its example is a body the server really sends.
    const login = await api().post('/api/token/').send({});
    seen.get('ValidationError')!.push(login.body);
    for (const [name, response] of Object.entries(document.components.responses)) {
      const example = response.content?.['application/json']?.example;
      expect(seen.get(name), `${name} is answered somewhere`).to.be.an('array').that.is.not.empty;
      if (name === 'Throttled') {
        // The wait in the message depends on the rate; its form does not.
        expect(JSON.stringify(seen.get(name))).to.match(/Request was throttled\. Expected available in \d+ seconds?\./);
        expect((example as { detail: string }).detail).to.match(
          /^Request was throttled\. Expected available in 60 seconds\.$/,
        );
      } else {
        expect(seen.get(name), `${name}: its example is a real answer`).to.deep.include(example);
      }
    }
  });

  it('answers the health check, when the database is down, with the 503 report it declares', async () => {
    const res = await deadApp().get('/api/health/').expect(503);
    const declared = declaredResponse(document.paths['/api/health/']!.get as never, '503');
    holdsTo(res, declared, 'GET /api/health/ 503');
  });
});

/**
 * Records, per route, the query parameters the app reads at run time: `ctx.query` is wrapped so
 * that each name read (and any listing of all of them) is noted under the route that was matched.
 */
function recordQueryReads(app: Koa): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(app.request), 'query')!;
  Object.defineProperty(app.request, 'query', {
    configurable: true,
    get(this: Koa.Request) {
      const query = descriptor.get!.call(this) as Record<string, unknown>;
      const note = (name: string) => {
        const route = `${this.method} ${(this.ctx as { _matchedRoute?: string })._matchedRoute ?? '(no route)'}`;
        reads.set(route, (reads.get(route) ?? new Set()).add(name));
      };
      return new Proxy(query, {
        get(target, name, receiver) {
          if (typeof name === 'string') note(name);
          return Reflect.get(target, name, receiver);
        },
        ownKeys(target) {
          note('*');
          return Reflect.ownKeys(target);
        },
      });
    },
    set(this: Koa.Request, value: unknown) {
      descriptor.set!.call(this, value);
    },
  });
  return reads;
}

/** The reads of each route that its `queryParameters(...)` does not declare. */
function undeclaredReads(reads: Map<string, Set<string>>, routes: RouteInfo[]): string[] {
  const undeclared: string[] = [];
  for (const [key, names] of reads) {
    const route = routes.find(
      (r) => `${r.method} ${r.path}` === key || (r.method === 'GET' && `HEAD ${r.path}` === key),
    );
    const declared = new Set(Object.keys(route?.metadata.query ?? {}));
    for (const name of names) if (!declared.has(name)) undeclared.push(`${key} reads ?${name}`);
  }
  return undeclared;
}

describe('query parameters in the OpenAPI document', function () {
  this.timeout(60_000);

  it('declares every query parameter a route reads at run time, and the routes read them', async () => {
    const { app, api: router } = createApp(testDeps());
    const routes = routesOf(router);
    const reads = recordQueryReads(app);
    const client = supertest(app.callback());
    const root = await tokensFor(await makeUser({ username: 'root', is_superuser: true }));
    const auth = { Authorization: `Bearer ${root.access}` };
    const upload = await client
      .post('/api/files/')
      .set(auth)
      .attach('file', Buffer.from('hello'), 'hello.txt')
      .expect(201);
    const media = new URL(upload.body.url as string, 'http://x');
    await client.get(`${media.pathname}${media.search}`).expect(200);

    for (const route of routes) {
      // A value each parameter accepts, so that the route reads them all rather than stop at a 400.
      const accepted = (name: string, schema: z.ZodType) =>
        name === 'page' ? '1' : (['5', 'true', 'id'].find((value) => schema.safeParse(value).success) ?? 'id');
      const query = Object.entries(route.metadata.query ?? {})
        .map(([name, declared]) => `${name}=${accepted(name, declared.schema)}`)
        .join('&');
      const path = route.path
        .replace(':id', route.path.startsWith('/api/files/') ? upload.body.id : MISSING_ID)
        .replace(':asset', 'init.js');
      if (route.path === '/api/media/*key') continue; // above, with a signed URL
      const send = (client as ReturnType<typeof supertest>)[route.method.toLowerCase() as 'get'].bind(client);
      const answer = await send(`${path}${query ? `?${query}` : ''}`).set(auth);
      // A filter the data refuses (a reference to no row) is a 400 before the page is read: read it alone.
      if (answer.status === 400 && route.metadata.query?.page) await send(`${path}?page=1&page_size=5`).set(auth);
    }

    expect(undeclaredReads(reads, routes)).to.deep.equal([]);
    // Each declared parameter is read by its route: the declaration is not a wish list.
    for (const route of routes) {
      for (const name of Object.keys(route.metadata.query ?? {}))
        expect(reads.get(`${route.method} ${route.path}`), `${route.method} ${route.path} reads ?${name}`).to.include(
          name,
        );
    }
  });

  it('catches a route that reads a query parameter it does not declare', async () => {
    const { app, api: router } = createApp(testDeps());
    const extra = new Router({ prefix: '/api' });
    extra.get(
      '/extra/',
      queryParameters({ shown: { description: 'declared', schema: z.string() } }),
      responds({ status: 200, description: 'x', schema: z.object({}) }, { summary: 'x', description: 'x' }),
      (ctx) => {
        ctx.body = { shown: ctx.query.shown, hidden: ctx.query.hidden };
      },
    );
    app.middleware.unshift(extra.routes() as Koa.Middleware);
    const reads = recordQueryReads(app);
    await supertest(app.callback()).get('/api/extra/?shown=1&hidden=2').expect(200);
    expect(undeclaredReads(reads, [...routesOf(router), ...routesOf(extra)])).to.deep.equal([
      'GET /api/extra/ reads ?hidden',
    ]);
  });

  it('refuses, in queryParam(), a name the chain does not declare (a wiring bug is a 500, not a silent read)', async () => {
    const { app } = createApp(testDeps());
    const extra = new Router({ prefix: '/api' });
    const { queryParam } = await import('../../src/http/params.js');
    extra.get('/extra/', queryParameters({}), (ctx) => {
      ctx.body = { value: queryParam(ctx, 'undeclared') ?? null };
    });
    app.middleware.splice(app.middleware.length - 2, 0, extra.routes() as Koa.Middleware);
    const res = await supertest(app.callback()).get('/api/extra/?undeclared=1');
    expect(res.status).to.equal(500);
  });
});

describe('path parameters as declared', () => {
  it('types every path parameter as its reader accepts it, and refuses a route that declares none', () => {
    const { api, tags } = createApp(testDeps());
    const document = buildOpenApiDocument(api, { title: 't', version: '0' }, tags);
    const parameter = (path: string, method = 'get') =>
      ((document.paths[path]![method] as { parameters: { in: string; schema: object }[] }).parameters ?? []).find(
        (p) => p.in === 'path',
      )!.schema;
    expect(parameter('/api/users/{id}/')).to.include({ type: 'integer', minimum: 1 });
    expect(parameter('/api/groups/{id}/', 'delete')).to.include({ type: 'integer' });
    expect(parameter('/api/files/{id}/download/')).to.include({ type: 'string', format: 'uuid' });
    expect(parameter('/api/docs/{asset}/')).to.deep.include({
      enum: ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js'],
    });

    const bare = new Router({ prefix: '/api' });
    bare.get('/things/:id/', responds({ status: 204, description: 'x' }, { summary: 'x', description: 'x' }), (ctx) => {
      ctx.status = 204;
    });
    expect(() => buildOpenApiDocument(bare, { title: 't', version: '0' }, [])).to.throw(
      'GET /api/things/:id/: no pathParameters(...) declares "id"',
    );
  });
});

describe('query parameters as declared', () => {
  it('lists the users filters, ordering fields and page size with its default and cap', () => {
    const { api, tags } = createApp(testDeps());
    const document = buildOpenApiDocument(api, { title: 't', version: '0' }, tags);
    const list = document.paths['/api/users/']!.get as { parameters: Record<string, unknown>[] };
    const byName = Object.fromEntries(list.parameters.map((p) => [p.name, p]));
    expect(Object.keys(byName)).to.have.members(['page', 'page_size', 'search', 'ordering', 'is_active', 'group']);
    expect(byName.page_size).to.deep.include({ in: 'query', required: false });
    expect((byName.page_size as { schema: object }).schema).to.include({ default: 20, maximum: 100, minimum: 1 });
    expect(byName.ordering).to.include({ style: 'form', explode: false });
    const items = (byName.ordering as { schema: { items: { enum: string[] } } }).schema.items.enum;
    expect(items).to.include.members(['username', '-username', 'date_joined', '-last_login']);
    expect(items).not.to.include('password');
    for (const path of ['/api/groups/', '/api/permissions/', '/api/files/']) {
      const names = ((document.paths[path]!.get as { parameters: { name: string }[] }).parameters ?? []).map(
        (p) => p.name,
      );
      expect(names, path).to.deep.equal(['page', 'page_size']);
    }
  });
});
