/**
 * Request bodies of the group endpoints.
 *
 * @module
 */
import { z } from 'zod';
import { charField, slugListField } from '../http/fields.js';

/** `POST /api/groups/` and `PUT /api/groups/{id}/`: a name and permission codenames. */
export const GroupWrite = z.object({ name: charField({ maxLength: 150 }), permissions: slugListField().optional() });
/** Input of `POST /api/groups/` and `PUT`. */
export type GroupWrite = z.infer<typeof GroupWrite>;

/** `PATCH /api/groups/{id}/`. */
export const GroupPatch = GroupWrite.partial();
/** Input of `PATCH /api/groups/{id}/`. */
export type GroupPatch = z.infer<typeof GroupPatch>;
