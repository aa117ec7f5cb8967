/**
 * One token refresh at a time. With `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION` (the
 * defaults) a refresh token works once: of two refreshes sent with the same token, the second is
 * refused as blacklisted and its tab is logged out. So the requests of a tab share one refresh in
 * flight, and the tabs of an origin take turns through a Web Lock. A tab that refreshed counts it in
 * a counter the tabs share (IndexedDB) before it lets the lock go, and says so on a
 * BroadcastChannel; a tab that waited on the lock reads the counter, sees the refresh, and retries
 * with the new credentials instead of spending the already-rotated refresh token. The message alone
 * would not do: it may arrive after the lock is granted, and the tab would refresh a second time.
 *
 * @module
 */

/** The part of the Web Locks API used here (`navigator.locks`). */
export interface LockManagerLike {
  /** Runs `callback` while holding the exclusive lock `name`, queued behind its other holders. */
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The part of `BroadcastChannel` used here. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/**
 * A count of refreshes every tab of the origin reads alike: a read that starts after an increment
 * has completed sees it, whichever tab made it (IndexedDB's transactions give that).
 */
export interface SharedCounter {
  /** The count now. */
  read(): Promise<number>;
  /** Adds one; resolves with the new count once every tab would read it. */
  increment(): Promise<number>;
}

/** What tabs of one origin share: the lock manager, a channel and a counter of the same name. */
export interface CrossTab {
  readonly locks: LockManagerLike;
  readonly channel: ChannelLike;
  /** The refreshes made so far; without one, a tab learns of the others' from the channel only. */
  readonly counter?: SharedCounter | null;
  /** The lock's name (also the channel's and the counter's). */
  readonly name: string;
}

/** The message a tab posts after a refresh of its own succeeded, with the count it reached. */
interface Refreshed {
  readonly type: 'backoffice:refreshed';
  readonly count: number | null;
}

const REFRESHED: Refreshed['type'] = 'backoffice:refreshed';

function isRefreshed(data: unknown): data is Refreshed {
  return typeof data === 'object' && data !== null && (data as Refreshed).type === REFRESHED;
}

/** An IndexedDB request's part used here; browsers' handlers take an event, ignored here. */
interface IdbRequestLike<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: ((event: never) => unknown) | null;
  onerror: ((event: never) => unknown) | null;
}

interface IdbTransactionLike {
  readonly error: unknown;
  objectStore(name: string): {
    get(key: string): IdbRequestLike<unknown>;
    put(value: unknown, key: string): unknown;
  };
  oncomplete: ((event: never) => unknown) | null;
  onerror: ((event: never) => unknown) | null;
  onabort: ((event: never) => unknown) | null;
}

interface IdbDatabaseLike {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransactionLike;
}

/** The part of `indexedDB` (an `IDBFactory`) used here. */
export interface IndexedDbLike {
  open(
    name: string,
    version: number,
  ): IdbRequestLike<IdbDatabaseLike> & { onupgradeneeded: ((event: never) => unknown) | null };
}

const errorOf = (error: unknown, fallback: string) => (error instanceof Error ? error : new Error(fallback));

/**
 * A {@link SharedCounter} in an IndexedDB database of the origin, or null where there is none.
 *
 * @param name - the database's name
 * @param factory - the IndexedDB of the environment (`globalThis.indexedDB`)
 */
export function indexedDbCounter(name: string, factory: IndexedDbLike | undefined): SharedCounter | null {
  if (!factory) return null;
  const STORE = 'refreshes';
  const KEY = 'count';
  let opened: Promise<IdbDatabaseLike> | null = null;
  const database = () =>
    (opened ??= new Promise<IdbDatabaseLike>((resolve, reject) => {
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(errorOf(request.error, `IndexedDB ${name} did not open`));
    }));
  /** Runs one transaction on the count and resolves with it once the transaction has committed. */
  const transact = async (mode: 'readonly' | 'readwrite', next: (count: number) => number | null) => {
    const transaction = (await database()).transaction(STORE, mode);
    const store = transaction.objectStore(STORE);
    let count = 0;
    const get = store.get(KEY);
    get.onsuccess = () => {
      count = typeof get.result === 'number' ? get.result : 0;
      const written = next(count);
      if (written !== null) store.put((count = written), KEY);
    };
    return new Promise<number>((resolve, reject) => {
      transaction.oncomplete = () => resolve(count);
      transaction.onerror = transaction.onabort = () =>
        reject(errorOf(transaction.error, `IndexedDB ${name} refused the transaction`));
    });
  };
  return {
    read: () => transact('readonly', () => null),
    increment: () => transact('readwrite', (count) => count + 1),
  };
}

/**
 * The Web Locks and BroadcastChannel of this environment, or null where either is missing (Node.js
 * before 24, old browsers): requests of one client still share one refresh.
 *
 * @param name - the lock and channel name; tabs must agree on it
 */
export function browserCrossTab(name: string): CrossTab | null {
  const scope = globalThis as { navigator?: { locks?: LockManagerLike }; BroadcastChannel?: unknown };
  const locks = scope.navigator?.locks;
  if (!locks || typeof scope.BroadcastChannel !== 'function') return null;
  const Channel = scope.BroadcastChannel as new (name: string) => ChannelLike;
  const channel = new Channel(name);
  const counter = indexedDbCounter(name, (globalThis as { indexedDB?: IndexedDbLike }).indexedDB);
  // Node.js (22 and later has Web Locks) would stay alive for an open channel: a client must not
  // keep a script or a test run from exiting. Browsers have no unref().
  (channel as { unref?: () => void }).unref?.();
  return { locks, channel, counter, name };
}

/**
 * Serialises refreshes: in a tab through one promise in flight, across tabs through a lock.
 *
 * @example
 * const refresher = new RefreshCoordinator(() => postRefresh(), browserCrossTab('backoffice-refresh'));
 * const seen = refresher.generation; // before sending a request
 * // … the request is refused with 401 …
 * if (await refresher.refresh(seen)) retry();
 */
export class RefreshCoordinator {
  /** How many refreshes this tab knows of, its own and the other tabs'; a request notes it when it leaves. */
  generation = 0;
  private inFlight: Promise<boolean> | null = null;
  /** The highest shared count this tab has counted in {@link generation}. */
  private counted = 0;
  /** The first read of the shared count, which later ones are measured against. */
  private readonly started: Promise<void>;

  /**
   * @param refresh - sends one refresh and says whether it succeeded; never called twice at once
   * @param crossTab - the lock, channel and counter shared with the other tabs, or null
   * @param onOtherTabRefreshed - called when another tab has refreshed (e.g. to reload tokens)
   */
  constructor(
    private readonly refresh_: () => Promise<boolean>,
    private readonly crossTab: CrossTab | null,
    private readonly onOtherTabRefreshed: () => void = () => {},
  ) {
    this.started = this.readCount().then((count) => {
      this.counted = Math.max(this.counted, count ?? 0);
    });
    if (crossTab)
      crossTab.channel.onmessage = (event) => {
        if (!isRefreshed(event.data)) return;
        if (event.data.count === null) this.otherTabRefreshed();
        else this.observe(event.data.count);
      };
  }

  /**
   * Makes the credentials fresh: at once when a refresh completed since `seen`, else by joining
   * the refresh in flight or starting one.
   *
   * @param seen - {@link generation} when the refused request left
   * @returns whether the credentials are fresh (false: the session has ended)
   */
  refresh(seen: number = this.generation): Promise<boolean> {
    if (this.generation !== seen) return Promise.resolve(true);
    this.inFlight ??= this.run(seen).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async run(seen: number): Promise<boolean> {
    const { crossTab } = this;
    if (!crossTab) return this.completed(await this.refresh_());
    return crossTab.locks.request(crossTab.name, async () => {
      // Another tab held the lock and refreshed: its cookies (or stored tokens) are already ours.
      await this.started;
      const count = await this.readCount();
      if (count !== null) this.observe(count);
      if (this.generation !== seen) return true;
      return this.completed(await this.refresh_());
    });
  }

  /** Counts the other tabs' refreshes up to `count` that this tab has not counted yet. */
  private observe(count: number): void {
    if (count <= this.counted) return;
    this.counted = count;
    this.otherTabRefreshed();
  }

  private otherTabRefreshed(): void {
    this.generation += 1;
    this.onOtherTabRefreshed();
  }

  /** The shared count, or null where there is no counter or it failed (the channel still tells). */
  private async readCount(): Promise<number | null> {
    try {
      return (await this.crossTab?.counter?.read()) ?? null;
    } catch {
      return null;
    }
  }

  private async completed(ok: boolean): Promise<boolean> {
    if (!ok) return false;
    this.generation += 1;
    // Before the lock goes: the tab granted it next must read this refresh in the counter.
    const count = await this.crossTab?.counter?.increment().catch(() => null);
    if (typeof count === 'number') this.counted = Math.max(this.counted, count);
    this.crossTab?.channel.postMessage({ type: REFRESHED, count: count ?? null } satisfies Refreshed);
    return true;
  }

  /** Stops listening to the other tabs. */
  close(): void {
    this.crossTab?.channel.close();
  }
}
