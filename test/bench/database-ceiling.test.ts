import { expect } from 'chai';
import { loginScript, loginStatements, refreshScript, withVariables } from '../../bench/database-ceiling.js';
import { obtainTokenPair, refreshTokens } from '../../src/auth/service.js';
import { makeUser, PASSWORD, testDeps } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

/** The SQL of a pgbench script's statements, its `:variables` numbered `$1…` per statement as pg numbers them. */
function asSent(script: string): string[] {
  return script
    .split(/;\n/)
    .map((s) => s.replace(/^\\set .*\n/gm, '').trim())
    .filter((s) => s && !s.startsWith('\\set'))
    .map((s) => {
      let n = 0;
      return s.replace(/:[A-Za-z_]\w*/g, () => `$${++n}`);
    });
}

describe('bench database ceiling', () => {
  it('replays exactly the statements a login and a refresh send', async () => {
    const user = await makeUser();
    const knex = testKnex();
    const sent: string[] = [];
    const listener = (query: { sql: string }) => sent.push(query.sql.replace(/;$/, '').trim());
    knex.on('query', listener);
    try {
      const deps = testDeps();
      const pair = await obtainTokenPair(deps, { username: user.username, password: PASSWORD });
      const login = sent.splice(0);
      // The first statement reads the user (not part of the write pgbench replays).
      expect(login.slice(1)).to.deep.equal(asSent(loginScript(knex, 10)));
      expect(loginStatements(knex).map((s) => withVariables(s.sql, s.variables))[2]).to.match(/:uid\)/);
      await refreshTokens(deps, pair.refresh);
      expect(sent).to.deep.equal(asSent(refreshScript()));
    } finally {
      knex.off('query', listener);
    }
  });
});
