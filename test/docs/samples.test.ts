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
    expect({ ...res.body, next: pathOf(res.body.next as string) }).to.deep.equal({ ...sample, next: pathOf(sample.next) });
  });

  it('api.md: the models the permissions are named after', async () => {
    const sentence = /`view_<model>` for ([^.]+)\./.exec(doc('api.md'))![1]!;
    // Models by name (`user`), or through the one codename they have (`view_logentry`).
    const listed = [...sentence.matchAll(/`(\w+)`/g)].map((m) => (m[1]!.includes('_') ? /^(?:add|change|delete|view)_(\w+)$/.exec(m[1]!)?.[1] : m[1])).filter(Boolean);
    const models = (await testKnex()('auth_permission').distinct('codename')).map((row: { codename: string }) => /^(?:add|change|delete|view)_(\w+)$/.exec(row.codename)?.[1]).filter(Boolean);
    expect(listed).to.have.members([...new Set(models)]);
  });

  it('cli.md: fill-groups on a new database', async () => {
    const sample = blockAfter(doc('cli.md'), '## `fill-groups`', 'sh')
      .split('\n')
      .filter((line) => line.startsWith('# '))
      .map((line) => line.slice(2));
    const lines: string[] = [];
    await fillGroupsCommand(testKnex(), { line: (text) => void lines.push(text) });
    expect(lines).to.deep.equal(sample);
  });
});
