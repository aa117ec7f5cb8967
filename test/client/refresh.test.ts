/**
 * The refresh coordinator across tabs, with the timing a real browser may give: the tab that
 * refreshed posts its message, lets the lock go, and the waiting tab is granted the lock before the
 * message reaches it. The shared counter, written before the lock goes, is what keeps the waiting
 * tab from refreshing a second time; without it (the control) it does.
 */
import { expect } from 'chai';
import { RefreshCoordinator, type CrossTab } from '../../client/src/index.js';
import { heldChannels, lockManager, memoryCounter } from './cross-tab.js';

describe('client package: one refresh across tabs', () => {
  async function twoTabsRefreshTogether(withCounter: boolean) {
    const locks = lockManager();
    const channels = heldChannels();
    const counter = withCounter ? memoryCounter() : null;
    const tab = (): CrossTab => ({ locks, channel: channels.open(), counter, name: 'refresh' });
    let refreshes = 0;
    let othersSeen = 0;
    const send = async () => {
      refreshes += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return true;
    };
    const first = new RefreshCoordinator(send, tab());
    const second = new RefreshCoordinator(send, tab(), () => (othersSeen += 1));
    // Both requests left before either refresh, and both were refused.
    const seen = [first.generation, second.generation] as const;
    const results = await Promise.all([first.refresh(seen[0]), second.refresh(seen[1])]);
    const heldBack = channels.pending;
    channels.deliver();
    return { results, refreshes, heldBack, othersSeen, generations: [first.generation, second.generation] };
  }

  it('the waiting tab reads the refresh in the shared counter and does not send its own', async () => {
    const run = await twoTabsRefreshTogether(true);
    expect(run.heldBack, 'the message had not arrived when the lock was granted').to.equal(1);
    expect(run.results).to.deep.equal([true, true]);
    expect(run.refreshes).to.equal(1);
    // The late message names a count already counted: it is not taken for a second refresh.
    expect(run.othersSeen).to.equal(1);
    expect(run.generations).to.deep.equal([1, 1]);
  });

  it('control: with the message alone, a late message lets the waiting tab refresh again', async () => {
    const run = await twoTabsRefreshTogether(false);
    expect(run.results).to.deep.equal([true, true]);
    expect(run.refreshes).to.equal(2);
  });

  it('a tab that refreshed alone tells the others through the channel', async () => {
    const channels = heldChannels();
    const counter = memoryCounter();
    const tab = (): CrossTab => ({ locks: lockManager(), channel: channels.open(), counter, name: 'refresh' });
    let told = 0;
    const first = new RefreshCoordinator(async () => true, tab());
    const second = new RefreshCoordinator(
      async () => true,
      tab(),
      () => (told += 1),
    );
    expect(await first.refresh()).to.equal(true);
    const before = second.generation;
    channels.deliver();
    expect(told).to.equal(1);
    // A request of the second tab that left before the message retries without a refresh of its own.
    expect(second.generation).to.equal(before + 1);
    expect(await second.refresh(before)).to.equal(true);
    expect(await counter.read()).to.equal(1);
  });

  it('a failed refresh is not counted and not announced', async () => {
    const channels = heldChannels();
    const counter = memoryCounter();
    const coordinator = new RefreshCoordinator(async () => false, {
      locks: lockManager(),
      channel: channels.open(),
      counter,
      name: 'refresh',
    });
    expect(await coordinator.refresh()).to.equal(false);
    expect(channels.pending).to.equal(0);
    expect(await counter.read()).to.equal(0);
    expect(coordinator.generation).to.equal(0);
  });
});
