/**
 * Stand-ins for what the tabs of one origin share, for tests in Node.js (which has no Web Locks
 * before 22 and no IndexedDB): a lock manager, a channel whose delivery the test controls, and a
 * counter in memory.
 */
import type { ChannelLike, LockManagerLike, SharedCounter } from '../../client/src/index.js';

/** Exclusive locks by name, granted in order of request (what Web Locks do). */
export function lockManager(): LockManagerLike {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const previous = tails.get(name) ?? Promise.resolve();
      const run = previous.then(callback, callback);
      tails.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
  };
}

/** One count in memory, read alike by every tab once an increment resolved. */
export function memoryCounter(): SharedCounter {
  let count = 0;
  return {
    read: async () => count,
    increment: async () => (count += 1),
  };
}

/** Channels of one name whose messages wait until the test calls `deliver()`, as a slow tab's do. */
export function heldChannels() {
  const members: ChannelLike[] = [];
  const held: Array<() => void> = [];
  return {
    open(): ChannelLike {
      const channel: ChannelLike = {
        onmessage: null,
        postMessage(data) {
          for (const other of members)
            if (other !== channel) held.push(() => other.onmessage?.({ data: structuredClone(data) }));
        },
        close() {
          members.splice(members.indexOf(channel), 1);
        },
      };
      members.push(channel);
      return channel;
    },
    /** Delivers the messages posted so far. */
    deliver(): void {
      for (const send of held.splice(0)) send();
    },
    get pending(): number {
      return held.length;
    },
  };
}
