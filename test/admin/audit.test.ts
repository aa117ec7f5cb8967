/**
 * The audit log and CSRF token as functions, without HTTP; and the audit table's migration.
 */
import { expect } from 'chai';
import { auditQuery } from '../../src/admin/audit.js';
import { recordAction } from '../../src/db/audit.js';
import { assertCsrfToken, csrfToken } from '../../src/admin/csrf.js';
import { makeUser } from '../support/app.js';
import { TEST_SECRET_KEY } from '../support/config.js';
import { redoMigrations, undoMigrationsThrough } from '../support/migrations.js';
import { testKnex } from '../support/hooks.js';

const MIGRATION = '20261128000200_admin_log';

describe('admin audit log', () => {
  it('records who did what to which object, and keeps the name when the actor is deleted', async () => {
    const actor = await makeUser({ username: 'olga', is_staff: true });
    await recordAction(
      testKnex(),
      actor,
      'logout_everywhere',
      { type: 'user', id: 7, repr: 'suspect' },
      { blacklisted: 2 },
    );
    await testKnex()('auth_user').where({ id: actor.id }).delete();
    const [entry] = await auditQuery(testKnex(), { action: 'logout_everywhere' });
    expect(entry).to.deep.include({
      actor_id: null,
      actor_username: 'olga',
      target_type: 'user',
      target_id: '7',
      target_repr: 'suspect',
      details: { blacklisted: 2 },
    });
    expect(entry.created_at).to.be.instanceOf(Date);
  });

  it('filters by actor, action and object, newest first', async () => {
    const actor = await makeUser({ username: 'olga' });
    for (const action of ['login', 'change_user', 'change_user'])
      await recordAction(testKnex(), actor, action, { type: 'user', id: 1, repr: 'x' });
    expect(await auditQuery(testKnex(), { actor: 'olga', action: 'change_user' })).to.have.length(2);
    expect(await auditQuery(testKnex(), { actor: 'nobody' })).to.have.length(0);
    const ids = (await auditQuery(testKnex(), { targetType: 'user', targetId: '1' })).map((e: { id: number }) =>
      Number(e.id),
    );
    expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));
  });

  it('has a reversible migration that also adds and removes view_logentry', async () => {
    const knex = testKnex();
    await undoMigrationsThrough(knex, MIGRATION);
    expect(await knex.schema.hasTable('admin_log')).to.equal(false);
    expect(await knex('auth_permission').where({ codename: 'view_logentry' }).first()).to.equal(undefined);
    await redoMigrations(knex);
    expect(await knex.schema.hasTable('admin_log')).to.equal(true);
    expect(await knex('auth_permission').where({ codename: 'view_logentry' }).first()).to.not.equal(undefined);
  });
});

describe('admin CSRF token', () => {
  it('is bound to the session and the secret key', () => {
    const token = csrfToken(TEST_SECRET_KEY, 'session-a');
    expect(token).to.equal(csrfToken(TEST_SECRET_KEY, 'session-a'));
    expect(token).to.not.equal(csrfToken(TEST_SECRET_KEY, 'session-b'));
    expect(token).to.not.equal(csrfToken(`${TEST_SECRET_KEY}x`, 'session-a'));
    expect(() => assertCsrfToken(TEST_SECRET_KEY, 'session-a', token)).not.to.throw();
    expect(() => assertCsrfToken(TEST_SECRET_KEY, 'session-b', token)).to.throw('CSRF Failed: CSRF token incorrect.');
    expect(() => assertCsrfToken(TEST_SECRET_KEY, 'session-a', null)).to.throw('CSRF Failed: CSRF token missing.');
  });
});
