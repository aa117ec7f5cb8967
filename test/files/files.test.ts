import { expect } from 'chai';
import { request } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sweepOrphansCommand } from '../../src/commands/sweep-orphans.js';
import { ObjectTooLargeError } from '../../src/storage/storage.js';
import { testKnex } from '../support/hooks.js';
import { FRONTEND_ORIGIN, bearer, makeGroup, makeUser } from '../support/app.js';
import { adminLogin } from '../admin/support.js';
import { BACKENDS, keysIn, storageOf } from './backends.js';
import { closeApps, generatedBytes, startApp, streamUpload, type RunningApp } from './http.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/**
 * V8's full collection, exposed to this file only (a context made after the flag has `gc`), run
 * twice: a collection frees dead array buffers on a background thread, so right after one
 * `memoryUsage().arrayBuffers` still counts them (64 of 100 MB in a probe on Node 20); the next collection waits
 * for that sweep first. One collection let an upload's dead 64 KiB chunks pass for live memory
 * (59 MB against a 50 MB bound, a CI run of 2026-12-06).
 */
const collectGarbage = () => {
  gc();
  gc();
};

/** A 1×1 PNG: its signature says `image/png` whatever name or type the client claims. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5e4c0a40000000049454e44ae426082',
  'hex',
);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

for (const makeBackend of BACKENDS) {
  const backend = makeBackend();

  describe(`Files API on the ${backend.name} store`, function () {
    this.timeout(120_000);
    let app: RunningApp;

    before(() => backend.setUp());
    after(() => backend.tearDown());
    beforeEach(async () => {
      app = await startApp(backend.env());
    });
    afterEach(() => closeApps());

    const files = () => testKnex()('files');
    /** How many rows a query matches (`pg` counts as strings, PGlite as numbers). */
    const count = async (query: ReturnType<typeof files>) =>
      Number(((await query.count({ n: '*' }).first()) as { n: string | number }).n);
    const store = () => storageOf(backend);

    /** Grants a permission to a user directly. */
    const grant = (userId: number, codename: string) =>
      testKnex()('auth_user_user_permissions').insert({
        user_id: userId,
        permission_id: testKnex()('auth_permission').where({ codename }).select('id'),
      });

    /** A user holding add_file (through a group, as roles grant it) and their Authorization header. */
    async function uploader() {
      const group = `uploaders-${Math.random().toString(36).slice(2)}`;
      await makeGroup(group, ['add_file']);
      const user = await makeUser({ groups: [group] });
      return { user, authorization: await bearer(user) };
    }

    async function upload(authorization: string, content: Buffer = PNG, name = 'picture.png') {
      const res = await app
        .client()
        .post('/api/files/')
        .set('Authorization', authorization)
        .attach('file', content, name)
        .expect(201);
      return res.body as Record<string, unknown> & { id: string; url: string };
    }

    describe('POST /api/files/', () => {
      let sampler: NodeJS.Timeout | undefined;
      // A timed-out test must not leave its memory sampler collecting garbage under the next ones.
      afterEach(() => clearInterval(sampler));

      it('requires authentication', async () => {
        const res = await app.client().post('/api/files/').attach('file', PNG, 'a.png').expect(401);
        expect(res.body).to.deep.equal({ detail: 'Authentication credentials were not provided.' });
      });

      it('requires add_file', async () => {
        const user = await makeUser();
        const res = await app
          .client()
          .post('/api/files/')
          .set('Authorization', await bearer(user))
          .attach('file', PNG, 'a.png')
          .expect(403);
        expect(res.body).to.deep.equal({ detail: 'You do not have permission to perform this action.' });
      });

      it('refuses a missing file field with DRF’s 400', async () => {
        const { authorization } = await uploader();
        const res = await app
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .field('other', 'x')
          .expect(400);
        expect(res.body).to.deep.equal({ file: ['No file was submitted.'] });
      });

      it('refuses a text value in the file field', async () => {
        const { authorization } = await uploader();
        const res = await app
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .field('file', 'not a file')
          .expect(400);
        expect(res.body).to.deep.equal({
          file: ['The submitted data was not a file. Check the encoding type on the form.'],
        });
      });

      it('refuses an empty file and keeps nothing', async () => {
        const { authorization } = await uploader();
        const before = await keysIn(store());
        const res = await app
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .attach('file', Buffer.alloc(0), 'empty.txt')
          .expect(400);
        expect(res.body).to.deep.equal({ file: ['The submitted file is empty.'] });
        expect(await count(files())).to.equal(0);
        expect(await keysIn(store())).to.deep.equal(before);
      });

      it('leaves no row and no object when the body breaks off after the file part (400)', async () => {
        const { authorization } = await uploader();
        const before = await keysIn(store());
        // The file part is complete (its closing delimiter sent), the form's final boundary never
        // comes: the store has the file before the parser finds the body broken.
        const boundary = 'broken-off-boundary';
        const body = Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
          ),
          PNG,
          Buffer.from(`\r\n--${boundary}`),
        ]);
        const answer = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
          const req = request(
            `${app.origin}/api/files/`,
            {
              method: 'POST',
              headers: { Authorization: authorization, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
              );
            },
          );
          req.on('error', reject);
          // Sent in two writes, the second once the first has had time to reach the store.
          req.write(body.subarray(0, body.length - 4));
          setTimeout(() => req.end(body.subarray(body.length - 4)), 200);
        });
        expect(answer).to.deep.equal({
          status: 400,
          body: { detail: 'Multipart form parse error - Unexpected end of form' },
        });
        // Nothing appears later either (a store still in flight when the answer left).
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await count(files())).to.equal(0);
        expect(await keysIn(store())).to.deep.equal(before);
      });

      it('leaves no row and no object when the client goes away after the file part', async () => {
        const { authorization } = await uploader();
        const before = await keysIn(store());
        const boundary = 'gone-away-boundary';
        const req = request(`${app.origin}/api/files/`, {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
        });
        req.on('error', () => undefined);
        req.write(
          Buffer.concat([
            Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n`),
            PNG,
            Buffer.from(`\r\n--${boundary}`),
          ]),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        req.destroy();
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(await count(files())).to.equal(0);
        expect(await keysIn(store())).to.deep.equal(before);
      });

      it('refuses a body that is not multipart with 415', async () => {
        const { authorization } = await uploader();
        const res = await app
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .send({ file: 'x' })
          .expect(415);
        expect(res.body).to.deep.equal({ detail: 'Unsupported media type "application/json" in request.' });
      });

      it('refuses a malformed multipart body with 400', async () => {
        const { authorization } = await uploader();
        const res = await app
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .set('Content-Type', 'multipart/form-data')
          .send('x')
          .expect(400);
        expect(res.body.detail).to.match(/^Multipart form parse error - /);
      });

      it('stores the file under a generated key with its sniffed type, and answers its JSON', async () => {
        const { user, authorization } = await uploader();
        const res = await app
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .attach('file', PNG, { filename: 'C:\\fakepath\\..\\notes.txt', contentType: 'text/plain' })
          .expect(201);
        expect(Object.keys(res.body).sort()).to.deep.equal([
          'content_type',
          'created_at',
          'id',
          'name',
          'owner',
          'size',
          'url',
        ]);
        expect(res.body).to.include({ name: 'notes.txt', size: PNG.length, content_type: 'image/png', owner: user.id });
        expect(res.body.id).to.match(UUID);
        expect(new Date(res.body.created_at).toISOString()).to.equal(res.body.created_at);

        const row = await files().where({ id: res.body.id }).first();
        expect(row.object_key).to.match(/^files\/[0-9a-f-]{36}$/);
        expect(row.object_key).not.to.include('notes');
        const stat = await store().stat(row.object_key);
        expect(stat?.size).to.equal(PNG.length);
      });

      it('detects plain text and unknown binary content', async () => {
        const { authorization } = await uploader();
        expect((await upload(authorization, Buffer.from('héllo, world\n'), 'a.png')).content_type).to.equal(
          'text/plain',
        );
        expect((await upload(authorization, Buffer.from([0, 159, 146, 150, 1, 2]), 'a.txt')).content_type).to.equal(
          'application/octet-stream',
        );
      });

      it('answers 413 past UPLOAD_MAX_BYTES, leaving nothing in the store or the database', async () => {
        const small = await startApp({ ...backend.env(), UPLOAD_MAX_BYTES: '100000' });
        const { authorization } = await uploader();
        const before = await keysIn(store());

        // Streamed without Content-Length: the limit is enforced while reading.
        const streamed = await streamUpload(small.origin, authorization, {
          name: 'big.bin',
          content: generatedBytes(20 * 1024 * 1024),
        });
        expect(streamed.status).to.equal(413);
        expect(streamed.body).to.deep.equal({ detail: 'The file exceeds the upload limit of 100000 bytes.' });

        // One byte over, with Content-Length.
        const over = await small
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .attach('file', Buffer.alloc(100_001, 1), 'over.bin')
          .expect(413);
        expect(over.body).to.have.property('detail');
        // Exactly at the limit passes.
        await small
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .attach('file', Buffer.alloc(100_000, 1), 'at.bin')
          .expect(201);

        expect(await count(files().whereNot({ name: 'at.bin' }))).to.equal(0);
        const after = await keysIn(store());
        expect(after.length).to.equal(before.length + 1);
      });

      it('refuses at once a declared length far over the limit', async () => {
        const small = await startApp({ ...backend.env(), UPLOAD_MAX_BYTES: '1000' });
        const { authorization } = await uploader();
        const res = await small
          .client()
          .post('/api/files/')
          .set('Authorization', authorization)
          .set('Content-Type', 'multipart/form-data; boundary=x')
          .set('Content-Length', String(50 * 1024 * 1024))
          .ok(() => true)
          .send('');
        expect(res.status).to.equal(413);
      });

      it('streams the upload: a 200 MB file grows live memory by far less than its size', async function () {
        this.timeout(300_000);
        const size = 200 * 1024 * 1024;
        // An upload held in memory grows live memory by its size; a streamed one by its buffers.
        const bound = size / 4;
        const big = await startApp({ ...backend.env(), UPLOAD_MAX_BYTES: String(size) });
        const { authorization } = await uploader();

        // Live memory, not garbage: how much garbage V8 lets pile up before it collects differs
        // between lines and runs (75–105 MB here). So a reading over the bound is taken again after
        // a full collection — and only then: collecting this suite's heap every 100 ms stalled the
        // upload and every test after it.
        const reading = () => {
          const m = process.memoryUsage();
          return m.heapUsed + m.arrayBuffers;
        };
        collectGarbage();
        const baseline = reading();
        let peak = 0;
        let collections = 0;
        const sample = () => {
          let growth = reading() - baseline;
          if (growth >= bound) {
            collectGarbage();
            collections++;
            growth = reading() - baseline;
          }
          peak = Math.max(peak, growth);
        };
        sampler = setInterval(sample, 100);
        try {
          const res = await streamUpload(big.origin, authorization, { name: 'big.bin', content: generatedBytes(size) });
          expect(res.status, JSON.stringify(res.body)).to.equal(201);
          expect(res.body.size).to.equal(size);
        } finally {
          clearInterval(sampler);
        }
        sample();
        const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
        expect(peak, `live memory grew by ${mb(peak)} MB (${collections} collections)`).to.be.below(bound);
        const row = await files().first();
        expect((await store().stat(row.object_key))?.size).to.equal(size);
        await store().delete(row.object_key);
      });
    });

    describe('GET /api/files/', () => {
      it('requires authentication', async () => {
        await app.client().get('/api/files/').expect(401);
      });

      it('lists the user’s own files, newest first, paginated', async () => {
        const { authorization } = await uploader();
        const other = await uploader();
        const first = await upload(authorization, PNG, 'first.png');
        const second = await upload(authorization, PNG, 'second.png');
        await upload(other.authorization, PNG, 'theirs.png');

        const res = await app.client().get('/api/files/?page_size=1').set('Authorization', authorization).expect(200);
        expect(res.body.count).to.equal(2);
        expect(res.body.results.map((f: { id: string }) => f.id)).to.deep.equal([second.id]);
        expect(res.body.next).to.equal(`${app.origin}/api/files/?page_size=1&page=2`);
        const page2 = await app
          .client()
          .get('/api/files/?page_size=1&page=2')
          .set('Authorization', authorization)
          .expect(200);
        expect(page2.body.results.map((f: { id: string }) => f.id)).to.deep.equal([first.id]);
        expect(page2.body.results[0].url).to.be.a('string');
      });

      it('lists every file for a holder of view_file', async () => {
        const { authorization } = await uploader();
        await upload(authorization);
        const auditor = await makeUser();
        await grant(auditor.id, 'view_file');
        const res = await app
          .client()
          .get('/api/files/')
          .set('Authorization', await bearer(auditor))
          .expect(200);
        expect(res.body.count).to.equal(1);
      });
    });

    describe('GET /api/files/{id}/', () => {
      it('answers the file with a short-lived url that downloads it without credentials', async () => {
        const { authorization } = await uploader();
        const created = await upload(authorization, PNG, 'Отчёт final.png');
        const res = await app.client().get(`/api/files/${created.id}/`).set('Authorization', authorization).expect(200);
        expect(res.body).to.deep.include({ id: created.id, name: 'Отчёт final.png', content_type: 'image/png' });

        const download = await fetch(res.body.url);
        expect(download.status).to.equal(200);
        expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).to.equal(true);
        expect(download.headers.get('content-type')).to.equal('image/png');
        expect(download.headers.get('content-disposition')).to.include(
          "filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20final.png",
        );
      });

      it('makes urls that stop working when altered or expired', async () => {
        const shortLived = await startApp({ ...backend.env(), FILE_URL_LIFETIME: '1' });
        const { authorization } = await uploader();
        const created = await upload(authorization);
        const { body } = await shortLived
          .client()
          .get(`/api/files/${created.id}/`)
          .set('Authorization', authorization)
          .expect(200);
        const url = new URL(body.url);
        if (backend.name === 's3') {
          // Presigned by the client for FILE_URL_LIFETIME, path style, in the configured bucket. (s3rver checks expiry
          // but not V4 signatures, so tampering is left to the real MinIO.)
          expect(url.searchParams.get('X-Amz-Expires')).to.equal('1');
          expect(url.searchParams.get('X-Amz-Signature')).to.match(/^[0-9a-f]{64}$/);
          expect(url.pathname).to.match(new RegExp(`^/${backend.env().MINIO_BUCKET}/files/[0-9a-f-]{36}$`));
        } else {
          for (const [param, value] of [
            ['signature', 'A'.repeat(43)],
            ['name', 'other.png'],
            ['type', 'text/html'],
            ['expires', '9999999999'],
          ]) {
            const altered = new URL(url);
            altered.searchParams.set(param!, value!);
            const res = await fetch(altered);
            expect(res.status, param).to.equal(403);
            expect(await res.json()).to.deep.equal({ detail: 'This link is invalid or has expired.' });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        expect((await fetch(body.url)).status).to.equal(403);
      });

      it('hides other users’ files (404) unless the user holds view_file', async () => {
        const owner = await uploader();
        const created = await upload(owner.authorization);
        const stranger = await makeUser();
        await app
          .client()
          .get(`/api/files/${created.id}/`)
          .set('Authorization', await bearer(stranger))
          .expect(404);
        await grant(stranger.id, 'view_file');
        await app
          .client()
          .get(`/api/files/${created.id}/`)
          .set('Authorization', await bearer(stranger))
          .expect(200);
      });

      it('answers 404 for an id that is not a uuid or not known', async () => {
        const { authorization } = await uploader();
        for (const id of ['1', 'nope', '00000000-0000-4000-8000-000000000000']) {
          const res = await app.client().get(`/api/files/${id}/`).set('Authorization', authorization).expect(404);
          expect(res.body).to.deep.equal({ detail: 'Not found.' });
        }
      });
    });

    describe('GET /api/files/{id}/download/', () => {
      it('streams the content with a safe Content-Disposition', async () => {
        const { authorization } = await uploader();
        const content = Buffer.from('a,b\n1,2\n');
        const created = await upload(authorization, content, 'report.csv');
        // Browsers send `"` as %22 in multipart names; a name with quotes can still come from elsewhere.
        await files().where({ id: created.id }).update({ name: 'отчёт "x".csv' });
        const res = await app
          .client()
          .get(`/api/files/${created.id}/download/`)
          .set('Authorization', authorization)
          .buffer(true)
          .parse((r, done) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => done(null, Buffer.concat(chunks)));
          });
        expect(res.status).to.equal(200);
        expect((res.body as Buffer).equals(content)).to.equal(true);
        expect(res.headers['content-type']).to.equal('text/plain');
        expect(res.headers['content-length']).to.equal(String(content.length));
        expect(res.headers['content-disposition']).to.equal(
          `attachment; filename="????? \\"x\\".csv"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%22x%22.csv`,
        );
        expect(res.headers['x-content-type-options']).to.equal('nosniff');
      });

      it('lets the frontend read the file name across origins', async () => {
        const { authorization } = await uploader();
        const created = await upload(authorization);
        const res = await app
          .client()
          .get(`/api/files/${created.id}/download/`)
          .set('Authorization', authorization)
          .set('Origin', FRONTEND_ORIGIN)
          .expect(200);
        expect(res.headers['access-control-allow-origin']).to.equal(FRONTEND_ORIGIN);
        expect(res.headers['access-control-expose-headers']).to.include('Content-Disposition');
      });

      it('hides other users’ files', async () => {
        const owner = await uploader();
        const created = await upload(owner.authorization);
        await app
          .client()
          .get(`/api/files/${created.id}/download/`)
          .set('Authorization', await bearer(await makeUser()))
          .expect(404);
      });
    });

    describe('the admin of files', () => {
      it('lists the files a staff member may see and deletes one with its object, audited, as the API does', async () => {
        const owner = await uploader();
        const kept = await upload(owner.authorization, PNG, 'kept.png');
        const doomed = await upload(owner.authorization, PNG, 'doomed.png');
        const { object_key: key } = await files().where({ id: doomed.id }).first();
        await makeGroup('file-keepers', ['view_file', 'delete_file']);
        const keeper = await makeUser({ is_staff: true, groups: ['file-keepers'] });
        const admin = await adminLogin(keeper, undefined, app.client());

        const list = await admin.get('/admin/files/').expect(200);
        expect(list.text).to.include(`/admin/files/${kept.id}/change/`).and.include('doomed.png');
        expect(list.text).not.to.include('/admin/files/add/'); // an upload is the API's, not a form's
        await admin.get(`/admin/files/${doomed.id}/delete/`).expect(200);
        const deleted = await admin.post(`/admin/files/${doomed.id}/delete/`).expect(302);
        expect(deleted.headers.location).to.equal('/admin/files/?notice=deleted');

        expect(await files().where({ id: doomed.id }).first()).to.equal(undefined);
        expect(await store().stat(key)).to.equal(null);
        const entry = await testKnex()('admin_log').where({ action: 'delete_file', target_id: doomed.id }).first();
        expect(entry).to.include({ actor_id: keeper.id, target_repr: 'doomed.png' });
        await admin.get('/admin/files/not-a-uuid/change/').expect(404);
      });
    });

    describe('DELETE /api/files/{id}/', () => {
      it('records the upload and the deletion in the audit log, by the uploader and the deleter', async () => {
        const owner = await uploader();
        const created = await upload(owner.authorization, PNG, 'audited.png');
        const cleaner = await makeUser();
        await grant(cleaner.id, 'delete_file');
        await app
          .client()
          .delete(`/api/files/${created.id}/`)
          .set('Authorization', await bearer(cleaner))
          .expect(204);
        const entries = await testKnex()('admin_log')
          .where({ target_type: 'file', target_id: created.id })
          .orderBy('id')
          .select('action', 'actor_id', 'target_repr');
        expect(entries).to.deep.equal([
          { action: 'add_file', actor_id: created.owner, target_repr: 'audited.png' },
          { action: 'delete_file', actor_id: cleaner.id, target_repr: 'audited.png' },
        ]);
      });

      it('lets the owner delete: the row and the object are gone', async () => {
        const { authorization } = await uploader();
        const created = await upload(authorization);
        const { object_key: key } = await files().where({ id: created.id }).first();
        await app.client().delete(`/api/files/${created.id}/`).set('Authorization', authorization).expect(204);
        expect(await files().where({ id: created.id }).first()).to.equal(undefined);
        expect(await store().stat(key)).to.equal(null);
        await app.client().get(`/api/files/${created.id}/`).set('Authorization', authorization).expect(404);
      });

      it('needs delete_file to delete someone else’s file', async () => {
        const owner = await uploader();
        const created = await upload(owner.authorization);
        const other = await makeUser();
        await app
          .client()
          .delete(`/api/files/${created.id}/`)
          .set('Authorization', await bearer(other))
          .expect(404);
        await grant(other.id, 'view_file');
        const denied = await app
          .client()
          .delete(`/api/files/${created.id}/`)
          .set('Authorization', await bearer(other))
          .expect(403);
        expect(denied.body).to.deep.equal({ detail: 'You do not have permission to perform this action.' });
        const cleaner = await makeUser();
        await grant(cleaner.id, 'delete_file'); // without view_file: deleting needs no more
        await app
          .client()
          .delete(`/api/files/${created.id}/`)
          .set('Authorization', await bearer(cleaner))
          .expect(204);
        expect(await files().where({ id: created.id }).first()).to.equal(undefined);
      });
    });

    describe('the store', () => {
      it('leaves nothing behind when a write fails midway or runs over its limit', async () => {
        const storage = store();
        const before = await keysIn(storage);
        async function* failing() {
          yield Buffer.alloc(9 * 1024 * 1024, 1); // past one S3 part: a multipart upload has begun
          throw new Error('client went away');
        }
        let error = await storage
          .put('files/failed-write', Readable.from(failing()), {
            contentType: 'application/octet-stream',
            maxBytes: 1e9,
          })
          .catch((e: unknown) => e);
        expect((error as Error).message).to.equal('client went away');
        error = await storage
          .put('files/too-large', Readable.from(generatedBytes(20 * 1024 * 1024)), {
            contentType: 'application/octet-stream',
            maxBytes: 10 * 1024 * 1024,
          })
          .catch((e: unknown) => e);
        expect(error).to.be.instanceOf(ObjectTooLargeError);
        expect(await storage.stat('files/failed-write')).to.equal(null);
        expect(await storage.stat('files/too-large')).to.equal(null);
        expect(await keysIn(storage)).to.deep.equal(before);
      });

      it('round-trips objects of one part, several parts and none', async () => {
        const storage = store();
        for (const size of [0, 5, 8 * 1024 * 1024, 17 * 1024 * 1024 + 3]) {
          const content = Buffer.alloc(size);
          for (let i = 0; i < size; i += 4096) content[i] = (i / 4096) % 251;
          const key = `files/roundtrip-${size}`;
          expect(
            await storage.put(key, Readable.from([content.subarray(0, size >> 1), content.subarray(size >> 1)]), {
              contentType: 'application/octet-stream',
              maxBytes: size,
            }),
          ).to.deep.equal({ size });
          const chunks: Buffer[] = [];
          for await (const chunk of await storage.get(key)) chunks.push(chunk as Buffer);
          expect(Buffer.concat(chunks).equals(content), `size ${size}`).to.equal(true);
          await storage.delete(key);
          expect(await storage.stat(key)).to.equal(null);
        }
      });

      it('refuses keys it did not generate', async () => {
        for (const key of ['../etc/passwd', '/abs', 'files/../x', 'Files/Upper', 'files//x', '']) {
          const error = await store()
            .stat(key)
            .catch((e: unknown) => e);
          expect(error, key).to.be.instanceOf(Error);
        }
      });
    });

    describe('sweep-orphans', () => {
      it('removes objects no row refers to once older than the grace period; --dry-run removes nothing', async () => {
        const storage = store();
        for (const key of await keysIn(storage)) await storage.delete(key); // earlier tests' rows are truncated, their objects not
        const { authorization } = await uploader();
        const kept = await upload(authorization);
        const { object_key: keptKey } = await files().where({ id: kept.id }).first();
        await storage.put('files/orphan-1', Readable.from([Buffer.from('lost')]), {
          contentType: 'text/plain',
          maxBytes: 100,
        });
        const lines: string[] = [];
        const out = { line: (text: string) => void lines.push(text) };
        const deps = { knex: testKnex(), storage };

        // Everything is young: nothing goes.
        await sweepOrphansCommand(deps, { graceSeconds: 3600, dryRun: false, progress: null }, out);
        expect(await storage.stat('files/orphan-1')).not.to.equal(null);
        expect(lines.at(-1)).to.equal(
          'Removed 0 orphaned object(s), 0 bytes; examined 2 object(s) under files/, kept 1 orphan(s) younger than the grace period.',
        );

        await new Promise((resolve) => setTimeout(resolve, 1_100));
        lines.length = 0;
        await sweepOrphansCommand(deps, { graceSeconds: 1, dryRun: true, progress: null }, out);
        expect(lines).to.have.length(2);
        expect(lines[0]).to.match(/^Would remove files\/orphan-1 \(4 bytes, /);
        expect(lines[1]).to.match(/^Would remove 1 orphaned object\(s\), 4 bytes/);
        expect(await storage.stat('files/orphan-1')).not.to.equal(null);

        lines.length = 0;
        await sweepOrphansCommand(deps, { graceSeconds: 1, dryRun: false, progress: null }, out);
        expect(lines[0]).to.match(/^Removed files\/orphan-1 /);
        expect(await storage.stat('files/orphan-1')).to.equal(null);
        expect(await storage.stat(keptKey)).not.to.equal(null);
        await app.client().get(`/api/files/${kept.id}/download/`).set('Authorization', authorization).expect(200);
      });

      it('draws a progress bar on a terminal', async () => {
        let drawn = '';
        const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
        terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
        const lines: string[] = [];
        await sweepOrphansCommand(
          { knex: testKnex(), storage: store() },
          { graceSeconds: 3600, dryRun: true, progress: terminal },
          { line: (t) => void lines.push(t) },
        );
        expect(drawn).to.match(/Sweeping .* \d+\/\d+ objects/);
        expect(lines.at(-1)).to.match(/^Would remove 0 orphaned object\(s\)/);
      });
    });

    describe('when the store is down', () => {
      afterEach(async () => {
        await backend.bringBack().catch(() => undefined);
      });

      it('answers 503 on file endpoints, keeps the rest working, reports it in health, and recovers by itself', async () => {
        const { user, authorization } = await uploader();
        const created = await upload(authorization);
        const rowsBefore = await count(files());

        await backend.takeDown();
        const unavailable = { detail: 'Service temporarily unavailable.' };
        const client = app.client();
        expect(
          (
            await client
              .post('/api/files/')
              .set('Authorization', authorization)
              .attach('file', PNG, 'a.png')
              .expect(503)
          ).body,
        ).to.deep.equal(unavailable);
        expect((await client.get('/api/files/').set('Authorization', authorization).expect(503)).body).to.deep.equal(
          unavailable,
        );
        expect(
          (await client.get(`/api/files/${created.id}/`).set('Authorization', authorization).expect(503)).body,
        ).to.deep.equal(unavailable);
        expect(
          (await client.get(`/api/files/${created.id}/download/`).set('Authorization', authorization).expect(503)).body,
        ).to.deep.equal(unavailable);
        expect(
          (await client.delete(`/api/files/${created.id}/`).set('Authorization', authorization).expect(503)).body,
        ).to.deep.equal(unavailable);
        expect(await count(files())).to.equal(rowsBefore);

        const me = await client.get('/api/users/me/').set('Authorization', authorization).expect(200);
        expect(me.body.id).to.equal(user.id);
        const down = await client.get('/api/health/').expect(503);
        expect(down.body).to.deep.equal({ status: 'down', checks: { database: 'ok', storage: 'down' } });

        await backend.bringBack();
        const up = await client.get('/api/health/').expect(200);
        expect(up.body).to.deep.equal({ status: 'ok', checks: { database: 'ok', storage: 'ok' } });
        await client.get('/api/files/').set('Authorization', authorization).expect(200);
        // The delete that failed changed nothing: the file is whole and can be deleted now.
        const download = await client
          .get(`/api/files/${created.id}/download/`)
          .set('Authorization', authorization)
          .expect(200);
        expect(Number(download.headers['content-length'])).to.equal(PNG.length);
        await client.delete(`/api/files/${created.id}/`).set('Authorization', authorization).expect(204);
      });
    });
  });
}
