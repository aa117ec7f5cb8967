/**
 * Type-level tests: test/client/types/usage.ts compiled by tsc with the client package's own
 * compiler options (a browser project). Each misuse in it carries `@ts-expect-error`; when the
 * generated types stop refusing one, tsc reports the unused directive and this test fails.
 */
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { ROOT } from '../support/processes.js';

const USAGE = path.join(ROOT, 'test/client/types/usage.ts');

/** The diagnostics of compiling `files` with client/tsconfig.json's options, one line each. */
function compile(files: string[]): string[] {
  const configPath = path.join(ROOT, 'client/tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(configPath));
  const program = ts.createProgram(files, { ...options, noEmit: true, rootDir: ROOT });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : '';
    return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

describe('client package types', function () {
  this.timeout(120_000);

  it('refuses every misuse marked @ts-expect-error and compiles the right usage', () => {
    expect(compile([USAGE])).to.deep.equal([]);
  });

  it('counts: the misuse file holds the directives this test relies on', () => {
    // Guards against a file emptied of its checks, which would compile trivially.
    const text = ts.sys.readFile(USAGE) ?? '';
    expect(text.match(/@ts-expect-error/g) ?? []).to.have.length.at.least(9);
  });
});
