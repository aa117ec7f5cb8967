/**
 * docs/md/adding-a-resource.md works as written: in a copy of the project, its shell blocks'
 * `startapp` and `migrate` commands run, each TypeScript block is written to the file its first
 * line names (`// src/projects/access.ts`), and the whole project typechecks with them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../support/processes.js';
import { copyProject, runIn } from '../support/scratch-project.js';

const PAGE = 'docs/md/adding-a-resource.md';

/** The fenced blocks of a page in a language. */
function blocks(text: string, language: RegExp): string[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter(([, lang]) => language.test(lang!)).map((m) => m[2]!);
}

/** The commands of the shell blocks that the test runs: `startapp` and `migrate`. */
function commands(text: string): string[] {
  return blocks(text, /^(?:sh|bash)$/)
    .flatMap((block) => block.split('\n'))
    .filter((line) => /^npm run cli -- (?:startapp|migrate)\b/.test(line));
}

describe('docs: adding a resource', function () {
  this.timeout(600_000);
  const page = fs.readFileSync(path.join(ROOT, PAGE), 'utf8');
  let copy = '';

  after(() => {
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
  });

  it('shows startapp, migrate and TypeScript files, each block naming its file', () => {
    expect(commands(page).filter((c) => c.includes('startapp'))).to.have.length(1);
    const typescript = blocks(page, /^ts$/);
    expect(typescript.length).to.be.greaterThan(2);
    for (const block of typescript) expect(block.split('\n')[0]).to.match(/^\/\/ (?:src|migrations)\/[\w/.-]+\.ts$/);
  });

  it('runs its commands in a copy of the project, and its TypeScript typechecks there', () => {
    copy = copyProject();
    const [startapp, ...rest] = commands(page);
    // A fork that made the page's resource already starts the tutorial from the project without it.
    const plural = /startapp (\S+)/.exec(startapp!)![1]!;
    if (fs.existsSync(path.join(copy, 'src', plural, 'feature.ts'))) {
      for (const folder of ['src', 'test']) fs.rmSync(path.join(copy, folder, plural), { recursive: true, force: true });
      for (const file of fs.readdirSync(path.join(copy, 'migrations')))
        if (file.endsWith(`_${plural}.ts`)) fs.rmSync(path.join(copy, 'migrations', file));
    }
    const run = (command: string) => {
      const ran = runIn(copy, 'sh', ['-c', command]);
      expect(ran.code, `${command}\n${ran.stdout}${ran.stderr}`).to.equal(0);
    };
    run(startapp!);
    for (const block of blocks(page, /^ts$/)) {
      let file = block.split('\n')[0]!.slice(3);
      // A migration runs after the table's, whenever the page is read: its time is the latest's plus one.
      if (file.startsWith('migrations/')) {
        const latest = fs.readdirSync(path.join(copy, 'migrations')).filter((f) => /^\d{14}_/.test(f)).sort().at(-1)!;
        file = `migrations/${String(Number(latest.slice(0, 14)) + 1)}${file.slice('migrations/'.length + 14)}`;
      }
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.writeFileSync(path.join(copy, file), block);
    }
    const tsc = runIn(copy, 'tsc', ['--noEmit', '-p', '.']);
    expect(tsc.code, tsc.stdout + tsc.stderr).to.equal(0);
    // The embedded database of the copy, from nothing: the table, the column added later, the permissions.
    for (const command of rest) run(`DATA_DIR=data-docs ${command}`);
  });
});
