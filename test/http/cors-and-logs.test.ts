import { expect } from 'chai';
import { pino } from 'pino';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { FRONTEND_ORIGIN, makeUser, PASSWORD, api, testDeps } from '../support/app.js';

describe('CORS', () => {
  it('allows credentials for a listed origin, preflight included', async () => {
    const preflight = await api()
      .options('/api/token/')
      .set('Origin', FRONTEND_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).to.be.oneOf([200, 204]);
    expect(preflight.headers['access-control-allow-origin']).to.equal(FRONTEND_ORIGIN);
    expect(preflight.headers['access-control-allow-credentials']).to.equal('true');
    const actual = await api().get('/api/health/').set('Origin', FRONTEND_ORIGIN).expect(200);
    expect(actual.headers['access-control-allow-origin']).to.equal(FRONTEND_ORIGIN);
    expect(actual.headers['access-control-allow-credentials']).to.equal('true');
  });

  it('gives any other origin no Access-Control-Allow-Origin, never *', async () => {
    for (const res of [
      await api().get('/api/health/').set('Origin', 'https://evil.example'),
      await api().options('/api/token/').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST'),
    ]) {
      expect(res.headers).not.to.have.property('access-control-allow-origin');
    }
  });
});

describe('request log', () => {
  it('logs one line per request with its request id, and no password or token', async () => {
    await makeUser({ username: 'alice' });
    const lines: string[] = [];
    const deps = { ...testDeps(), logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) };
    const client = supertest(createApp(deps).app.callback());
    const login = await client.post('/api/token/').set('X-Request-Id', 'login-1').send({ username: 'alice', password: PASSWORD }).expect(200);
    await client.get('/api/users/me/').set('Authorization', `Bearer ${login.body.access}`).expect(200);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.find((e) => e.reqId === 'login-1')).to.include({ msg: 'request', method: 'POST', path: '/api/token/', status: 200 });
    const all = lines.join('\n');
    expect(all).not.to.include(PASSWORD);
    expect(all).not.to.include(login.body.access);
    expect(all).not.to.include(login.body.refresh);
  });
});
