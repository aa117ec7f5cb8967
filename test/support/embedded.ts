/**
 * An embedded database of a test's own, in memory, whichever database the suite runs on: for the
 * tests of PGlite itself and of its thread.
 */
import { openDatabase, type Database } from '../../src/db/database.js';

/**
 * Opens a PGlite database in memory before the block's first test (its thread starts there, not
 * inside a test's time) and closes it after the block.
 *
 * @returns the database, once the block's tests run
 */
export function ownEmbeddedDatabase(): () => Database {
  let db: Database | undefined;
  before(async function () {
    this.timeout(120_000);
    db = await openDatabase({ kind: 'pglite', dataDir: null });
    await db.knex.raw('select 1');
  });
  after(() => db?.close());
  return () => {
    if (!db) throw new Error('ownEmbeddedDatabase(): the block has not started');
    return db;
  };
}
