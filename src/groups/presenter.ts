/**
 * Group JSON: `{"id", "name", "permissions": [codenames]}`.
 *
 * @module
 */
import { z } from 'zod';

/** A group with its permission codenames, as the queries select it. */
export interface GroupRow {
  id: number;
  name: string;
  permissions: readonly string[];
}

/** A group as the API answers it. */
export const GroupJson = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  permissions: z.array(z.string()).meta({ description: 'Permission codenames.' }),
});
/** Group JSON as the API answers it. */
export type GroupJson = z.infer<typeof GroupJson>;

/** Presents a group. */
export function presentGroup(group: GroupRow): GroupJson {
  return { id: group.id, name: group.name, permissions: [...group.permissions] };
}
