import { expect } from 'chai';
import path from 'node:path';
import { DEV_SECRET_KEY } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { TEST_SECRET_KEY } from '../support/config.js';
import { runCli, scratchDir } from '../support/processes.js';

/** The variables of an embedded-mode command on a fresh data folder. */
function embedded(extra: Record<string, string> = {}) {
  return { SECRET_KEY: TEST_SECRET_KEY, DATA_DIR: scratchDir(), ...extra };
}

describe('command line', function () {
  this.timeout(120_000);

  it('generate-secret-key prints a new 64-character key each time', async () => {
    const a = await runCli(['generate-secret-key'], {});
    const b = await runCli(['generate-secret-key'], {});
    expect(a.code).to.equal(0);
    expect(a.stdout.trim()).to.match(/^[\w-]{64}$/);
    expect(a.stdout).not.to.equal(b.stdout);
  });

  it('stops with one line naming a bad variable', async () => {
    const res = await runCli(['migrate', 'status'], { SECRET_KEY: 'short' });
    expect(res.code).to.equal(1);
    expect(res.stderr.trim()).to.equal(
      'Configuration error: SECRET_KEY must be at least 32 characters when DEBUG is off',
    );
  });

  it('migrate up, status and down: every migration is reversible', async () => {
    const env = embedded();
    expect((await runCli(['migrate', 'status'], env)).stdout)
      .to.match(/^\[ \] \d+_auth$/m)
      .and.to.match(/0 applied, \d+ pending/);
    const up = await runCli(['migrate', 'up'], env);
    expect(up.code).to.equal(0);
    expect(up.stdout).to.match(/^Applied: /);
    // Names carry no extension: the image (.js) and the sources (.ts) record the same ones.
    expect((await runCli(['migrate', 'status'], env)).stdout)
      .to.match(/^\[x\] \d+_auth$/m)
      .and.to.match(/\d+ applied, 0 pending/);
    expect((await runCli(['migrate'], env)).stdout).to.include('No migrations to apply');
    const down = await runCli(['migrate', 'down'], env);
    expect(down.code).to.equal(0);
    expect(down.stdout).to.match(/^Rolled back: /);
    expect((await runCli(['migrate', 'status'], env)).stdout).to.match(/0 applied, \d+ pending/);
  });

  it('fill-groups loads the roles once and then reports them unchanged', async () => {
    const env = embedded();
    await runCli(['migrate'], env);
    const first = await runCli(['fill-groups'], env);
    expect(first.code).to.equal(0);
    expect(first.stdout)
      .to.match(/^admin: created; added /m)
      .and.to.match(/^manager: created; added .*view_user/m)
      .and.to.match(/^viewer: created; added /m);
    const second = await runCli(['fill-groups'], env);
    expect(second.stdout.trim().split('\n')).to.deep.equal([
      'admin: unchanged',
      'manager: unchanged',
      'viewer: unchanged',
    ]);
  });

  it('setup-project refuses with DEBUG off unless forced, and is idempotent', async () => {
    const env = embedded();
    const refused = await runCli(['setup-project'], env);
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim().split('\n')).to.have.length(1);
    expect(refused.stderr).to.match(/--force/);
    const forced = await runCli(['setup-project', '--force'], env);
    expect(forced.code).to.equal(0);
    expect(forced.stdout).to.include('Demo users created: admin, manager, viewer');
    const debug = await runCli(['setup-project'], { ...env, DEBUG: 'true' });
    expect(debug.stdout).to.include('Demo users already exist.').and.to.include('admin: unchanged');
  });

  it('create-superuser runs without prompting and applies the same validation as the API', async () => {
    const env = embedded();
    await runCli(['migrate'], env);
    const ok = await runCli(
      ['create-superuser', '--username', 'root', '--email', 'root@example.com', '--password', 'Very-strong-pass-1'],
      env,
    );
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/Superuser "root" created/);
    const again = await runCli(['create-superuser', '--username', 'root'], {
      ...env,
      SUPERUSER_PASSWORD: 'Very-strong-pass-1',
    });
    expect(again.code).to.equal(1);
    expect(again.stderr.trim()).to.equal('error: username: A user with that username already exists.');
    const weak = await runCli(['create-superuser', '--username', 'root2', '--password', '12345'], env);
    expect(weak.stderr).to.include('This password is too short').and.to.include('entirely numeric');
    const none = await runCli(['create-superuser', '--username', 'root3'], env, { input: '' });
    expect(none.code).to.equal(1);
    expect(none.stderr).to.match(/no password/);
  });

  it('flush-expired-tokens deletes expired tokens with their blacklist rows and prints counts', async () => {
    const env = embedded();
    await runCli(['migrate'], env);
    const dataDir = path.join(env.DATA_DIR, 'pglite');
    let db = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const [user] = await db.knex('auth_user').insert({ username: 'u', password: '!' }).returning('id');
      const token = (jti: string, days: number) => ({
        user_id: user.id,
        jti,
        token: 't',
        expires_at: new Date(Date.now() + days * 86_400_000),
        session_id: '00000000-0000-4000-8000-000000000000',
      });
      const rows = await db
        .knex('token_blacklist_outstandingtoken')
        .insert([token('old1', -1), token('old2', -2), token('live', 1)])
        .returning('id');
      await db.knex('token_blacklist_blacklistedtoken').insert({ token_id: rows[0].id });
    } finally {
      await db.close();
    }
    const res = await runCli(['flush-expired-tokens'], env);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout.trim()).to.equal('Deleted 2 expired outstanding token(s) and 1 blacklisted token(s).');
    db = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(await db.knex('token_blacklist_outstandingtoken').pluck('jti')).to.deep.equal(['live']);
    } finally {
      await db.close();
    }
  });

  it('refuses with one clear line while another process holds the embedded database', async () => {
    const env = embedded({ SECRET_KEY: DEV_SECRET_KEY, DEBUG: 'true' });
    const db = await openDatabase({ kind: 'pglite', dataDir: path.join(env.DATA_DIR, 'pglite') });
    try {
      const res = await runCli(['migrate', 'status'], env);
      expect(res.code).to.equal(1);
      expect(res.stderr.trim().split('\n')).to.have.length(1);
      expect(res.stderr).to.match(/is in use by another process/);
    } finally {
      await db.close();
    }
  });
});

describe('migrate: usernames that look alike', function () {
  this.timeout(120_000);

  it('reports existing look-alike and unnormalised usernames, changes nothing, and succeeds', async () => {
    const env = embedded();
    const clean = await runCli(['migrate'], env);
    expect(clean.code, clean.stderr).to.equal(0);
    expect(clean.stdout).not.to.include('Warning');
    const dataDir = path.join(env.DATA_DIR, 'pglite');
    const names = ['admin', 'bob', 'Admin', 'ａｄｍｉｎ', 'BOB', 'carol', '\u212Aelvin'];
    let db = await openDatabase({ kind: 'pglite', dataDir });
    try {
      // Written behind the rules' back, as an older version or an import could have.
      await db.knex('auth_user').insert(names.map((username) => ({ username, password: '!' })));
    } finally {
      await db.close();
    }
    const res = await runCli(['migrate'], env);
    expect(res.code, res.stderr).to.equal(0);
    const lines = res.stdout.split('\n');
    expect(lines).to.include.members([
      'Warning: 2 group(s) of usernames are one name once NFKC-normalised and lower-cased (look-alikes):',
      '  admin, Admin, ａｄｍｉｎ',
      '  bob, BOB',
      'Warning: 2 username(s) are not in NFKC form and cannot log in until renamed:',
      '  ａｄｍｉｎ (as admin)',
      '  \u212Aelvin (as Kelvin)',
    ]);
    expect(res.stdout).to.include('Rename all but one account of each group');
    // Logged as a warning too, for whoever reads the logs rather than the terminal.
    const warnings = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; groups?: string[][] })
      .filter((entry) => entry.level === 40);
    expect(warnings.map((w) => w.msg)).to.deep.equal([
      'look-alike usernames: rename all but one of each group',
      'usernames not in NFKC form cannot log in: rename them',
    ]);
    expect(warnings[0]!.groups).to.deep.equal([
      ['admin', 'Admin', 'ａｄｍｉｎ'],
      ['bob', 'BOB'],
    ]);
    db = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(await db.knex('auth_user').orderBy('id').pluck('username')).to.deep.equal(names);
    } finally {
      await db.close();
    }
  });
});
