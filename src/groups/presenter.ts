/**
 * Group JSON: `{"id", "name", "permissions": [codenames]}`.
 *
 * @module
 */

/** A group with its permission codenames, as the queries select it. */
export interface GroupRow {
  id: number;
  name: string;
  permissions: readonly string[];
}

/** Group JSON as the API answers it. */
export interface GroupJson {
  id: number;
  name: string;
  permissions: string[];
}

/** Presents a group. */
export function presentGroup(group: GroupRow): GroupJson {
  return { id: group.id, name: group.name, permissions: [...group.permissions] };
}
