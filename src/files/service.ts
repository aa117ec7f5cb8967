/**
 * The file use-cases: upload, list, find, sign a download URL, delete, and sweep orphaned objects.
 * Routes and the CLI call these; the object store and the `files` table change together or not at
 * all.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { StoredFile } from '../db/models.js';
import { fieldError, notFound, permissionDenied } from '../errors.js';
import { uploadBytes, uploads } from '../metrics.js';
import { ObjectNotFoundError, type ObjectInfo, type Storage } from '../storage/storage.js';
import type { IncomingFile } from './multipart.js';
import { canDeleteFile, canViewAllFiles, canViewFile, type FileActor } from '../permissions/policy.js';
import type { FileRow } from './presenter.js';
import { FILE_FIELD, FILE_MESSAGES, MAX_FILE_NAME_LENGTH, cleanFileName } from './schema.js';
import { sniffContentType } from './sniff.js';

/** The prefix of every object key this application writes; the orphan sweep looks nowhere else. */
export const OBJECT_PREFIX = 'files/';

/** What the file use-cases work with. */
export interface FileDeps {
  readonly knex: Knex;
  readonly storage: Storage;
  readonly logger: Logger;
}

/**
 * A new object key: random, never derived from the client's file name.
 *
 * @example
 * newObjectKey(); // 'files/4f0a…-…'
 */
export function newObjectKey(): string {
  return `${OBJECT_PREFIX}${randomUUID()}`;
}

/**
 * Stores an upload: sniffs its type, streams it to the store under a new key, then records the row.
 * An upload that fails anywhere leaves neither object nor row.
 *
 * @param owner - the uploading user
 * @param file - the file part, still arriving
 * @param maxBytes - `UPLOAD_MAX_BYTES`
 * @returns the recorded file
 * @throws {@link ValidationFailedError} (400) under `file` for a nameless, over-long-named or empty file
 * @throws {@link ObjectTooLargeError} past `maxBytes`; {@link StorageUnavailableError} when the store is down
 */
export async function uploadFile(
  deps: FileDeps,
  owner: { id: number },
  file: IncomingFile,
  maxBytes: number,
): Promise<FileRow> {
  const name = cleanFileName(file.fileName);
  const refuse = (message: string) => {
    file.stream.resume();
    return fieldError(FILE_FIELD, message);
  };
  if (!name) throw refuse(FILE_MESSAGES.noName);
  if (name.length > MAX_FILE_NAME_LENGTH) throw refuse(FILE_MESSAGES.maxLength(name.length));

  const { contentType, body } = await sniffContentType(file.stream);
  const key = newObjectKey();
  const { size } = await deps.storage.put(key, body, { contentType, maxBytes });
  try {
    if (size === 0) throw fieldError(FILE_FIELD, FILE_MESSAGES.empty);
    const row = await StoredFile.query(deps.knex)
      .insert({ id: randomUUID(), name, size, content_type: contentType, owner_id: owner.id, object_key: key })
      .returning('*');
    uploads.inc();
    uploadBytes.inc(size);
    return { ...row };
  } catch (error) {
    // Keep the store in step with the table; should this fail too, the orphan sweep removes it.
    await deps.storage
      .delete(key)
      .catch((cause: unknown) =>
        deps.logger.warn({ err: cause, key }, 'could not remove the object of a failed upload'),
      );
    throw error;
  }
}

/**
 * Undoes a stored upload whose request then failed (the body broke off after the file part):
 * the row, then the object. Failures are logged; the orphan sweep removes an object left behind.
 */
export async function discardUpload(deps: FileDeps, file: FileRow): Promise<void> {
  try {
    await StoredFile.query(deps.knex).deleteById(file.id);
  } catch (error) {
    deps.logger.warn({ err: error, id: file.id }, 'could not remove the row of a failed upload');
    return;
  }
  await deps.storage
    .delete(file.object_key)
    .catch((cause: unknown) =>
      deps.logger.warn({ err: cause, key: file.object_key }, 'could not remove the object of a failed upload'),
    );
}

/**
 * The files a user may see, newest first: their own, or all with `view_file`. Pagination runs it.
 *
 * @example
 * ctx.body = await paginate(ctx, filesQuery(knex, user), present);
 */
export function filesQuery(knex: Knex, viewer: FileActor): Knex.QueryBuilder {
  const query = StoredFile.query(knex).orderBy('created_at', 'desc').orderBy('id', 'asc');
  // A knex builder: the shared paginator counts and slices it.
  return (canViewAllFiles(viewer) ? query : query.where('owner_id', viewer.id)).toKnexQuery();
}

/**
 * One file the user may see.
 *
 * @throws {@link NotFoundError} (404) for an unknown file and for someone else's file without `view_file`
 *   (its existence is not revealed)
 */
export async function findVisibleFile(knex: Knex, viewer: FileActor, id: string): Promise<FileRow> {
  const file = await StoredFile.query(knex).findById(id);
  if (!file || !canViewFile(viewer, file)) throw notFound();
  return { ...file };
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

/**
 * Deletes a file: the row, then the object. The store is asked first whether it answers — one
 * that is down leaves the file whole (the client may retry) — and the object is removed only once
 * the row is gone, so that no database connection waits on the store; an object whose removal
 * fails then is logged and left to the orphan sweep. A row never outlives its object.
 *
 * @throws {@link NotFoundError} (404) when the file is unknown, or when the actor may neither delete nor see
 *   it; 403 when the actor sees it but is neither its owner nor a holder of `delete_file`
 * @throws {@link StorageUnavailableError} when the store is down
 */
export async function deleteFile(deps: FileDeps, actor: FileActor, id: string): Promise<void> {
  const file = await StoredFile.query(deps.knex).findById(id);
  if (!file) throw notFound();
  if (!canDeleteFile(actor, file)) throw canViewFile(actor, file) ? permissionDenied() : notFound();
  await deps.storage.check();
  // Counted through RETURNING: the row count of a DELETE differs between the pg and PGlite drivers.
  const deleted = await StoredFile.query(deps.knex).where({ id }).delete().returning('id');
  if (deleted.length === 0) throw notFound(); // a concurrent delete won
  await deps.storage
    .delete(file.object_key)
    .catch((cause: unknown) =>
      deps.logger.warn(
        { err: cause, key: file.object_key },
        'could not remove the object of a deleted file; the orphan sweep will',
      ),
    );
}

/** Options of {@link sweepOrphans}. */
export interface SweepOptions {
  /** Objects younger than this many seconds are kept (an upload may be between store and row). */
  readonly graceSeconds: number;
  /** Report what would be removed, remove nothing. */
  readonly dryRun: boolean;
  /** The current time; tests pass their own. */
  readonly now?: Date;
  /** Called once the objects are listed, with their number. */
  readonly onListed?: (total: number) => void;
  /** Called after each object is examined. */
  readonly onProgress?: (examined: number) => void;
}

/** What {@link sweepOrphans} found and did. */
export interface SweepReport {
  /** Objects examined under {@link OBJECT_PREFIX}. */
  readonly examined: number;
  /** Orphans old enough to remove (removed unless dry run). */
  readonly orphans: readonly ObjectInfo[];
  /** Orphans kept because they are younger than the grace period. */
  readonly young: number;
  /** Bytes the orphans occupy. */
  readonly bytes: number;
  /** Whether the orphans were actually removed. */
  readonly removed: boolean;
}

const SWEEP_BATCH = 500;

/**
 * Removes objects that no row refers to (left by a crash between store and table, or by a failed
 * clean-up) once they are older than the grace period.
 *
 * @throws {@link StorageUnavailableError} when the store is down
 * @example
 * const report = await sweepOrphans(deps, { graceSeconds: 86400, dryRun: true });
 */
export async function sweepOrphans(
  deps: Pick<FileDeps, 'knex' | 'storage'>,
  options: SweepOptions,
): Promise<SweepReport> {
  const cutoff = (options.now ?? new Date()).getTime() - options.graceSeconds * 1000;
  const objects: ObjectInfo[] = [];
  for await (const object of deps.storage.list(OBJECT_PREFIX)) objects.push(object);
  options.onListed?.(objects.length);

  const orphans: ObjectInfo[] = [];
  let young = 0;
  let examined = 0;
  for (let start = 0; start < objects.length; start += SWEEP_BATCH) {
    const batch = objects.slice(start, start + SWEEP_BATCH);
    const known = new Set<string>(
      (
        await StoredFile.query(deps.knex)
          .whereIn(
            'object_key',
            batch.map((o) => o.key),
          )
          .select('object_key')
      ).map((f) => f.object_key),
    );
    for (const object of batch) {
      if (!known.has(object.key)) {
        if (object.lastModified.getTime() > cutoff) young += 1;
        else {
          if (!options.dryRun) await deps.storage.delete(object.key);
          orphans.push(object);
        }
      }
      examined += 1;
      options.onProgress?.(examined);
    }
  }
  return { examined, orphans, young, bytes: orphans.reduce((sum, o) => sum + o.size, 0), removed: !options.dryRun };
}
