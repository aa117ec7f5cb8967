/**
 * What leaves the server about a file: the listed fields, never the object key.
 *
 * @module
 */
import { z } from 'zod';

/** A row of the `files` table. */
export interface FileRow {
  id: string;
  name: string;
  /** `bigint` columns come back as strings from `pg`; numbers from PGlite. */
  size: number | string;
  content_type: string;
  owner_id: number | null;
  object_key: string;
  created_at: Date | string;
}

/** File JSON as the API answers it. */
export const FileJson = z.strictObject({
  id: z.uuid(),
  name: z.string().meta({ description: 'The name the file was uploaded with.' }),
  size: z.number().int().nonnegative().meta({ description: 'Bytes.' }),
  content_type: z.string(),
  url: z
    .string()
    .meta({ description: 'A signed, expiring URL to download it (presigned by the store, or `/api/media/…`).' }),
  owner: z.number().int().nullable().meta({ description: "The uploader's user id; null once that user is deleted." }),
  created_at: z.iso.datetime(),
});
/** File JSON as the API answers it. */
export type FileJson = z.infer<typeof FileJson>;

/**
 * Presents a file with its download URL.
 *
 * @param file - the row
 * @param url - the signed URL made for this response
 * @example
 * ctx.body = presentFile(row, await fileUrl(storage, row, options));
 */
export function presentFile(file: FileRow, url: string): FileJson {
  return {
    id: file.id,
    name: file.name,
    size: Number(file.size),
    content_type: file.content_type,
    url,
    owner: file.owner_id,
    created_at: new Date(file.created_at).toISOString(),
  };
}
