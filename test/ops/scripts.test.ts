/**
 * The scripts in ops/: shellcheck-clean, strict mode, and the exact commands they run, against a
 * stand-in `docker` (and `git`, `mc`) on PATH that records its arguments.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OPS, runScript, standInWorld, type Call } from './stand-in.js';
import { requireTools } from './support.js';

const SCRIPTS = readdirSync(OPS).filter((f) => f.endsWith('.sh'));

const argv = (calls: Call[]) => calls.map((c) => [c.tool, ...c.args].join(' '));

describe('ops/ scripts', () => {
  it('are all present', () => {
    expect(SCRIPTS).to.have.members([
      'backup.sh',
      'certbot-deploy-restart.sh',
      'certbot-post-start-nginx.sh',
      'certbot-pre-stop-nginx.sh',
      'delete_expired.sh',
      'deploy.sh',
      'restore.sh',
    ]);
  });

  it('are executable bash scripts in strict mode, taking the compose directory from BACKOFFICE_DIR', () => {
    for (const script of SCRIPTS) {
      const text = readFileSync(path.join(OPS, script), 'utf8');
      expect(text, script).to.match(/^#!\/usr\/bin\/env bash\n/);
      expect(text, script).to.match(/^set -euo pipefail$/m);
      expect(text, script).to.include('dir="${BACKOFFICE_DIR:-/srv/backend}"');
      accessSync(path.join(OPS, script), constants.X_OK);
    }
  });

  describe('shellcheck', () => {
    before(function () {
      requireTools(this, 'shellcheck');
    });

    it('finds nothing in any script', () => {
      const result = spawnSync('shellcheck', ['--severity=style', ...SCRIPTS], { cwd: OPS, encoding: 'utf8' });
      expect(result.status, result.stdout + result.stderr).to.equal(0);
    });
  });

  describe('with a stand-in docker', function () {
    this.timeout(20_000);
    let world: ReturnType<typeof standInWorld>;
    before(function () {
      requireTools(this, 'bash');
    });
    beforeEach(() => {
      world = standInWorld();
    });
    afterEach(() => world.cleanup());

    it('certbot pre hook stops nginx in the compose directory', () => {
      const run = runScript('certbot-pre-stop-nginx.sh', world.env());
      expect(run.status, run.stderr).to.equal(0);
      expect(world.calls()).to.deep.equal([{ tool: 'docker', cwd: world.project, args: ['compose', 'stop', 'nginx'] }]);
      expect(run.stdout).to.include(`stopping nginx in ${world.project}`);
    });

    it('certbot deploy hook restarts nginx and minio', () => {
      const run = runScript('certbot-deploy-restart.sh', world.env());
      expect(run.status, run.stderr).to.equal(0);
      expect(world.calls()).to.deep.equal([
        { tool: 'docker', cwd: world.project, args: ['compose', 'restart', 'nginx', 'minio'] },
      ]);
      expect(run.stdout).to.include('nginx and minio restarted');
    });

    it('certbot post hook starts nginx again', () => {
      const run = runScript('certbot-post-start-nginx.sh', world.env());
      expect(run.status, run.stderr).to.equal(0);
      expect(world.calls()).to.deep.equal([
        { tool: 'docker', cwd: world.project, args: ['compose', 'start', 'nginx'] },
      ]);
    });

    it('delete_expired.sh runs flush-expired-tokens in the app container and logs the counts with a time', () => {
      const run = runScript('delete_expired.sh', world.env());
      expect(run.status, run.stderr).to.equal(0);
      expect(argv(world.calls())).to.deep.equal(['docker compose exec -T app node dist/cli.js flush-expired-tokens']);
      expect(world.calls()[0]!.cwd).to.equal(world.project);
      expect(run.stdout).to.match(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ delete_expired: Deleted 3 expired outstanding token\(s\) and 1 blacklisted token\(s\)\.$/m,
      );
    });

    it('a script fails with a clear message when the compose directory does not exist', () => {
      const run = runScript('delete_expired.sh', world.env({ BACKOFFICE_DIR: path.join(world.dir, 'nowhere') }));
      expect(run.status).not.to.equal(0);
      expect(run.stderr).to.include('nowhere');
      expect(world.calls()).to.deep.equal([]);
    });

    it('deploy.sh pulls, builds, migrates, restarts and waits for health, in that order', () => {
      writeFileSync(path.join(world.project, 'compose.override.yml'), 'services: {}\n');
      const run = runScript('deploy.sh', world.env());
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      expect(argv(world.calls())).to.deep.equal([
        'git pull --ff-only origin main',
        'git rev-parse --short HEAD',
        'docker compose build app',
        'docker compose run --rm --no-deps app node dist/cli.js migrate up',
        'docker compose up -d --remove-orphans',
        'docker compose ps -q app',
        'docker inspect --format {{.State.Health.Status}} 0123456789ab',
      ]);
      expect(world.calls().every((c) => c.cwd === world.project)).to.equal(true);
      expect(run.stdout).to.include('deploy: now at abc1234');
      expect(run.stdout).to.include('deploy: done: the app is healthy');
    });

    it('deploy.sh fails, naming the step, when the app never becomes healthy', () => {
      writeFileSync(path.join(world.project, 'compose.override.yml'), 'services: {}\n');
      const run = runScript('deploy.sh', world.env({ STANDIN_HEALTH: 'unhealthy', DEPLOY_HEALTH_TIMEOUT: '2' }));
      expect(run.status).to.equal(1);
      expect(run.stderr).to.include("the app is still 'unhealthy' after 2s");
    });

    it('deploy.sh refuses to run without compose.override.yml', () => {
      const run = runScript('deploy.sh', world.env());
      expect(run.status).to.equal(1);
      expect(run.stderr).to.include('compose.override.yml is missing');
      expect(world.calls()).to.deep.equal([]);
    });

    it('restore.sh asks before replacing anything, and stops on no', () => {
      const backup = path.join(world.dir, 'backup');
      spawnSync('mkdir', ['-p', backup]);
      writeFileSync(path.join(backup, 'database.dump'), '');
      const run = runScript('restore.sh', world.env(), [backup], 'n\n');
      expect(run.status).to.equal(1);
      expect(run.stdout).to.include('restore: cancelled');
      expect(world.calls()).to.deep.equal([]);
    });
  });
});
