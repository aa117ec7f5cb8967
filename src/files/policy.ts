/**
 * Who may do what with a file, as pure functions of the user and the file.
 *
 * @module
 */
import type { AuthUser } from '../auth/principal.js';
import { hasPermission } from '../permissions/policy.js';

/** The user fields the file rules read. */
export type FileActor = Pick<AuthUser, 'id' | 'is_active' | 'is_superuser' | 'permissions'>;

/**
 * Whether the user uploaded the file.
 *
 * @example
 * isOwner(user, { owner_id: user.id }); // true
 */
export function isOwner(user: Pick<AuthUser, 'id'>, file: { owner_id: number | null }): boolean {
  return file.owner_id !== null && file.owner_id === user.id;
}

/** Whether the user sees every file, not only their own (`view_file`). */
export function canViewAllFiles(user: FileActor): boolean {
  return hasPermission(user, 'view_file');
}

/** Whether the user may see (list, read, download) the file: its owner, or a holder of `view_file`. */
export function canViewFile(user: FileActor, file: { owner_id: number | null }): boolean {
  return isOwner(user, file) || canViewAllFiles(user);
}

/** Whether the user may delete the file: its owner, or a holder of `delete_file`. */
export function canDeleteFile(user: FileActor, file: { owner_id: number | null }): boolean {
  return isOwner(user, file) || hasPermission(user, 'delete_file');
}
