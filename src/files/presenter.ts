/**
 * A file's row as selected: what the upload, the download and the signed URL read. What leaves
 * the server is the files resource's representation, never the object key.
 *
 * @module
 */

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
