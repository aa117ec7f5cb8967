/**
 * The cache that database notices keep current, without a database: what `through` keeps, and
 * what a notice arriving while a value loads makes it drop.
 */
import { expect } from 'chai';
import { NoticedCache } from '../../src/db/noticed-cache.js';

describe('NoticedCache.through', () => {
  const listening = () => {
    const cache = new NoticedCache<string, string>({ ttlMs: 60_000 });
    cache.reset(true);
    return cache;
  };

  it('loads once, then answers from memory', async () => {
    const cache = listening();
    let loads = 0;
    const load = async () => `value ${++loads}`;
    expect(await cache.through('k', load)).to.deep.equal({ value: 'value 1', hit: false });
    expect(await cache.through('k', load)).to.deep.equal({ value: 'value 1', hit: true });
    expect(loads).to.equal(1);
  });

  it('keeps no value whose load a notice crossed: it may predate the change', async () => {
    const cache = listening();
    const crossed = await cache.through('k', async () => {
      cache.notice({ kind: 'everything' });
      return 'stale';
    });
    expect(crossed).to.deep.equal({ value: 'stale', hit: false });
    expect((await cache.through('k', async () => 'fresh')).value).to.equal('fresh');
  });

  it('loads every time while not listening', async () => {
    const cache = new NoticedCache<string, string>({ ttlMs: 60_000 });
    let loads = 0;
    await cache.through('k', async () => `value ${++loads}`);
    await cache.through('k', async () => `value ${++loads}`);
    expect(loads).to.equal(2);
  });
});
