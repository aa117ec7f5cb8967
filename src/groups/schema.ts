/**
 * Request bodies of the group writes: the groups resource's own, typed.
 *
 * @module
 */
import type { z } from 'zod';
import { groups } from './resource.js';

/**
 * `POST /api/groups/` and `PUT /api/groups/{id}/`: a name and permission codenames — the
 * resource's `writeSchema` (derived from its fields), with the type its fields give it.
 */
export const GroupWrite = groups.writeSchema as z.ZodObject<{
  name: z.ZodType<string>;
  permissions: z.ZodOptional<z.ZodType<string[]>>;
}>;
/** Input of `POST /api/groups/` and `PUT`. */
export type GroupWrite = z.infer<typeof GroupWrite>;

/** Input of `PATCH /api/groups/{id}/`: any of {@link GroupWrite}'s fields. */
export type GroupPatch = Partial<GroupWrite>;
