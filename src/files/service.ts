/**
 * The file use-cases beyond the files resource's own: the upload, its undoing, and the sweep of
 * orphaned objects. The upload route and the CLI call these; the object store and the `files`
 * table change together or not at all.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { AuditActor } from '../db/audit.js';
import { StoredFile } from '../db/models.js';
import { fieldError } from '../errors.js';
import type { Message } from '../i18n/translate.js';
import { uploadBytes, uploads } from '../metrics.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';
import type { IncomingFile } from './multipart.js';
import type { Actor } from '../permissions/policy.js';
import { deleteRow, findRow, insertRow } from '../resources/store.js';
import type { FileRow } from './presenter.js';
import { removeObject } from './objects.js';
import { files } from './resource.js';
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
 * Stores an upload: sniffs its type, streams it to the store under a new key, then records the row
 * with its audit entry in one transaction. The store is written before the transaction opens, so
 * that no database connection waits on it. An upload that fails anywhere leaves neither object nor
 * row.
 *
 * @param owner - the uploading user
 * @param file - the file part, still arriving
 * @param maxBytes - `UPLOAD_MAX_BYTES`
 * @returns the recorded file, as selected (its object key included)
 * @throws {@link ValidationFailedError} (400) under `file` for a nameless, over-long-named or empty file
 * @throws {@link ObjectTooLargeError} past `maxBytes`; {@link StorageUnavailableError} when the store is down
 */
export async function uploadFile(
  deps: FileDeps,
  owner: Actor & AuditActor,
  file: IncomingFile,
  maxBytes: number,
): Promise<FileRow> {
  const name = cleanFileName(file.fileName);
  const refuse = (message: Message) => {
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
    const json = await deps.knex.transaction((trx) =>
      insertRow(trx, files, owner, {}, { name, size, content_type: contentType, object_key: key }),
    );
    uploads.inc();
    uploadBytes.inc(size);
    // The row as written: its representation (id, owner, time the database gave it) and the key.
    return {
      id: json.id as string,
      name,
      size,
      content_type: contentType,
      owner_id: json.owner as number | null,
      object_key: key,
      created_at: json.created_at as string,
    };
  } catch (error) {
    // Keep the store in step with the table; should this fail too, the orphan sweep removes it.
    await removeObject(deps, key);
    throw error;
  }
}

/**
 * Undoes a stored upload whose request then failed (the body broke off after the file part):
 * the row (recorded as deleted by its uploader), then the object. Failures are logged; the orphan
 * sweep removes an object left behind.
 */
export async function discardUpload(deps: FileDeps, owner: AuditActor, file: FileRow): Promise<void> {
  try {
    await deps.knex.transaction(async (trx) => {
      const row = await findRow(trx, files, true, file.id, { forUpdate: true });
      if (row) await deleteRow(trx, files, owner, row);
    });
  } catch (error) {
    deps.logger.warn({ err: error, id: file.id }, 'could not remove the row of a failed upload');
    return;
  }
  await removeObject(deps, file.object_key);
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
