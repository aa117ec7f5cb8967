/**
 * One token refresh at a time. With `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION` (the
 * defaults) a refresh token works once: of two refreshes sent with the same token, the second is
 * refused as blacklisted and its tab is logged out. So the requests of a tab share one refresh in
 * flight, and the tabs of an origin take turns through a Web Lock; a tab that refreshed says so on
 * a BroadcastChannel, and a tab that waited on the lock then retries with the new credentials
 * instead of spending the already-rotated refresh token.
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

/** What tabs of one origin share: the lock manager and a channel of the same name. */
export interface CrossTab {
  readonly locks: LockManagerLike;
  readonly channel: ChannelLike;
  /** The lock's name (also the channel's). */
  readonly name: string;
}

/** The message a tab posts after a refresh of its own succeeded. */
const REFRESHED = 'backoffice:refreshed';

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
  // Node.js (22 and later has Web Locks) would stay alive for an open channel: a client must not
  // keep a script or a test run from exiting. Browsers have no unref().
  (channel as { unref?: () => void }).unref?.();
  return { locks, channel, name };
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

  /**
   * @param refresh - sends one refresh and says whether it succeeded; never called twice at once
   * @param crossTab - the lock and channel shared with the other tabs, or null
   * @param onOtherTabRefreshed - called when another tab says it refreshed (e.g. to reload tokens)
   */
  constructor(
    private readonly refresh_: () => Promise<boolean>,
    private readonly crossTab: CrossTab | null,
    onOtherTabRefreshed: () => void = () => {},
  ) {
    if (crossTab)
      crossTab.channel.onmessage = (event) => {
        if (event.data !== REFRESHED) return;
        this.generation += 1;
        onOtherTabRefreshed();
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
      if (this.generation !== seen) return true;
      return this.completed(await this.refresh_());
    });
  }

  private completed(ok: boolean): boolean {
    if (!ok) return false;
    this.generation += 1;
    this.crossTab?.channel.postMessage(REFRESHED);
    return true;
  }

  /** Stops listening to the other tabs. */
  close(): void {
    this.crossTab?.channel.close();
  }
}
