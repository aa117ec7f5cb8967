/**
 * The docs speak of the product only. Every page of the docs site (docs/md/, with the chart and the
 * OpenAPI document it shows) and the READMEs state their targets and reasons themselves: a reader
 * has the repository and nothing else, so a page never sends them to a document outside it ("SPEC
 * §9") or to the project's work history ("fix 13", "issue 18", "as the brief asked", "one CI run
 * saw…"). A change is named by what it did ("the batched rotation"), a target by its value.
 *
 * The code reference (docs/md/reference/) is left out: typedoc writes it from src/ and it is not
 * committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';

/** A kind of word that is not about the product, and what to write instead. */
interface Rule {
  pattern: RegExp;
  instead: string;
}

const RULES: readonly Rule[] = [
  { pattern: /\bSPEC\b/, instead: 'a document outside the repository: state the target and its reason' },
  {
    // A numbered section of a named standard ("RFC 6749 §5.1") is a reference a reader can follow.
    pattern: /(?<!\b(?:RFC|ISO|ECMA-)\s?[\d.-]+,?\s)§\s*\d/,
    instead: 'a section of an unnamed document: state what it says',
  },
  { pattern: /\bfix(?:es)?\s+#?\d+/i, instead: 'a numbered fix: name it by what it did' },
  {
    // "issue 18", "issue #18", "issues #3", "PR 12", "(#12)"; not the verb ("the server issues 2 tokens").
    pattern: /\bissue\s+#?\d+|\bissues\s+#\d+|\b(?:PR|pull requests?)\s+#?\d+|\(#\d+\)/i,
    instead: 'a tracker reference: say what changed and why',
  },
  { pattern: /\bthe brief\b/i, instead: 'who asked: give the reason itself' },
  {
    pattern: /\bCI run (?:saw|found|showed|caught|failed)\b|\bone CI run\b|\bthe CI (?:run )?of\b|\bin a (?:loaded |slow |busy )?CI run\b/i,
    instead: 'a run of the project’s CI: state the behaviour it showed',
  },
  {
    pattern: /\b(?:first|second|third|this|last|previous) (?:pass|stop)\b|\bsession \d+\b/i,
    instead: 'a stage of the work: date the run or describe the change',
  },
];

/** What the site and the repository show a reader: docs/md/ (without the generated reference) and the READMEs. */
function pages(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (full !== path.join(projectRoot, 'docs/md/reference')) walk(full);
      } else if (/\.(?:md|svg|json)$/.test(entry.name)) found.push(full);
    }
  };
  walk(path.join(projectRoot, 'docs/md'));
  for (const readme of ['README.md', 'client/README.md']) {
    const full = path.join(projectRoot, readme);
    if (fs.existsSync(full)) found.push(full);
  }
  return found.sort();
}

/** Each offending line of `text` as `page:line: "words" — what to write instead`. */
function offences(page: string, text: string): string[] {
  const found: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    for (const { pattern, instead } of RULES) {
      const match = pattern.exec(line);
      if (match) found.push(`${page}:${i + 1}: "${match[0]}" — ${instead}`);
    }
  }
  return found;
}

describe('docs speak of the product only', () => {
  it('no page names an outside document, a numbered fix, an issue or the work history', () => {
    const all = pages();
    expect(all.map((p) => path.relative(projectRoot, p))).to.include.members([
      'README.md',
      'docs/md/benchmarks.md',
      'docs/md/configuration.md',
      'docs/md/runbooks/scaling.md',
    ]);
    const found = all.flatMap((p) => offences(path.relative(projectRoot, p), fs.readFileSync(p, 'utf8')));
    expect(found, `words that are not about the product:\n${found.join('\n')}\n`).to.deep.equal([]);
  });

  it('catches the history words and passes the product words that look like them', () => {
    const caught = [
      'Targets: SPEC §9.',
      "the SPEC's 3 s",
      'see §9 of the plan',
      '(fix 13)',
      'fixes 14 and 15',
      'Fix #3',
      'As of 2026-12-06 (issue 18).',
      'issues #4 and #5',
      'merged in PR 12',
      'the batched rotation (#41)',
      'as the brief asked',
      'one CI run saw a request answered late',
      'the CI run saw it',
      'the CI of the last stop',
      'the order that made a second refresh in a loaded CI run',
      'Findings of the first pass',
      'session 3 run',
    ];
    for (const line of caught) expect(offences('page', line), line).to.have.length.greaterThan(0);
    const passed = [
      'kubectl get clusterissuer',
      '`deploy/kubernetes/cluster/cluster-issuers.yaml`',
      'the tokens Django issued keep working',
      'the server issues 2 tokens per login',
      'the Compose specification and the OpenAPI spec',
      'RFC 6749 §5.1 requires it',
      'ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY',
      'a prefix 8 characters long',
      '| symptom | cause and fix |',
      'fixed on 2026-12-06 by `--heap-growing-percent` 10',
      'so that session’s access token is refused',
      'Moving on is two edits and a CI run.',
    ];
    for (const line of passed) expect(offences('page', line), line).to.deep.equal([]);
  });
});
