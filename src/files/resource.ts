/**
 * Uploaded files as a declared resource: `/api/files/` lists, `/api/files/{id}/` reads and
 * deletes, `/api/files/{id}/download/` streams the bytes. A file is immutable: there is no change,
 * and the upload (a `multipart/form-data` body streamed to the store, not a JSON one) is the
 * feature's own route (`routes.ts`), which writes the row through this declaration. Owners see and
 * delete their own files; `view_file` and `delete_file` reach everyone's.
 *
 * @module
 */
import { z } from 'zod';
import { ownerRules } from '../resources/access.js';
import { field } from '../resources/fields.js';
import { Attachment, defineResource, type AnswerContext } from '../resources/resource.js';
import type { FileRow } from './presenter.js';
import { fileUrl, openFile, removeObject } from './objects.js';

/** A file's row as selected (its object key included). */
const stored = (row: Readonly<Record<string, unknown>>) => row as unknown as FileRow;

/** The files resource. */
export const files = defineResource({
  name: 'files',
  model: 'file',
  table: 'files',
  key: 'uuid',
  description: 'Uploaded files: upload, list, download, delete.',
  fields: {
    name: field.string(255, { readOnly: true, description: 'The name the file was uploaded with.' }),
    size: field.integer({ readOnly: true, min: 0, max: Number.MAX_SAFE_INTEGER, description: 'Bytes.' }),
    content_type: field.string(255, { readOnly: true }),
    owner: field.user({ readOnly: true, description: "The uploader's user id; null once that user is deleted." }),
    created_at: field.datetime({ readOnly: true }),
  },
  // The key in the store never leaves the server: a URL is signed for each answer instead.
  internal: ['object_key'],
  computed: {
    url: {
      schema: z
        .string()
        .meta({ description: 'A signed, expiring URL to download it (presigned by the store, or `/api/media/…`).' }),
      // File answers are 503 while the store is down, lists included.
      prepare: ({ deps }: AnswerContext) => deps.storage.check(),
      value: (row, { deps, origin }: AnswerContext) =>
        fileUrl(deps.storage, stored(row), { expiresIn: deps.config.fileUrlLifetime, origin }),
    },
  },
  owner: 'owner',
  access: ownerRules('file', 'owner_id'),
  actions: ['list', 'retrieve', 'destroy'],
  defaultOrdering: ['-created_at'],
  descriptions: {
    list: 'The files the user may see, newest first: its own, or every file with `view_file`.',
    retrieve: 'With a fresh signed URL; a file the user may not see is 404.',
    destroy: 'Its owner, or a holder of `delete_file`; the stored object goes with the row.',
  },
  onDelete: {
    // A store that is down leaves the file whole (503), and no transaction waits on it.
    before: (deps) => deps.storage.check(),
    after: (deps, row) => removeObject(deps, stored(row).object_key),
  },
  extraActions: {
    download: {
      detail: true,
      method: 'get',
      rule: 'view',
      summary: 'Download a file',
      description:
        'The bytes, streamed from the store, as an attachment (`Content-Disposition` with the file name) in the type it was uploaded with.',
      response: {
        status: 200,
        description: "The file's bytes, as an attachment with its own content type.",
        mediaType: '*/*',
      },
      run: async ({ deps, record }) => {
        const file = stored(record!);
        return new Attachment(await openFile(deps.storage, file), file.name, file.content_type, Number(file.size));
      },
    },
  },
  admin: { columns: ['name', 'size', 'content_type', 'owner', 'created_at'] },
  repr: (file) => file.name,
});
