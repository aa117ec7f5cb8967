/**
 * Every shell command the runbooks (docs/md/runbooks/) and the README show is run by a test, or
 * says on the page why it is not. A fenced block in `sh`, `bash`, `shell` or `console` is one of:
 *
 * - **rehearsed**: right after an HTML comment `<!-- rehearse: NAME -->`, run as written by the
 *   production rehearsal (`test/rehearsal/production.rehearsal.ts`, which must name the block);
 * - **run by a test**: its first line is `# run by test/FILE`, and FILE runs it: this file runs the
 *   blocks that name it against a server started as `npm start` starts it (demo data, embedded
 *   database), with curl failing on an HTTP error; another FILE must contain each command of the
 *   block as written, or (the image test) take it from the docs as it takes the runbooks'
 *   `docker compose exec|run … app <CLI command>` lines;
 * - **marked**: its first line is `# not run by the tests: <why>`, which the site shows with the
 *   block (a real domain, a cluster, Docker, a Django database…).
 *
 * An unmarked block that no test runs fails the check, listed by page and line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';
import { scratchDir, startServer, type ServerProcess } from '../support/processes.js';

/** The languages of a shell block. */
const SHELL = /^(?:sh|bash|shell|console)$/;
const NOT_RUN = /^#\s*not run by the tests:\s*(.*)$/;
const RUN_BY = /^#\s*run by (test\/\S+)\s*$/;
const THIS_FILE = 'test/docs/runbook-commands.test.ts';
const REHEARSAL = 'test/rehearsal/production.rehearsal.ts';
const IMAGE_TEST = 'test/image/stack.test.ts';
/** The runbook lines the image test takes from the docs and runs in its containers (its own pattern). */
const IMAGE_COMMAND =
  /^docker compose (exec|run --rm --no-deps)(?: -T| -e \w+)* app (?:node dist\/cli\.js|npm run cli --) [^`#>)"\n]*$/;

/** A fenced shell block of a page. */
interface Block {
  /** The page, relative to the project root. */
  page: string;
  /** The line of its opening fence (1-based). */
  line: number;
  /** Its text, without the fences and the list indentation. */
  text: string;
  /** The NAME of a `<!-- rehearse: NAME -->` comment right before it. */
  rehearse?: string;
}

/** The pages whose shell blocks are checked. */
function pages(): string[] {
  const runbooks = fs
    .readdirSync(path.join(projectRoot, 'docs/md/runbooks'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/md/runbooks/${f}`);
  return ['README.md', ...runbooks.sort()];
}

/** The shell blocks of a page: fences of ``` or ~~~, indented or not (inside a list item). */
function shellBlocks(page: string, source: string): Block[] {
  const lines = source.split('\n');
  const found: Block[] = [];
  let previous = '';
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim()) previous = lines[i]!.trim();
      continue;
    }
    const [, indent, fence, lang] = open;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !new RegExp(`^\\s*${fence![0]}{${fence!.length},}\\s*$`).test(lines[i]!); i++)
      body.push(lines[i]!.startsWith(indent!) ? lines[i]!.slice(indent!.length) : lines[i]!.trimStart());
    if (SHELL.test(lang!)) {
      const rehearse = /^<!-- rehearse: ([\w-]+) -->$/.exec(previous)?.[1];
      found.push({ page, line: start + 1, text: body.join('\n'), ...(rehearse ? { rehearse } : {}) });
    }
    previous = '';
  }
  return found;
}

/** The commands of a block: continuation lines joined, comments and output lines left out. */
function commands(block: Block): string[] {
  const joined = block.text.replace(/\\\n\s*/g, '');
  const console = /^\s*\$ /m.test(joined);
  return joined
    .split('\n')
    .filter((l) => (console ? /^\s*\$ /.test(l) : l.trim() && !l.trim().startsWith('#')))
    .map((l) => l.replace(/^\s*\$ /, '').replace(/\s{2,}#.*$/, '').trim());
}

const read = (file: string) => fs.readFileSync(path.join(projectRoot, file), 'utf8');
const firstLine = (block: Block) => block.text.split('\n').find((l) => l.trim())?.trim() ?? '';

/** Why a block is not accounted for, or `null` when it is run or marked. */
function unaccounted(block: Block): string | null {
  if (block.rehearse) {
    const file = path.basename(block.page);
    const named = new RegExp(`\\b(?:runbook|runbookBlock)\\('${file}', '${block.rehearse}'`);
    return block.page.startsWith('docs/md/runbooks/') && named.test(read(REHEARSAL))
      ? null
      : `marked "rehearse: ${block.rehearse}", which ${REHEARSAL} does not run`;
  }
  const first = firstLine(block);
  const notRun = NOT_RUN.exec(first);
  if (notRun) return notRun[1]!.split(/\s+/).length >= 2 ? null : 'says it is not run, but not why';
  const runBy = RUN_BY.exec(first);
  if (!runBy) return 'neither run by a test nor marked "# not run by the tests: <why>"';
  const test = runBy[1]!;
  if (!fs.existsSync(path.join(projectRoot, test))) return `names ${test}, which does not exist`;
  if (test === THIS_FILE) return null;
  const source = read(test);
  const missing = commands(block).filter(
    (command) =>
      !source.includes(command) &&
      !(test === IMAGE_TEST && IMAGE_COMMAND.test(command) && source.includes('docker compose (exec|run --rm --no-deps)')),
  );
  return missing.length ? `names ${test}, which does not run: ${missing.join(' | ')}` : null;
}

const ALL = pages().flatMap((page) => shellBlocks(page, read(page)));
const RUN_HERE = ALL.filter((b) => RUN_BY.exec(firstLine(b))?.[1] === THIS_FILE);

describe('runbook commands: run by a test, or marked', () => {
  it('finds the shell blocks of the runbooks and the README', () => {
    expect(ALL.length).to.be.greaterThan(40);
    expect(ALL.filter((b) => b.rehearse).length).to.be.greaterThan(5);
    expect(RUN_HERE.length).to.be.greaterThan(0);
  });

  it('every shell block is run by a test or says why not', () => {
    const found = ALL.flatMap((b) => {
      const why = unaccounted(b);
      return why ? [`${b.page}:${b.line}: ${why}\n    ${firstLine(b)}`] : [];
    });
    expect(found, `shell blocks no test runs and no marker explains:\n${found.join('\n')}\n`).to.deep.equal([]);
  });

  it('tells the kinds apart', () => {
    const page = [
      'text',
      '<!-- rehearse: start -->',
      '```bash',
      'docker compose up -d',
      '```',
      '- item',
      '',
      '    ```sh',
      '    # not run by the tests: needs a real domain',
      '    certbot certonly',
      '    ```',
      '```text',
      'output',
      '```',
      '```sh',
      'curl -s \\',
      '  http://localhost:8000/  # a comment',
      '```',
    ].join('\n');
    const [rehearsed, marked, plain, ...rest] = shellBlocks('docs/md/runbooks/deploy.md', page);
    expect(rest).to.deep.equal([]);
    expect(rehearsed).to.include({ line: 3, rehearse: 'start' });
    expect(unaccounted(rehearsed!)).to.match(/does not run/);
    expect(unaccounted(marked!)).to.equal(null);
    expect(commands(plain!)).to.deep.equal(['curl -s http://localhost:8000/']);
    expect(unaccounted(plain!)).to.match(/neither run by a test nor marked/);
    expect(unaccounted({ ...plain!, text: `# run by ${IMAGE_TEST}\ndocker compose exec app sh` })).to.match(
      /does not run: docker compose exec app sh/,
    );
    expect(
      unaccounted({ ...plain!, text: `# run by ${IMAGE_TEST}\ndocker compose exec app npm run cli -- setup-project` }),
    ).to.equal(null);
    expect(unaccounted({ ...plain!, text: '# not run by the tests:' })).to.match(/not why/);
  });

  describe(`the blocks marked "# run by ${THIS_FILE}", against a server started as npm start starts it`, function () {
    this.timeout(120_000);
    let server: ServerProcess | undefined;
    const folders: string[] = [];
    const folder = () => folders[folders.push(scratchDir('backoffice-runbook-')) - 1]!;

    before(async () => {
      // The committed .env (DEBUG=true: the first start loads the demo data), a new embedded database.
      server = await startServer({ DATA_DIR: folder() }, { cwd: projectRoot });
    });

    after(async () => {
      server?.child.kill('SIGTERM');
      await server?.exited;
      for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const block of RUN_HERE) {
      it(`${block.page}:${block.line}`, () => {
        // curl fails on an HTTP error answer, so a refused request fails the block.
        const script = `curl() { command curl --fail-with-body "$@"; }\n${block.text.replaceAll('http://localhost:8000', server!.url)}`;
        const ran = spawnSync('sh', ['-e', '-c', script], { cwd: folder(), encoding: 'utf8' });
        const said = `${block.page}:${block.line} exited ${ran.status}\n${ran.stdout}${ran.stderr}`;
        expect(ran.status, said).to.equal(0);
        expect(ran.stdout, `${said}\na list the block shows is empty`).not.to.match(/"count": ?0\b/);
      });
    }
  });
});
