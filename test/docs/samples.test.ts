/**
 * Sample outputs in the docs are what the code prints: each is taken from the Markdown and held
 * to the real answer or output, so a change on either side fails here.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fillGroupsCommand } from '../../src/commands/setup.js';
import { api, bearer, makeUser } from '../support/app.js';
import { testKnex } from '../support/hooks.js';
import { FEATURES } from '../../src/registry.js';
import { resourcesOf } from '../../src/resources/features.js';
import { ROOT } from '../support/processes.js';

const doc = (file: string) => readFileSync(path.join(ROOT, 'docs/md', file), 'utf8');

/** The first fenced block of `lang` after `heading` (a line of the page). */
function blockAfter(text: string, heading: string, lang: string): string {
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`no heading ${heading}`);
  const match = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``).exec(text.slice(at));
  if (!match) throw new Error(`no ${lang} block after ${heading}`);
  return match[1]!;
}

/** api.md's sentence naming the models the permissions are named after. */
function permissionModelsSentence(): string {
  return /`view_<model>` for ([^.]+)\./.exec(doc('api.md'))![1]!;
}

/**
 * The models of declared resources a page does not name (`project` when no `_project` or
 * `` `project` `` appears): those a fork added with startapp, whose permissions the samples of the
 * project's own pages do not show.
 */
function forkModels(page: string): string[] {
  return resourcesOf(FEATURES)
    .map((resource) => resource.model)
    .filter((model) => !page.includes(`_${model}`) && !page.includes(`\`${model}\``));
}

describe('sample outputs in the docs', () => {
  it('api.md: the health answer', async () => {
    const sample = JSON.parse(blockAfter(doc('api.md'), '### `GET /api/health/`', 'json')) as unknown;
    const res = await api().get('/api/health/').expect(200);
    expect(res.body).to.deep.equal(sample);
  });

  it('api.md: the first page of permissions (count, entries, next link)', async () => {
    const sample = JSON.parse(blockAfter(doc('api.md'), '### `GET /api/permissions/`', 'json')) as { next: string } & Record<string, unknown>;
    const admin = await makeUser({ is_superuser: true });
    const res = await api().get('/api/permissions/?page_size=2').set('Authorization', await bearer(admin)).expect(200);
    const pathOf = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');
    // Each resource a fork added with startapp has four permissions more than the page counts.
    const count = (res.body.count as number) - 4 * forkModels(permissionModelsSentence()).length;
    expect({ ...res.body, count, next: pathOf(res.body.next as string) }).to.deep.equal({ ...sample, next: pathOf(sample.next) });
  });

  it('api.md: the models the permissions are named after', async () => {
    const sentence = permissionModelsSentence();
    // Models by name (`user`), or through the one codename they have (`view_logentry`).
    const listed = [...sentence.matchAll(/`(\w+)`/g)].map((m) => (m[1]!.includes('_') ? /^(?:add|change|delete|view)_(\w+)$/.exec(m[1]!)?.[1] : m[1])).filter(Boolean);
    const models = (await testKnex()('auth_permission').distinct('codename')).map((row: { codename: string }) => /^(?:add|change|delete|view)_(\w+)$/.exec(row.codename)?.[1]).filter(Boolean);
    // A resource a fork adds with startapp has its permissions too; the page lists the project's own.
    const added = new Set(forkModels(sentence));
    expect(listed).to.have.members([...new Set(models)].filter((model) => !added.has(model!)));
  });

  it('cli.md: fill-groups on a new database', async () => {
    const sample = blockAfter(doc('cli.md'), '## `fill-groups`', 'sh')
      .split('\n')
      .filter((line) => line.startsWith('# '))
      .map((line) => line.slice(2));
    const lines: string[] = [];
    await fillGroupsCommand(testKnex(), { line: (text) => void lines.push(text) });
    // The admin role ("*") also gets the permissions of a resource a fork added; the page shows the project's own.
    const added = forkModels(sample.join(' '));
    const theirs = new RegExp(`^(?:add|change|delete|view)_(?:${added.join('|')})$`);
    const own = (line: string) =>
      added.length ? line.replace(/(?<=added ).*/, (list) => list.split(', ').filter((codename) => !theirs.test(codename)).join(', ')) : line;
    expect(lines.map(own)).to.deep.equal(sample);
  });
});
