/**
 * A file's object in the store: opened for a download, signed for a URL, removed once its row is
 * gone. The files resource and the upload use these.
 *
 * @module
 */
import type { Logger } from 'pino';
import { notFound } from '../errors.js';
import { ObjectNotFoundError, type Storage } from '../storage/storage.js';
import type { FileRow } from './presenter.js';

/**
 * Removes an object whose row is gone (or was never written). A failure is logged, not thrown:
 * the orphan sweep removes what is left.
 */
export async function removeObject(
  deps: { readonly storage: Storage; readonly logger: Logger },
  key: string,
): Promise<void> {
  await deps.storage
    .delete(key)
    .catch((cause: unknown) =>
      deps.logger.warn({ err: cause, key }, 'could not remove an object whose row is gone; the orphan sweep will'),
    );
}

/**
 * Opens the content of a file for download.
 *
 * @throws {@link NotFoundError} (404) when the object is missing from the store
 * @throws {@link StorageUnavailableError} when the store is down
 */
export async function openFile(storage: Storage, file: FileRow) {
  try {
    return await storage.get(file.object_key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) throw notFound();
    throw error;
  }
}

/**
 * The short-lived download URL of a file: presigned by S3, or a signed app URL for the local folder.
 *
 * @param options.expiresIn - lifetime in seconds (`FILE_URL_LIFETIME`)
 * @param options.origin - the API's origin as the client reached it
 */
export function fileUrl(
  storage: Storage,
  file: FileRow,
  options: { expiresIn: number; origin: string },
): Promise<string> {
  return storage.signedUrl(file.object_key, { ...options, fileName: file.name, contentType: file.content_type });
}
