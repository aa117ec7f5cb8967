/**
 * Drift: the variable tables of docs/md/configuration.md are what scripts/configuration-tables.ts
 * makes of the configuration's declaration (src/config/sections/) and the committed `.env`.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import {
  CONFIGURATION_PAGE,
  configurationTable,
  configurationTables,
  tableEnd,
  tableStart,
  withTables,
} from '../../scripts/configuration-tables.js';
import { bool, duration, int, text } from '../../src/config/declare.js';
import { SECTIONS } from '../../src/config/schema.js';

describe('docs drift: the configuration tables (docs/md/configuration.md)', () => {
  it('match the declaration of every section (regenerate: npm run docs:config)', () => {
    const page = fs.readFileSync(CONFIGURATION_PAGE, 'utf8');
    expect(withTables(page, configurationTables()) === page, 'docs/md/configuration.md is stale: npm run docs:config').to.equal(
      true,
    );
  });

  it('keeps the markers of every section, in the order of the declaration', () => {
    const page = fs.readFileSync(CONFIGURATION_PAGE, 'utf8');
    const starts = SECTIONS.map(({ name }) => page.indexOf(tableStart(name)));
    for (const [i, { name }] of SECTIONS.entries()) {
      expect(starts[i], name).to.be.greaterThan(-1);
      expect(page.indexOf(tableEnd(name)), name).to.be.greaterThan(starts[i]!);
    }
    expect([...starts].sort((a, b) => a - b)).to.deep.equal(starts);
  });

  it('follow the declaration: default, bounds, accepted values, meaning and the .env value', () => {
    const table = configurationTable(
      {
        WORKERS: int(2, 1, 8).means('How many.'),
        GRACE: duration('5m', { allowOff: true, max: '1h' }).means('How long.'),
        NAME: text('app').means('Its name | with a pipe.'),
        FAST: bool(false).means('Go fast.'),
      },
      { WORKERS: '4', NAME: 'app', FAST: 'no' },
    );
    expect(table.split('\n').slice(2)).to.deep.equal([
      '| `WORKERS` | `2` (`.env`: `4`) | whole number, 1–8 | How many. |',
      '| `GRACE` | `5m` | duration up to `1h`, or `off` | How long. |',
      '| `NAME` | `app` | text | Its name \\| with a pipe. |',
      '| `FAST` | `false` | boolean | Go fast. |',
    ]);
  });

  it('refuse a variable declared without its meaning', () => {
    expect(() => configurationTable({ BARE: int(1, 0) })).to.throw(/BARE has no meaning/);
  });
});
