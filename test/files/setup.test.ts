import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fillGroups } from '../../src/setup/service.js';
import { testKnex } from '../support/hooks.js';
import { redoMigrations, undoMigrationsThrough } from '../support/migrations.js';
import { TEST_SECRET_KEY } from '../support/config.js';

const run = promisify(execFile);

describe('File permissions and roles', () => {
  it('the migration creates the four file permissions', async () => {
    const rows = await testKnex()('auth_permission')
      .where({ model: 'file' })
      .orderBy('codename')
      .select('codename', 'name');
    expect(rows).to.deep.equal([
      { codename: 'add_file', name: 'Can add file' },
      { codename: 'change_file', name: 'Can change file' },
      { codename: 'delete_file', name: 'Can delete file' },
      { codename: 'view_file', name: 'Can view file' },
    ]);
  });

  it('roles.json grants managers view/add/delete and viewers view', async () => {
    await fillGroups(testKnex());
    const codenames = (role: string) =>
      testKnex()('auth_group_permissions as gp')
        .join('auth_group as g', 'g.id', 'gp.group_id')
        .join('auth_permission as p', 'p.id', 'gp.permission_id')
        .where('g.name', role)
        .where('p.model', 'file')
        .orderBy('p.codename')
        .pluck('p.codename');
    expect(await codenames('manager')).to.deep.equal(['add_file', 'delete_file', 'view_file']);
    expect(await codenames('viewer')).to.deep.equal(['view_file']);
  });

  it('the files migration is reversible', async () => {
    const name = '20261128000100_files';
    await undoMigrationsThrough(testKnex(), name);
    expect(await testKnex().schema.hasTable('files')).to.equal(false);
    expect(await testKnex()('auth_permission').where({ model: 'file' }).pluck('codename')).to.deep.equal([]);
    await redoMigrations(testKnex());
    expect(await testKnex().schema.hasTable('files')).to.equal(true);
  });
});

describe('CLI sweep-orphans', function () {
  this.timeout(120_000);
  let dir = '';
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { PATH: process.env.PATH, SECRET_KEY: TEST_SECRET_KEY, DATA_DIR: dir, LOG_LEVEL: 'silent' },
    });

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'backoffice-cli-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('removes old orphans of the configured store, lists them with --dry-run, and refuses a bad --grace', async () => {
    await cli('migrate');
    const orphan = path.join(dir, 'media', 'files', 'an-orphan');
    await fs.mkdir(path.dirname(orphan), { recursive: true });
    await fs.writeFile(orphan, 'lost');
    const twoDaysAgo = new Date(Date.now() - 2 * 86400 * 1000);
    await fs.utimes(orphan, twoDaysAgo, twoDaysAgo);

    const dry = await cli('sweep-orphans', '--dry-run');
    expect(dry.stdout).to.match(/^Would remove files\/an-orphan \(4 bytes, /);
    await fs.access(orphan);

    const young = await cli('sweep-orphans', '--grace', '7d');
    expect(young.stdout).to.include('Removed 0 orphaned object(s)');
    await fs.access(orphan);

    const swept = await cli('sweep-orphans');
    expect(swept.stdout).to.match(/Removed 1 orphaned object\(s\), 4 bytes/);
    expect(swept.stdout).not.to.match(/Sweeping/); // no progress bar when stdout is not a terminal
    const gone = await fs.access(orphan).then(
      () => false,
      () => true,
    );
    expect(gone).to.equal(true);

    const bad = await cli('sweep-orphans', '--grace', 'soon').then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(bad?.code).to.not.equal(0);
    expect(bad?.stderr).to.match(/--grace/);
  });
});
