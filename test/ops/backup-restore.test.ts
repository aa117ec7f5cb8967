/**
 * backup.sh then restore.sh round-trip a real PostgreSQL database (pg_dump/pg_restore run by the
 * stand-in docker against a scratch database) and a bucket (the stand-in mc mirrors folders).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { requirePostgres, requireTools, scratchDatabase } from './support.js';
import { runScript, standInWorld } from './stand-in.js';

describe('ops/backup.sh and ops/restore.sh', function () {
  this.timeout(45_000);
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let db: Knex;
  let world: ReturnType<typeof standInWorld>;

  before(async function () {
    requireTools(this, 'pg_dump', 'pg_restore');
    await requirePostgres(this);
    database = await scratchDatabase('ops_backup');
    db = knex({ client: 'pg', connection: database.url, pool: { min: 0, max: 2 } });
    world = standInWorld('ops-backup-');
  });

  after(async () => {
    await db?.destroy();
    await database?.drop();
    world?.cleanup();
  });

  it('restores the database and the bucket exactly as they were backed up', async () => {
    await db.schema.createTable('auth_user', (t) => {
      t.increments('id');
      t.string('username').notNullable().unique();
    });
    await db('auth_user').insert([{ username: 'ada' }, { username: 'grace' }]);
    const buckets = path.join(world.dir, 'buckets');
    mkdirSync(path.join(buckets, 'backoffice', 'ab'), { recursive: true });
    writeFileSync(path.join(buckets, 'backoffice', 'ab', 'object-1'), 'first file');
    const env = world.env({
      BACKUP_DIR: path.join(world.dir, 'backups'),
      STANDIN_PGDATABASE: database.name,
      STANDIN_PGHOST: new URL(database.url).hostname,
      STANDIN_PGPORT: new URL(database.url).port || '5432',
      STANDIN_PGUSER: decodeURIComponent(new URL(database.url).username) || 'postgres',
      STANDIN_BUCKETS: buckets,
    });

    const backup = runScript('backup.sh', env);
    expect(backup.status, backup.stdout + backup.stderr).to.equal(0);
    const [stamp] = readdirSync(path.join(world.dir, 'backups'));
    const target = path.join(world.dir, 'backups', stamp!);
    expect(stamp).to.match(/^\d{8}T\d{6}Z$/);
    expect(backup.stdout).to.include(`backup: done: ${target}`);
    expect(backup.stdout).to.match(/backup: bucket\/, 1 file\(s\)/);
    expect(readFileSync(path.join(target, 'bucket', 'ab', 'object-1'), 'utf8')).to.equal('first file');
    expect(world.calls().map((c) => c.args)).to.deep.equal([
      [
        'compose',
        'exec',
        '-T',
        'postgres',
        'sh',
        '-c',
        'pg_dump --format=custom --no-owner --no-privileges -U "$POSTGRES_USER" "$POSTGRES_DB"',
      ],
      [
        'compose',
        'run',
        '--rm',
        '--no-deps',
        '-v',
        `${target}/bucket:/backup`,
        '-e',
        `BACKUP_OWNER=${process.getuid!()}:${process.getgid!()}`,
        '--entrypoint',
        '/bin/sh',
        'minio-setup',
        '-c',
        'mc alias set backoffice "$MINIO_SERVER_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null && mc mirror --overwrite "backoffice/$MINIO_BUCKET" /backup && chown -R "$BACKUP_OWNER" /backup',
      ],
    ]);

    // Life goes on after the backup: rows change, objects come and go.
    await db('auth_user').where({ username: 'ada' }).delete();
    await db('auth_user').insert({ username: 'mallory' });
    await db.schema.createTable('stray', (t) => t.increments('id'));
    writeFileSync(path.join(buckets, 'backoffice', 'ab', 'object-1'), 'overwritten');
    writeFileSync(path.join(buckets, 'backoffice', 'object-2'), 'uploaded later');

    const before = world.calls().length;
    const restore = runScript('restore.sh', env, ['--yes', target]);
    expect(restore.status, restore.stdout + restore.stderr).to.equal(0);
    expect(restore.stdout).to.include(`restore: done from ${target}`);
    expect(
      world
        .calls()
        .slice(before)
        .map((c) => c.args),
    ).to.deep.equal([
      ['compose', 'stop', 'app'],
      [
        'compose',
        'exec',
        '-T',
        'postgres',
        'sh',
        '-c',
        'pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
      ],
      [
        'compose',
        'run',
        '--rm',
        '--no-deps',
        '-v',
        `${target}/bucket:/backup:ro`,
        '--entrypoint',
        '/bin/sh',
        'minio-setup',
        '-c',
        'mc alias set backoffice "$MINIO_SERVER_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null && mc mirror --overwrite --remove /backup "backoffice/$MINIO_BUCKET"',
      ],
      ['compose', 'up', '-d', 'app'],
    ]);

    expect(await db('auth_user').orderBy('id').pluck('username')).to.deep.equal(['ada', 'grace']);
    // pg_restore --clean drops what the dump holds; a table created after it is left alone.
    expect(await db.schema.hasTable('stray')).to.equal(true);
    expect(readFileSync(path.join(buckets, 'backoffice', 'ab', 'object-1'), 'utf8')).to.equal('first file');
    expect(
      spawnSync('find', [path.join(buckets, 'backoffice'), '-type', 'f'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n'),
    ).to.have.length(1);
  });
});
