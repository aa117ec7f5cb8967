import { expect } from 'chai';
import { ESLint } from 'eslint';

// The import rule of docs/md/architecture.md bites: a file with a wrong arrow, linted through
// ESLint's Node API with the project's own configuration, fails with boundaries/dependencies.

/** The boundaries errors ESLint reports for `code` as if it were the file at `filePath`. */
async function boundaryErrors(eslint: ESLint, filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

describe('the import rule (eslint-plugin-boundaries)', function () {
  this.timeout(120_000);
  const eslint = new ESLint({ cwd: process.cwd() });

  const wrong: Array<[string, string, string]> = [
    ['the database layer imports http/', 'src/db/wrong-arrow.ts', "import { ApiError } from '../http/http-errors.js';\nexport const e = ApiError;\n"],
    ['storage imports a feature', 'src/storage/wrong-arrow.ts', "import { notFound } from '../errors.js';\nimport { uploadFile } from '../files/service.js';\nexport const f = [notFound, uploadFile];\n"],
    ['http/ imports a feature', 'src/http/wrong-arrow.ts', "import { currentUser } from '../auth/authenticate.js';\nexport const u = currentUser;\n"],
    ['a service imports http/', 'src/users/service.ts', "import { ApiError } from '../http/http-errors.js';\nexport const e = ApiError;\n"],
    ["a route module imports another feature's routes", 'src/groups/routes.ts', "import { userRoutes } from '../users/routes.js';\nexport const r = userRoutes;\n"],
    ['a base module imports a feature', 'src/errors.ts', "import { can } from './permissions/policy.js';\nexport const c = can;\n"],
    ["a new feature's module imports a route module (only its feature.ts may)", 'src/projects/resource.ts', "import { userRoutes } from '../users/routes.js';\nexport const r = userRoutes;\n"],
    ["a new feature's module imports the registry (an edge)", 'src/projects/resource.ts', "import { FEATURES } from '../registry.js';\nexport const f = FEATURES;\n"],
  ];
  for (const [name, filePath, code] of wrong) {
    it(`refuses: ${name}`, async () => {
      const errors = await boundaryErrors(eslint, filePath, code);
      expect(errors, `${filePath}\n${code}`).to.have.length.greaterThan(0);
      expect(errors[0]).to.match(/There is no policy allowing dependencies/);
    });
  }

  const right: Array<[string, string, string]> = [
    ['a service imports the domain errors, the database and another service', 'src/users/service.ts', "import { notFound } from '../errors.js';\nimport { isUniqueViolation } from '../db/classify-error.js';\nimport { blacklistUserTokens } from '../auth/service.js';\nexport const x = [notFound, isUniqueViolation, blacklistUserTokens];\n"],
    ['a route module imports http/ and its service', 'src/groups/routes.ts', "import { responds } from '../http/responds.js';\nimport { findGroup } from './service.js';\nexport const x = [responds, findGroup];\n"],
    ['an edge imports a route module', 'src/app.ts', "import { userRoutes } from './users/routes.js';\nexport const r = userRoutes;\n"],
    ["a feature's registration imports its routes", 'src/users/feature.ts', "import { userRoutes } from './routes.js';\nexport const r = userRoutes;\n"],
    ['a folder no list names is a feature (a startapp one): it imports resources/ and the base', 'src/projects/resource.ts', "import { field } from '../resources/fields.js';\nimport { notFound } from '../errors.js';\nexport const x = [field, notFound];\n"],
  ];
  for (const [name, filePath, code] of right) {
    it(`allows: ${name}`, async () => {
      expect(await boundaryErrors(eslint, filePath, code)).to.deep.equal([]);
    });
  }
});

describe('the one reader of the environment (no-restricted-properties)', function () {
  this.timeout(120_000);
  const eslint = new ESLint({ cwd: process.cwd() });
  const code = 'export const port = process.env.PORT;\n';

  /** The `process.env` errors ESLint reports for `code` as the file at `filePath`. */
  async function envErrors(filePath: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-properties').map((m) => m.message);
  }

  it('refuses process.env anywhere in src/ but the configuration module', async () => {
    for (const filePath of ['src/server.ts', 'src/commands/program.ts', 'src/users/service.ts']) {
      expect(await envErrors(filePath), filePath).to.have.length(1);
    }
  });

  it('allows it in src/config/environment.ts', async () => {
    expect(await envErrors('src/config/environment.ts')).to.deep.equal([]);
  });
});
