/**
 * The embedded database in its worker thread behaves as PGlite in-thread did: values come back as
 * PGlite returns them, PostgreSQL's errors keep their fields, notices arrive before the result of
 * the statement that sent them, and closing ends the thread.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { isUniqueViolation } from '../../src/db/classify-error.js';
import type { NoticeHandler } from '../../src/db/notifications.js';
import { EmbeddedDatabaseStoppedError, PgliteThread } from '../../src/db/pglite-thread.js';
import { ownEmbeddedDatabase } from '../support/embedded.js';

describe('the embedded database in its own thread', function () {
  this.timeout(60_000);
  const database = ownEmbeddedDatabase();

  it('returns values as PGlite makes them: Uint8Array, Date, number or bigint, JSON, arrays', async () => {
    const { rows } = await database().knex.raw(`
      select '\\x00ff10'::bytea as bytes, timestamptz '2024-01-02 03:04:05.678+00' as at,
             42::int8 as small, 9007199254740993::int8 as big, '{"a": [1, null]}'::jsonb as doc,
             array[1, 2]::int[] as list, true as yes, null::text as nothing, 'infinity'::timestamptz as forever`);
    const [row] = rows as Array<Record<string, unknown>>;
    expect(row!.bytes).to.be.instanceOf(Uint8Array);
    expect([...(row!.bytes as Uint8Array)]).to.deep.equal([0, 255, 16]);
    expect(row!.at).to.be.instanceOf(Date);
    expect((row!.at as Date).toISOString()).to.equal('2024-01-02T03:04:05.678Z');
    expect(row).to.deep.include({
      small: 42,
      big: 9007199254740993n,
      doc: { a: [1, null] },
      list: [1, 2],
      yes: true,
      nothing: null,
      forever: Infinity,
    });
  });

  it('sends parameters as given: a Buffer stays a Buffer, a Date and a bigint keep their type', async () => {
    const at = new Date('2025-06-07T08:09:10.111Z');
    const { rows } = await database().knex.raw(
      'select ?::bytea as bytes, ?::text as text, ?::timestamptz as at, ?::int8 as big',
      // knex's types know no bigint binding; PGlite takes one.
      [Buffer.from('hé'), Buffer.from('hé'), at, (2n ** 60n) as unknown as number],
    );
    const [row] = rows as Array<{ bytes: Uint8Array; text: string; at: Date; big: bigint }>;
    expect([...row!.bytes]).to.deep.equal([...Buffer.from('hé')]);
    // A Buffer read as text is its UTF-8, as PGlite in-thread reads it (a Uint8Array would be "104,195,169").
    expect(row!.text).to.equal('hé');
    expect(row!.at.getTime()).to.equal(at.getTime());
    expect(row!.big).to.equal(2n ** 60n);
  });

  it('hands PostgreSQL’s errors to knex with their fields', async () => {
    await database().knex.raw(
      'create table if not exists thread_unique (name text constraint thread_unique_name unique)',
    );
    await database().knex('thread_unique').insert({ name: 'one' });
    const error = (await database()
      .knex('thread_unique')
      .insert({ name: 'one' })
      .catch((e: unknown) => e)) as Record<string, unknown>;
    expect(error).to.be.instanceOf(Error);
    expect(error.constructor.name).to.equal('DatabaseError');
    expect(error).to.include({
      code: '23505',
      severity: 'ERROR',
      constraint: 'thread_unique_name',
      table: 'thread_unique',
      schema: 'public',
      detail: 'Key (name)=(one) already exists.',
    });
    expect(isUniqueViolation(error, 'thread_unique_name')).to.equal(true);
    // The connection is usable after the error, in a transaction too.
    await database().knex.transaction(async (trx) => {
      await trx('thread_unique').insert({ name: 'two' });
      await trx.rollback();
    });
    expect(await database().knex('thread_unique').pluck('name')).to.deep.equal(['one']);
  });

  it('delivers a notice before the statement that sent it returns', async () => {
    const received: string[] = [];
    const handler: NoticeHandler = { notice: (payload) => void received.push(payload), reset: () => undefined };
    const listener = await database().listen('thread_test', handler);
    try {
      await database().knex.raw("select pg_notify('thread_test', 'first')");
      expect(received).to.deep.equal(['first']);
      await database().knex.transaction((trx) => trx.raw("select pg_notify('thread_test', 'committed')"));
      expect(received).to.deep.equal(['first', 'committed']);
    } finally {
      await listener.close();
    }
    await database().knex.raw("select pg_notify('thread_test', 'after')");
    expect(received, 'nothing after the listener closed').to.deep.equal(['first', 'committed']);
  });

  it('ends its thread on close, and refuses requests after', async function () {
    this.timeout(120_000);
    const tasks = '/proc/self/task';
    if (!fs.existsSync(tasks)) this.skip();
    const threads = () => fs.readdirSync(tasks).length;
    const pglite = PgliteThread.start(null);
    await pglite.query('select 1');
    const open = threads();
    await pglite.close();
    expect(threads(), 'one thread fewer').to.be.below(open);
    expect(pglite.closed).to.equal(true);
    const error = await pglite.query('select 1').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(EmbeddedDatabaseStoppedError);
    expect(error).to.have.property('code', '08006');
  });
});
