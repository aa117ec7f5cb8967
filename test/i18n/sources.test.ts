/**
 * The Russian catalogue held to its sources: every message is rendered by the Django 3.2 / DRF
 * 3.14 / simplejwt 5.2 that Debian ships (the original's stack, installed by .ci/run), with
 * `LANGUAGE_CODE = 'ru'`, and must equal what this API sends — to the letter, plural forms
 * included. A message the catalogue leaves in English (`null`) must be one no source translates.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { en, type MessageKey } from '../../src/i18n/en.js';
import { text } from '../../src/i18n/translate.js';
import { ru } from '../../src/i18n/ru.js';
import { groups } from '../../src/groups/resource.js';
import { fieldLabel } from '../../src/resources/resource.js';
import { requireTool } from '../support/browser.js';

const PYTHON = '/usr/bin/python3';
const PROBE = fileURLToPath(new URL('./django_messages.py', import.meta.url));

/** Messages Django and DRF compose from pieces: the probe renders them with their own code. */
const COMPOSED: readonly MessageKey[] = [
  'passwordSimilarUsername',
  'passwordSimilarFirstName',
  'passwordSimilarLastName',
  'passwordSimilarEmail',
  'throttled',
];

/** The counts every plural message is tried with: each Russian form, and 11 (not "1"). */
const COUNTS = [1, 2, 5, 11, 21, 22];

interface Case {
  key: MessageKey;
  en: string[];
  args: Record<string, string | number>;
  count?: string;
}

interface Probe {
  cases: { key: MessageKey; args: Record<string, string | number>; django: string | null }[];
  special: Record<string, string>;
}

/** A sample value for a placeholder: a number where the msgid formats one (`%(n)d`), else text. */
function sample(name: string): string | number {
  return /length|bytes|wait/.test(name) ? 7 : `x${name}`;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const key of Object.keys(en) as MessageKey[]) {
    if (COMPOSED.includes(key)) continue;
    const template = en[key];
    const forms: string[] = typeof template === 'string' ? [template] : [...template.forms];
    const names = [...new Set(forms.join(' ').match(/\{\w+\}/g) ?? [])].map((n) => n.slice(1, -1));
    const args = Object.fromEntries(names.map((n) => [n, sample(n)]));
    if (typeof template === 'string') out.push({ key, en: forms, args });
    else
      for (const n of COUNTS)
        out.push({ key, en: forms, args: { ...args, [template.count]: n }, count: template.count });
  }
  return out;
}

function probe(input: Case[]): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [PROBE], { maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Probe),
    );
    child.stdin?.end(JSON.stringify(input));
  });
}

function missingDjango(): Promise<string | null> {
  return new Promise((resolve) =>
    execFile(PYTHON, ['-c', 'import django, rest_framework, rest_framework_simplejwt'], (error) =>
      resolve(
        error
          ? `no Django stack for ${PYTHON} (apt-get install python3-django python3-djangorestframework python3-djangorestframework-simplejwt)`
          : null,
      ),
    ),
  );
}

describe('the Russian catalogue against Django, DRF and simplejwt themselves', function () {
  let result: Probe;

  before(async function () {
    this.timeout(60000);
    requireTool(this, await missingDjango());
    result = await probe(cases());
  });

  it('sends what the original sends for every message it translates, and English where it does not', () => {
    const mismatches: string[] = [];
    for (const { key, args, django } of result.cases) {
      const ours = text(key, args).in('ru');
      if (ru[key] === null && django !== null) mismatches.push(`${key}: the original translates it: ${django}`);
      if (ru[key] !== null && ours !== django) mismatches.push(`${key} ${JSON.stringify(args)}: ${ours} ≠ ${django}`);
    }
    expect(mismatches).to.deep.equal([]);
    // The probe did look the messages up: most have a translation in the sources.
    expect(result.cases.filter((c) => c.django !== null).length).to.be.greaterThan(30);
  });

  it('words the composed messages as Django and DRF compose them', () => {
    for (const key of COMPOSED.filter((k) => k !== 'throttled')) {
      expect(text(key).in('ru'), key).to.equal(result.special[key]);
    }
    for (const n of [1, 2, 5, 21]) {
      expect(text('throttled', { wait: n }).in('ru')).to.equal(result.special[`throttled:${n}`]);
    }
    // The groups resource's unique name, composed of the verbose names it declares.
    const taken = text('uniqueField', { model_name: groups.verboseName, field_label: fieldLabel(groups, 'name') });
    expect(String(taken)).to.equal('group with this name already exists.');
    expect(taken.in('ru')).to.equal(result.special.groupNameTaken);
  });
});
