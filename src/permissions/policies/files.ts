/**
 * Who may see or delete a file, as pure predicates of the user and the file.
 *
 * @module
 */
import { hasPermission, type Actor } from './actor.js';

/** The user fields the file rules read. */
export type FileActor = Pick<Actor, 'id' | 'is_active' | 'is_superuser' | 'permissions'>;

/** The file fields the rules read. */
export interface FileSubject {
  readonly owner_id: number | null;
}

/**
 * Whether the user uploaded the file.
 *
 * @param user - who acts
 * @param file - the file's owner
 * @returns whether the user is its owner
 * @example
 * isOwner(user, { owner_id: user.id }); // true
 */
export function isOwner(user: Pick<Actor, 'id'>, file: FileSubject): boolean {
  return file.owner_id !== null && file.owner_id === user.id;
}

/**
 * Whether the user sees every file, not only their own (`view_file`).
 *
 * @param user - who acts
 * @returns whether every file is visible to it
 * @example
 * canViewAllFiles(viewer) ? query : query.where('owner_id', viewer.id);
 */
export function canViewAllFiles(user: FileActor): boolean {
  return hasPermission(user, 'view_file');
}

/**
 * Whether the user may see (list, read, download) the file: its owner, or a holder of `view_file`.
 *
 * @param user - who acts
 * @param file - the file's owner
 * @returns whether the file is visible to it
 * @example
 * if (!file || !canViewFile(viewer, file)) throw notFound();
 */
export function canViewFile(user: FileActor, file: FileSubject): boolean {
  return isOwner(user, file) || canViewAllFiles(user);
}

/**
 * Whether the user may delete the file: its owner, or a holder of `delete_file`.
 *
 * @param user - who acts
 * @param file - the file's owner
 * @returns whether it may delete the file
 * @example
 * canDeleteFile(owner, file); // true
 */
export function canDeleteFile(user: FileActor, file: FileSubject): boolean {
  return isOwner(user, file) || hasPermission(user, 'delete_file');
}

/** The file actions and their rules. */
export const fileRules = {
  /** Listing every file, not only one's own. */
  view_all_files: (actor: Actor, _subject: Record<string, never>) => canViewAllFiles(actor),
  /** Seeing, reading or downloading one file. */
  view_file: (actor: Actor, { file }: { readonly file: FileSubject }) => canViewFile(actor, file),
  /** Deleting one file. */
  delete_file: (actor: Actor, { file }: { readonly file: FileSubject }) => canDeleteFile(actor, file),
};
