/**
 * What leaves the server about a file: the listed fields, never the object key.
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

/** File JSON as the API answers it. */
export interface FileJson {
  id: string;
  name: string;
  size: number;
  content_type: string;
  /** A short-lived URL that downloads the file without other credentials. */
  url: string;
  /** The uploader's user id; `null` once that user was deleted. */
  owner: number | null;
  created_at: string;
}

/**
 * Presents a file with its download URL.
 *
 * @param file - the row
 * @param url - the signed URL made for this response
 * @example
 * ctx.body = presentFile(row, await signedFileUrl(storage, row, options));
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
