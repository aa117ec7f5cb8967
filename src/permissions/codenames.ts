/**
 * The permission codenames that exist, as a type: a typo in `requirePermission('veiw_user')` is a
 * compile error, not a 403 at run time. The project's own models are listed here; a declared
 * resource adds its model by declaration merging, as `startapp` writes it:
 *
 * ```ts
 * declare module '../permissions/codenames.js' {
 *   interface PermissionModels { project: true }
 * }
 * ```
 *
 * @module
 */

/** The models with Django's four permissions each (`add_`, `change_`, `delete_`, `view_<model>`). */
export interface PermissionModels {
  user: true;
  group: true;
  permission: true;
  outstandingtoken: true;
  blacklistedtoken: true;
  logentry: true;
  file: true;
}

/** The verbs of Django's model permissions. */
export type ModelVerb = 'add' | 'change' | 'delete' | 'view';

/** A permission codename that exists: a model permission, or one of the project's own. */
export type Codename = `${ModelVerb}_${keyof PermissionModels & string}` | 'blacklist_token';
