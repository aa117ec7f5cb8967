/**
 * Names an object's prototype answers to, errors that arise while Koa sends a body, and what caches
 * may keep of the API's answers.
 */
import { Readable } from 'node:stream';
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { makeUser, PASSWORD, testDeps } from '../support/app.js';
import { capturedLogger } from '../support/logs.js';

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'];

/** An app with a logger writing into `lines`, and its API router for a test's own routes. */
function appWithLog(lines: string[]) {
  const { app, api } = createApp({ ...testDeps(), logger: capturedLogger('info', lines) });
  return { client: supertest(app.callback()), api };
}

async function logged(lines: string[], message: string): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const found = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === message);
    if (found.length || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('names of the object prototype in requests', () => {
  for (const name of PROTOTYPE_NAMES) {
    it(`/admin/static/${name} is the admin's 404 page, with the security headers`, async () => {
      const { client } = appWithLog([]);
      const res = await client.get(`/admin/static/${name}`);
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['content-security-policy']).to.include("default-src 'none'");
    });
  }

  it('?notice= with a prototype name shows no notice', async () => {
    const { client } = appWithLog([]);
    for (const name of PROTOTYPE_NAMES) {
      const res = await client.get(`/admin/login/?notice=${name}`);
      expect(res.status).to.equal(200);
      expect(res.text).not.to.match(/function|native code|\[object/);
    }
    const known = await client.get('/admin/login/?notice=saved');
    expect(known.text, 'a known notice still shows').to.include('The changes were saved.');
  });
});

describe('errors while the body is sent', () => {
  it('a body JSON cannot write is a logged 500 in DRF’s shape, with the security headers', async () => {
    const lines: string[] = [];
    const { client, api } = appWithLog(lines);
    api.get('/test-bigint/', (ctx) => {
      ctx.body = { big: 1n };
    });
    const res = await client.get('/api/test-bigint/');
    expect(res.status).to.equal(500);
    expect(res.body).to.deep.equal({ detail: 'A server error occurred.' });
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(await logged(lines, 'unhandled error')).to.have.length(1);
    const access = (await logged(lines, 'request')).find((l) => l.path === '/api/test-bigint/');
    expect(access?.status, 'the access line counts the 500').to.equal(500);
  });

  it('a body that is a function is a 500, not an empty 200', async () => {
    const { client, api } = appWithLog([]);
    api.get('/test-function/', (ctx) => {
      ctx.body = Object.prototype.constructor;
    });
    const res = await client.get('/api/test-function/');
    expect(res.status).to.equal(500);
    expect(res.body).to.deep.equal({ detail: 'A server error occurred.' });
  });

  it('a stream that fails while it is sent is logged once, with the request id', async () => {
    const lines: string[] = [];
    const { client, api } = appWithLog(lines);
    api.get('/test-stream/', (ctx) => {
      ctx.type = 'application/octet-stream';
      ctx.body = new Readable({
        read() {
          this.destroy(new Error('the store went away'));
        },
      });
    });
    // Koa pipes the stream into the response, which the failure destroys: the client sees the
    // connection close, and the log says why.
    await client.get('/api/test-stream/').catch((error: Error) => error);
    const errors = await logged(lines, 'error while sending the response');
    expect(errors).to.have.length(1);
    expect(errors[0]!.reqId).to.be.a('string');
  });
});

describe('Cache-Control and Vary of API answers', () => {
  it('token answers, the current user and errors are no-store; a cookie-authenticated answer varies on Cookie', async () => {
    const { client } = appWithLog([]);
    const user = await makeUser();
    const login = await client.post('/api/token/').send({ username: user.username, password: PASSWORD });
    expect(login.status).to.equal(200);
    expect(login.headers['cache-control']).to.equal('no-store');
    const cookies = login.headers['set-cookie'] as unknown as string[];
    const me = await client.get('/api/users/me/').set('Cookie', cookies.map((c) => c.split(';')[0]).join('; '));
    expect(me.status).to.equal(200);
    expect(me.headers['cache-control']).to.equal('no-store');
    expect(me.headers.vary).to.match(/\bCookie\b/);
    const bearer = await client.get('/api/users/me/').set('Authorization', `Bearer ${login.body.access}`);
    expect(bearer.headers['cache-control']).to.equal('no-store');
    const refused = await client.get('/api/users/');
    expect(refused.status).to.equal(401);
    expect(refused.headers['cache-control']).to.equal('no-store');
    const refreshed = await client.post('/api/token/refresh/').send({ refresh: login.body.refresh });
    expect(refreshed.headers['cache-control']).to.equal('no-store');
  });

  it('a public answer keeps the Cache-Control its route declares', async () => {
    const { client } = appWithLog([]);
    const asset = await client.get('/api/docs/swagger-ui.css');
    expect(asset.status).to.equal(200);
    expect(asset.headers['cache-control']).to.match(/^public/);
  });
});
