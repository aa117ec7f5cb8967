import { expect } from 'chai';
import Koa from 'koa';
import supertest from 'supertest';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/database.js';
import { errorWriter } from '../../src/http/error-writer.js';
import { useRequestLog } from '../../src/http/request-log.js';
import { createStorage } from '../../src/storage/factory.js';
import { api, bearer, makeUser, testDeps } from '../support/app.js';
import { testConfig } from '../support/config.js';

describe('HTTP errors', () => {
  it('answers unknown routes with the DRF 404, as JSON', async () => {
    for (const path of ['/api/nope/', '/nope', '/']) {
      const res = await api().get(path).expect(404).expect('Content-Type', /json/);
      expect(res.body).to.deep.equal({ detail: 'Not found.' });
    }
  });

  it('answers a method the route does not serve with 405 and Allow', async () => {
    const res = await api().delete('/api/health/').expect(405);
    expect(res.body).to.deep.equal({ detail: 'Method "DELETE" not allowed.' });
    expect(res.headers.allow).to.include('GET');
  });

  it('serves a path without its trailing slash as the canonical one', async () => {
    const res = await api().get('/api/health').expect(200);
    expect(res.body.status).to.equal('ok');
  });

  it('answers malformed JSON with 400 "JSON parse error - …"', async () => {
    const res = await api()
      .post('/api/token/')
      .set('Content-Type', 'application/json')
      .send('{"username": ')
      .expect(400);
    expect(res.body.detail).to.match(/^JSON parse error - /);
  });

  it('answers JSON that is not an object with non_field_errors naming its Python type', async () => {
    const cases: Array<[string, string]> = [
      ['[1, 2]', 'list'],
      ['"text"', 'str'],
      ['3', 'int'],
      ['true', 'bool'],
      ['null', 'NoneType'],
    ];
    for (const [body, type] of cases) {
      const res = await api().post('/api/token/').set('Content-Type', 'application/json').send(body).expect(400);
      expect(res.body).to.deep.equal({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`] });
    }
  });

  it('answers a body that is not JSON with 415', async () => {
    const res = await api().post('/api/token/').set('Content-Type', 'text/plain').send('username=a').expect(415);
    expect(res.body).to.deep.equal({ detail: 'Unsupported media type "text/plain" in request.' });
  });

  it('answers a JSON body over the limit with 413', async () => {
    const res = await api()
      .post('/api/token/')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }))
      .expect(413);
    expect(res.body).to.have.property('detail');
  });

  it('turns an unexpected error into the bare 500, logged with the request id, never the message', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const app = new Koa();
    useRequestLog(app, logger);
    app.use(errorWriter);
    app.use(() => {
      throw new Error('secret internals');
    });
    const client = supertest(app.callback());
    const res = await client.get('/').set('X-Request-Id', 'req-1').expect(500);
    await client.get('/').set('X-Request-Id', 'req-2').expect(500);
    expect(res.body).to.deep.equal({ detail: 'A server error occurred.' });
    expect(JSON.stringify(res.body)).not.to.include('secret');
    // Each request's line carries its own id: the child logger is made per request, on first use.
    const logged = lines.map((line) => JSON.parse(line) as { reqId?: string; msg: string; err?: { message: string } });
    expect(logged.map((l) => [l.reqId, l.msg, l.err?.message])).to.deep.equal([
      ['req-1', 'unhandled error', 'secret internals'],
      ['req-2', 'unhandled error', 'secret internals'],
    ]);
  });

  it('echoes a well-formed X-Request-Id and generates one otherwise', async () => {
    const given = await api().get('/api/health/').set('X-Request-Id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).to.equal('abc-123');
    const generated = await api().get('/api/health/').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(generated.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  describe('when the database is unreachable', () => {
    it('answers 503 and reports the database down, without crashing', async () => {
      const config = testConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATABASE_POOL_MAX: '1' });
      const db = await openDatabase(config.database);
      try {
        const user = await makeUser();
        const authorization = await bearer(user); // signed by the same key, checked against the dead database
        const client = supertest(
          createApp({ ...testDeps(), config, knex: db.knex, storage: createStorage(config) }).app.callback(),
        );
        const health = await client.get('/api/health/').expect(503);
        expect(health.body).to.deep.equal({ status: 'down', checks: { database: 'down', storage: 'ok' } });
        const me = await client.get('/api/users/me/').set('Authorization', authorization).expect(503);
        expect(me.body).to.deep.equal({ detail: 'Service temporarily unavailable.' });
      } finally {
        await db.close();
      }
    });
  });
});
