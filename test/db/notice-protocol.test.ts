/**
 * The change notices as the database sends them and the application reads them: every trigger
 * (the users' and tokens' of the migration, the declared resources' of `migrate`) is driven by a
 * plain SQL write, and what it sends must decode to the notice the caches expect — so the SQL,
 * which cannot import the decoder, and the decoder stay one protocol. On both database kinds.
 */
import { expect } from 'chai';
import type { Knex } from 'knex';
import { decodeNotice, encodeNotice, NOTICE_CHANNEL, type Notice } from '../../src/db/notice-protocol.js';
import type { Listener } from '../../src/db/notifications.js';
import { testDatabase, testKnex } from '../support/hooks.js';

const SESSION = '5f0c6c1e-8d5b-4a57-9a55-3f1f9b4a2c10';

describe('the change notice protocol', () => {
  describe('payloads', () => {
    const notices: [string, Notice][] = [
      ['u:42', { kind: 'user', id: 42 }],
      ['u:*', { kind: 'users' }],
      [`s:${SESSION}`, { kind: 'session', id: SESSION }],
      ['r:projects', { kind: 'resource', table: 'projects' }],
      ['*', { kind: 'everything' }],
    ];

    for (const [payload, notice] of notices) {
      it(`reads and writes ${payload}`, () => {
        expect(decodeNotice(payload)).to.deep.equal(notice);
        expect(encodeNotice(notice)).to.equal(payload);
      });
    }

    it('reads an unknown payload as nothing', () => {
      for (const payload of ['', 'x', 'u:', 'u:abc', 'u:-1', 'u:0', 'u:1.5', 's:', 'r:', '**', 'user:1'])
        expect(decodeNotice(payload), payload).to.equal(null);
    });
  });

  describe('what the triggers send', () => {
    let listener: Listener;
    let received: string[] = [];

    beforeEach(async () => {
      received = [];
      listener = await testDatabase().listen(NOTICE_CHANNEL, {
        notice: (payload) => void received.push(payload),
        reset: () => undefined,
      });
    });

    afterEach(async () => {
      await listener.close();
    });

    const sql = (text: string, bindings: Knex.RawBinding[] = []) => testKnex().raw(text, bindings);

    /** The notices a write sends, decoded, in the order received; every payload must decode. */
    async function noticesOf(write: () => Promise<unknown>): Promise<Notice[]> {
      await listener.sync();
      received = [];
      await write();
      await listener.sync();
      const decoded = received.map(decodeNotice);
      expect(decoded, `undecodable payload in ${JSON.stringify(received)}`).not.to.include(null);
      return decoded as Notice[];
    }

    async function insertUser(username: string): Promise<number> {
      const [row] = (
        await sql(
          `INSERT INTO auth_user (username, password, email, first_name, last_name, is_active, is_staff, is_superuser, date_joined)
           VALUES (?, '!', '', '', '', true, false, false, now()) RETURNING id`,
          [username],
        )
      ).rows as { id: number }[];
      return row!.id;
    }

    async function insertGroup(name: string): Promise<number> {
      const [row] = (await sql('INSERT INTO auth_group (name) VALUES (?) RETURNING id', [name])).rows as {
        id: number;
      }[];
      return row!.id;
    }

    async function permissionId(): Promise<number> {
      const [row] = (await sql("SELECT id FROM auth_permission WHERE codename = 'view_user'")).rows as { id: number }[];
      return row!.id;
    }

    async function insertToken(userId: number, jti: string, expires = "now() + interval '1 day'"): Promise<number> {
      const [row] = (
        await sql(
          `INSERT INTO token_blacklist_outstandingtoken (user_id, jti, token, created_at, expires_at, session_id)
           VALUES (?, ?, 't', now(), ${expires}, ?) RETURNING id`,
          [userId, jti, SESSION],
        )
      ).rows as { id: number }[];
      return row!.id;
    }

    const user = (id: number): Notice => ({ kind: 'user', id });
    const users: Notice = { kind: 'users' };
    const session: Notice = { kind: 'session', id: SESSION };
    const resource = (table: string): Notice => ({ kind: 'resource', table });
    const everything: Notice = { kind: 'everything' };

    it('a user written: that user', async () => {
      let id = 0;
      expect(await noticesOf(async () => (id = await insertUser('ann')))).to.deep.equal([user(1)]);
      expect(id).to.equal(1);
      expect(await noticesOf(() => sql("UPDATE auth_user SET first_name = 'Ann' WHERE id = ?", [id]))).to.deep.equal([
        user(id),
      ]);
      // The files' owner is set to null by the foreign key: a statement on the files' table.
      expect(await noticesOf(() => sql('DELETE FROM auth_user WHERE id = ?', [id]))).to.have.deep.members([
        user(id),
        resource('files'),
      ]);
    });

    it("a user's groups or permissions written: that user", async () => {
      const id = await insertUser('ann');
      const group = await insertGroup('editors');
      const permission = await permissionId();
      expect(
        await noticesOf(() => sql('INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)', [id, group])),
      ).to.deep.equal([user(id)]);
      expect(await noticesOf(() => sql('DELETE FROM auth_user_groups WHERE user_id = ?', [id]))).to.deep.equal([
        user(id),
      ]);
      expect(
        await noticesOf(() =>
          sql('INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (?, ?)', [id, permission]),
        ),
      ).to.deep.equal([user(id)]);
      const other = await insertUser('bob');
      expect(
        await noticesOf(() => sql('UPDATE auth_user_user_permissions SET user_id = ? WHERE user_id = ?', [other, id])),
      ).to.have.deep.members([user(id), user(other)]);
    });

    it('a group, its permissions or the permission list written: every user, and the groups resource', async () => {
      // The groups are a declared resource: its statement trigger speaks too, on its table and on
      // the tables of its many-to-many field.
      expect(await noticesOf(() => insertGroup('editors'))).to.deep.equal([resource('auth_group')]);
      const group = (await sql("SELECT id FROM auth_group WHERE name = 'editors'")).rows[0].id as number;
      expect(
        await noticesOf(() => sql("UPDATE auth_group SET name = 'writers' WHERE id = ?", [group])),
      ).to.have.deep.members([users, resource('auth_group')]);
      const permission = await permissionId();
      expect(
        await noticesOf(() =>
          sql('INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (?, ?)', [group, permission]),
        ),
      ).to.have.deep.members([users, resource('auth_group')]);
      // A write that changes nothing: the permission's name is the docs' and other tests' too.
      expect(
        await noticesOf(() => sql('UPDATE auth_permission SET name = name WHERE id = ?', [permission])),
      ).to.have.deep.members([users, resource('auth_group')]);
      expect(await noticesOf(() => sql('DELETE FROM auth_group WHERE id = ?', [group]))).to.have.deep.members([
        users,
        resource('auth_group'),
      ]);
    });

    it("a live session's token blacklisted, changed or deleted: that session", async () => {
      const id = await insertUser('ann');
      expect(await noticesOf(() => insertToken(id, 'a')), 'a new token makes no session stale').to.deep.equal([]);
      const token = (await sql("SELECT id FROM token_blacklist_outstandingtoken WHERE jti = 'a'")).rows[0].id as number;
      expect(
        await noticesOf(() => sql('INSERT INTO token_blacklist_blacklistedtoken (token_id) VALUES (?)', [token])),
      ).to.deep.equal([session]);
      expect(
        await noticesOf(() => sql("UPDATE token_blacklist_outstandingtoken SET token = 'u' WHERE id = ?", [token])),
      ).to.deep.equal([session]);
      expect(
        await noticesOf(() => sql('DELETE FROM token_blacklist_outstandingtoken WHERE id = ?', [token])),
      ).to.deep.equal([session]);
    });

    it("a declared resource's row written: that resource", async () => {
      const owner = await insertUser('ann');
      const insert = () =>
        sql(
          "INSERT INTO files (id, name, size, content_type, owner_id, object_key) VALUES (?, 'a.txt', 1, 'text/plain', ?, 'k')",
          [SESSION, owner],
        );
      expect(await noticesOf(insert)).to.deep.equal([resource('files')]);
      expect(await noticesOf(() => sql("UPDATE files SET name = 'b.txt'"))).to.deep.equal([resource('files')]);
      expect(await noticesOf(() => sql('DELETE FROM files'))).to.deep.equal([resource('files')]);
    });

    it('a table truncated: everything', async () => {
      await insertUser('ann');
      expect(await noticesOf(() => sql('TRUNCATE auth_user_user_permissions'))).to.deep.equal([everything]);
      expect(await noticesOf(() => sql('TRUNCATE files'))).to.deep.equal([resource('files')]);
    });
  });
});
