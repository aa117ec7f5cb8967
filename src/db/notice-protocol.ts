/**
 * The change notices on the application's `LISTEN/NOTIFY` channel: what each payload means, read
 * and written here only. The database's triggers send them — the users' and tokens' (migration
 * `20261128000400_auth_notify`) and the declared resources' (`resources/notices.ts`) — and the
 * caches read them decoded, never as strings.
 *
 * Payloads: `u:<user id>` (one user), `u:*` (every user: a group or permission changed),
 * `s:<session uuid>` (one session's tokens), `r:<table>` (rows of a declared resource's table or of
 * one of its many-to-many tables), `*` (everything: a `TRUNCATE`). The migration's SQL is history
 * and cannot import this module: `test/db/notice-protocol.test.ts` drives every trigger and decodes
 * what it sends, so the two cannot drift apart.
 *
 * @module
 */

/** The channel every trigger notifies on and every process listens on. */
export const NOTICE_CHANNEL = 'backoffice_auth';

/** What a notice says changed. */
export type Notice =
  /** One user: its row, groups or direct permissions. */
  | { readonly kind: 'user'; readonly id: number }
  /** Every user: a group, a group's permissions or the permission list. */
  | { readonly kind: 'users' }
  /** One session: its tokens were blacklisted or deleted. */
  | { readonly kind: 'session'; readonly id: string }
  /** Rows of a declared resource, named by its table. */
  | { readonly kind: 'resource'; readonly table: string }
  /** Anything: a table was truncated. */
  | { readonly kind: 'everything' };

/**
 * The prefix of a resource notice's payload, followed by the resource's table; for the statement
 * triggers, which build the payload in SQL.
 */
export const RESOURCE_NOTICE_PREFIX = 'r:';

/**
 * A notice as the triggers send it.
 *
 * @example
 * encodeNotice({ kind: 'resource', table: 'projects' }); // 'r:projects'
 */
export function encodeNotice(notice: Notice): string {
  switch (notice.kind) {
    case 'user':
      return `u:${notice.id}`;
    case 'users':
      return 'u:*';
    case 'session':
      return `s:${notice.id}`;
    case 'resource':
      return `${RESOURCE_NOTICE_PREFIX}${notice.table}`;
    case 'everything':
      return '*';
  }
}

const USER_ID = /^u:([1-9][0-9]{0,15})$/;

/**
 * Reads a payload.
 *
 * @returns the notice, or `null` for a payload this version does not know (ignored by every cache)
 * @example
 * decodeNotice('u:42'); // { kind: 'user', id: 42 }
 * decodeNotice('hello'); // null
 */
export function decodeNotice(payload: string): Notice | null {
  if (payload === '*') return { kind: 'everything' };
  if (payload === 'u:*') return { kind: 'users' };
  const user = USER_ID.exec(payload);
  if (user) return { kind: 'user', id: Number(user[1]) };
  if (payload.startsWith('s:') && payload.length > 2) return { kind: 'session', id: payload.slice(2) };
  if (payload.startsWith(RESOURCE_NOTICE_PREFIX) && payload.length > RESOURCE_NOTICE_PREFIX.length)
    return { kind: 'resource', table: payload.slice(RESOURCE_NOTICE_PREFIX.length) };
  return null;
}

/** What a cache subscribed to the notices is told ({@link "db/notifications".NoticeHub}). */
export interface NoticeSubscriber {
  /** A notice, decoded. */
  notice(notice: Notice): void;
  /**
   * Notices may have been missed: the connection dropped (`listening` is false), or it is back and
   * notices flow again (`listening` is true). Whatever the subscriber derived from them must be
   * thrown away in both cases.
   */
  reset(listening: boolean): void;
}
