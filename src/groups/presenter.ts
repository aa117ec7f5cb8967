/**
 * A group as the groups resource represents it: `{"id", "name", "permissions": [codenames]}`.
 *
 * @module
 */

/** A group with its sorted permission codenames, as the queries select it and the API answers it. */
export interface GroupRow {
  id: number;
  name: string;
  permissions: readonly string[];
}
