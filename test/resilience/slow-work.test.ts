/**
 * No database connection waits on slow work: with a pool of one connection, password hashing
 * queued one at a time and an object store that accepts connections but never answers, requests
 * that need the database are answered while that work is still in flight. And the password
 * change, which no longer holds a lock while it verifies and hashes, overwrites nothing it did
 * not check.
 */
import net from 'node:net';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { limitPasswordWork, passwordWork, verifyPassword } from '../../src/auth/passwords.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { ValidationFailedError } from '../../src/errors.js';
import { S3Storage } from '../../src/storage/s3.js';
import { changePassword, SYSTEM_ACTOR, updateUser } from '../../src/users/service.js';
import { bearer, djangoPbkdf2, makeUser, PASSWORD, testDeps } from '../support/app.js';
import { testConfig } from '../support/config.js';
import { testKnex } from '../support/hooks.js';

describe('resilience: slow work holds no database connection', function () {
  this.timeout(60_000);
  const sockets = new Set<net.Socket>();
  let hole: net.Server;
  let own: Database | null = null;
  let knex: Knex;

  before(async () => {
    hole = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    // PGlite has one connection; on a server, a pool of one of our own.
    own = process.env.TEST_DATABASE_URL ? await openDatabase(testConfig({ DATABASE_POOL_MAX: '1' }).database) : null;
    knex = own?.knex ?? testKnex();
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hole.close(resolve));
    await own?.close();
  });
  beforeEach(() => limitPasswordWork(1));
  afterEach(async () => {
    limitPasswordWork(os.availableParallelism());
    // What the black hole still holds open is let go, so that nothing outlives the test.
    for (const socket of sockets) socket.destroy();
  });

  it('answers GET /api/users/me/ while hashes queue and a file delete waits on a silent store', async () => {
    const url = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    const storage = new S3Storage({
      url,
      publicUrl: url,
      accessKey: 'a',
      secretKey: 'b',
      bucket: 'backoffice',
      region: 'us-east-1',
      createBucket: true,
      idleTimeoutMs: 4_000,
    });
    const client = supertest(createApp({ ...testDeps({}, knex), storage }).app.callback());

    const root = await makeUser({ username: 'root', is_superuser: true });
    const rootAuth = await bearer(root);
    const users = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => makeUser({ username: `changer${i}` })));
    const other = await makeUser({ username: 'managed' });
    const auths = await Promise.all(users.map((u) => bearer(u)));
    const fileId = randomUUID();
    await testKnex()('files').insert({
      id: fileId,
      name: 'a.txt',
      size: 1,
      content_type: 'text/plain',
      owner_id: root.id,
      object_key: `files/${randomUUID()}`,
    });

    const finished: string[] = [];
    const track = (name: string, request: Promise<{ status: number }>) =>
      request.then((res) => {
        finished.push(name);
        return res.status;
      });
    const slow = [
      track('delete', client.delete(`/api/files/${fileId}/`).set('Authorization', rootAuth)),
      ...auths.map((auth, i) =>
        track(
          `change${i}`,
          client
            .post('/api/users/me/password/')
            .set('Authorization', auth)
            .send({ old_password: PASSWORD, new_password: `another-Horse-${i}-battery` }),
        ),
      ),
      ...[1, 2].map((i) =>
        track(
          `create${i}`,
          client
            .post('/api/users/')
            .set('Authorization', rootAuth)
            .send({ username: `made${i}`, password: PASSWORD }),
        ),
      ),
      track(
        'set-password',
        client
          .patch(`/api/users/${other.id}/`)
          .set('Authorization', rootAuth)
          .send({ last_name: 'X', password: 'admin-Chosen-pass-77' }),
      ),
    ];
    // Until the slow requests have reached their slow part: password work queued behind the one
    // running (bounded, so that a regression fails below instead of hanging here).
    for (const started = Date.now(); passwordWork().waiting < 2 && Date.now() - started < 5_000;)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));

    const me = await client.get('/api/users/me/').set('Authorization', rootAuth);
    const work = passwordWork();
    expect(me.status).to.equal(200);
    expect(finished, 'the delete still waits on the store').not.to.include('delete');
    expect(work.running + work.waiting, 'password work still in flight').to.be.greaterThan(0);

    // The delete: the store never answered, so the file is whole.
    expect(await Promise.all(slow)).to.deep.equal([503, 204, 204, 204, 204, 204, 204, 201, 201, 200]);
    expect(await testKnex()('files').where({ id: fileId }).first()).to.not.equal(undefined);
  });

  it('a password change re-checks the stored hash it verified: a change made meanwhile is not overwritten', async () => {
    const user = await makeUser({ username: 'raced' });
    // A Django hash of many iterations: checking the old password takes most of a second, and the
    // admin's change (two computations may run at once here) is written while it runs.
    await testKnex()('auth_user')
      .where({ id: user.id })
      .update({ password: djangoPbkdf2(PASSWORD, 'racedsalt', 2_000_000) });
    limitPasswordWork(2);
    let settled = false;
    const change = changePassword(knex, user.id, null, {
      old_password: PASSWORD,
      new_password: 'users-Own-choice-31',
    }).then(
      () => 'changed',
      (error: unknown) => error,
    );
    void change.finally(() => (settled = true));
    // The change has read the hash once its check runs.
    for (const started = Date.now(); passwordWork().running === 0 && Date.now() - started < 5_000;)
      await new Promise((resolve) => setTimeout(resolve, 1));
    await updateUser(knex, SYSTEM_ACTOR, user.id, { password: 'admin-Chosen-pass-77' });
    expect(settled, 'the admin’s change was written while the old password was checked').to.equal(false);
    const outcome = await change;
    expect(outcome).to.be.instanceOf(ValidationFailedError);
    expect(JSON.parse(JSON.stringify((outcome as ValidationFailedError).errors))).to.deep.equal({
      old_password: ['Your old password was entered incorrectly. Please enter it again.'],
    });
    const { password } = await testKnex()('auth_user').where({ id: user.id }).first('password');
    expect((await verifyPassword('admin-Chosen-pass-77', password)).valid, 'the admin’s password stands').to.equal(
      true,
    );
  });
});
