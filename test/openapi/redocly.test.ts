import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';

const REDOCLY = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
  'bin',
  'cli.js',
);

/** A problem as `redocly lint --format=json` reports it. */
interface Problem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer?: string }[];
}

/**
 * Runs `redocly lint` on a file with the project's redocly.yaml (and lint-ignore file), offline:
 * no telemetry, no update check, an empty HOME.
 */
async function lint(file: string): Promise<{ problems: Problem[]; totals: Record<string, number> }> {
  const home = mkdtempSync(path.join(tmpdir(), 'redocly-home-'));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [REDOCLY, 'lint', file, '--format=json', '--config', path.join(projectRoot, 'redocly.yaml')],
      {
        cwd: projectRoot,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          REDOCLY_TELEMETRY: 'off',
          REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
          REDOCLY_SUPPRESS_NOTIFICATIONS: 'true',
        },
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((error: { stdout?: string }) => {
      // Exit status 1 with problems: the report is still on stdout.
      if (error.stdout) return { stdout: error.stdout };
      throw error;
    });
    return JSON.parse(stdout.slice(stdout.indexOf('{'))) as { problems: Problem[]; totals: Record<string, number> };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const summary = (problems: Problem[]) =>
  problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`);

describe('Redocly CLI, recommended ruleset (redocly.yaml)', function () {
  this.timeout(60_000);

  it('reports no problem, error or warning, in docs/md/openapi.json', async () => {
    const { problems, totals } = await lint('docs/md/openapi.json');
    expect(summary(problems)).to.deep.equal([]);
    expect(totals.errors).to.equal(0);
    expect(totals.warnings).to.equal(0);
  });

  it('reports an operation without a summary, or without a 4xx answer (the check can fail)', async () => {
    const document = JSON.parse(readFileSync(path.join(projectRoot, 'docs/md/openapi.json'), 'utf8'));
    delete document.paths['/api/users/'].get.summary;
    const responses = document.paths['/api/groups/{id}/'].get.responses;
    for (const status of Object.keys(responses)) if (status.startsWith('4')) delete responses[status];
    const dir = mkdtempSync(path.join(tmpdir(), 'redocly-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const rules = (await lint(file)).problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}`);
      expect(rules).to.include.members([
        'operation-summary #/paths/~1api~1users~1/get/summary',
        'operation-4xx-response #/paths/~1api~1groups~1{id}~1/get/responses',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
