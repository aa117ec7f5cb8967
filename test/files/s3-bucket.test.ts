import { expect } from 'chai';
import { Client } from 'minio';
import { bearer, makeGroup, makeUser } from '../support/app.js';
import { s3Backend } from './backends.js';
import { closeApps, startApp } from './http.js';

describe('S3 store: the bucket', function () {
  this.timeout(60_000);
  const backend = s3Backend();
  before(() => backend.setUp());
  after(() => backend.tearDown());
  afterEach(() => closeApps());

  const admin = () => {
    const url = new URL(backend.env().MINIO_SERVER_URL!);
    return new Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      pathStyle: true,
      region: 'us-east-1',
    });
  };

  it('reports storage down when the bucket is missing and MINIO_CREATE_BUCKET is off', async () => {
    const app = await startApp({ ...backend.env(), MINIO_BUCKET: 'never-created', MINIO_CREATE_BUCKET: 'false' });
    const health = await app.client().get('/api/health/').expect(503);
    expect(health.body.checks).to.deep.equal({ database: 'ok', storage: 'down' });
    expect(await admin().bucketExists('never-created')).to.equal(false);
  });

  it('creates the missing bucket on first use when allowed, and presigns for MINIO_PUBLIC_URL', async () => {
    const app = await startApp({
      ...backend.env(),
      MINIO_BUCKET: 'created-on-demand',
      MINIO_PUBLIC_URL: 'https://files.example.test',
    });
    expect(await admin().bucketExists('created-on-demand')).to.equal(false);
    await app.client().get('/api/health/').expect(200);
    expect(await admin().bucketExists('created-on-demand')).to.equal(true);

    await makeGroup('uploaders', ['add_file']);
    const authorization = await bearer(await makeUser({ groups: ['uploaders'] }));
    const res = await app
      .client()
      .post('/api/files/')
      .set('Authorization', authorization)
      .attach('file', Buffer.from('hello'), 'a.txt')
      .expect(201);
    const url = new URL(res.body.url);
    expect(url.origin).to.equal('https://files.example.test');
    expect(url.pathname).to.match(/^\/created-on-demand\/files\/[0-9a-f-]{36}$/);
  });
});
