/**
 * A world for running the ops scripts without Docker: a temporary compose directory and a PATH
 * whose `docker`, `git` and `mc` are the stand-in of fixtures/stand-in.mjs, which records calls.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './support.js';

/** The scripts folder. */
export const OPS = path.join(ROOT, 'ops');
const STAND_IN = path.join(ROOT, 'test/ops/fixtures/stand-in.mjs');

/** One recorded call of a stand-in tool. */
export interface Call {
  tool: string;
  cwd: string;
  args: string[];
}

/** A temporary compose directory and a PATH whose docker, git and mc are stand-ins. */
export function standInWorld(prefix = 'ops-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const bin = path.join(dir, 'bin');
  const project = path.join(dir, 'backend');
  const log = path.join(dir, 'calls.jsonl');
  for (const sub of [bin, project]) mkdirSync(sub, { recursive: true });
  for (const tool of ['docker', 'git', 'mc', 'chown']) {
    const file = path.join(bin, tool);
    writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${STAND_IN}" ${tool} "$@"\n`);
    chmodSync(file, 0o755);
  }
  writeFileSync(log, '');
  return {
    dir,
    project,
    env: (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
      PATH: `${bin}:${process.env.PATH}`,
      HOME: dir,
      BACKOFFICE_DIR: project,
      STANDIN_LOG: log,
      ...extra,
    }),
    /** The recorded calls, `docker`/`git` only unless `tools` says otherwise. */
    calls: (tools = ['docker', 'git']): Call[] =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Call)
        .filter((call) => tools.includes(call.tool)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs an ops script and returns its exit status and output. */
export function runScript(script: string, env: NodeJS.ProcessEnv, args: string[] = [], input?: string) {
  const result = spawnSync(path.join(OPS, script), args, { env, encoding: 'utf8', input, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
