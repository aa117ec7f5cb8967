/**
 * A copy of the project in a scratch folder, for tests that change its sources (`startapp`) and
 * then typecheck, lint and test the result there: the working tree's files that git tracks or
 * would track (ignored ones left out), with `node_modules` linked rather than copied.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, scratchDir, type RunResult } from './processes.js';

/**
 * Copies the working tree's files that git tracks or would track (ignored ones left out, deleted
 * ones skipped) into a folder: what a build, the image or a fresh clone of this tree would see.
 *
 * @param into - the folder, created when missing
 * @example
 * copyWorkingTree(path.join(dir, 'origin'));
 */
export function copyWorkingTree(into: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const source = path.join(ROOT, file);
    // Deleted in the working tree; or node_modules as a symbolic link, which .gitignore's
    // `node_modules/` does not match.
    if (!fs.existsSync(source) || file === 'node_modules') continue;
    fs.mkdirSync(path.dirname(path.join(into, file)), { recursive: true });
    fs.copyFileSync(source, path.join(into, file));
  }
}

/**
 * Copies the project into a new scratch folder ({@link copyWorkingTree}), `node_modules` linked.
 *
 * @returns the folder; remove it with `fs.rmSync(folder, { recursive: true, force: true })`
 * @example
 * const copy = copyProject();
 * run(copy, 'npx', ['tsc', '--noEmit', '-p', '.']);
 */
export function copyProject(): string {
  const folder = scratchDir('backoffice-copy-');
  copyWorkingTree(folder);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(folder, 'node_modules'), 'dir');
  return folder;
}

/**
 * Runs a program of the project's `node_modules/.bin` (or any program) in a folder and waits for it.
 * The child gets PATH and HOME, and no `TEST_DATABASE_URL`: its tests run on their own in-memory
 * database, never on the server database the calling test run may be using.
 */
export function runIn(folder: string, command: string, args: readonly string[]): RunResult {
  const local = path.join(folder, 'node_modules', '.bin', command);
  const ran = spawnSync(fs.existsSync(local) ? local : command, args, {
    cwd: folder,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' },
    timeout: 300_000,
  });
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr };
}
