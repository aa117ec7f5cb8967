/**
 * `/api/files/*`: upload, list, read, download and delete files.
 *
 * @module
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { authenticate, currentUser } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { fieldError } from '../errors.js';
import { mediaTypeOf } from '../http/body.js';
import { unsupportedMediaType } from '../http/errors.js';
import { apiOrigin } from '../http/origin.js';
import { PAGINATION, pageOf, paginate } from '../http/pagination.js';
import { queryParameters, uuidParam, UUID_ID } from '../http/params.js';
import { responds } from '../http/responds.js';
import { requirePermission } from '../permissions/guard.js';
import { ObjectTooLargeError } from '../storage/storage.js';
import { MULTIPART_OVERHEAD_BYTES, receiveFile } from './multipart.js';
import { FileJson, presentFile, type FileRow } from './presenter.js';
import { FILE_FIELD, FILE_MESSAGES } from './schema.js';
import { deleteFile, discardUpload, fileUrl, filesQuery, findVisibleFile, openFile, uploadFile } from './service.js';
import { setDownloadHeaders } from '../http/download.js';

/** The files router, mounted under `/api`. */
export function fileRoutes(deps: Deps): Router {
  const router = new Router();
  const auth = authenticate(deps);
  const { knex, storage, config } = deps;
  const urlFor = (ctx: Context, file: FileRow) =>
    fileUrl(storage, file, { expiresIn: config.fileUrlLifetime, origin: apiOrigin(ctx) });

  router.post(
    '/files/',
    auth,
    requirePermission('add_file'),
    responds(
      { status: 201, description: 'The file stored.', schema: FileJson },
      {
        summary: 'Upload a file',
        description: 'A `multipart/form-data` body with the file in the `file` field, up to `UPLOAD_MAX_BYTES`.',
      },
    ),
    async (ctx) => {
      const mediaType = mediaTypeOf(ctx);
      if (mediaType !== 'multipart/form-data') throw unsupportedMediaType(mediaType || 'none');
      const length = Number(ctx.get('Content-Length') || NaN);
      // The error writer maps it to 413, as it does when the stream runs past the limit.
      if (length > config.uploadMaxBytes + MULTIPART_OVERHEAD_BYTES)
        throw new ObjectTooLargeError(config.uploadMaxBytes);

      const owner = currentUser(ctx);
      const outcome = await receiveFile(
        ctx.req,
        FILE_FIELD,
        (file) => uploadFile(deps, owner, file, config.uploadMaxBytes),
        (stored) => discardUpload(deps, stored),
      );
      if (outcome.kind === 'missing') throw fieldError(FILE_FIELD, FILE_MESSAGES.required);
      if (outcome.kind === 'not-a-file') throw fieldError(FILE_FIELD, FILE_MESSAGES.invalid);
      ctx.status = 201;
      ctx.body = presentFile(outcome.value, await urlFor(ctx, outcome.value));
    },
  );

  router.get(
    '/files/',
    auth,
    queryParameters(PAGINATION),
    responds(
      { status: 200, description: 'A page of the files the user may see.', schema: pageOf(FileJson) },
      { summary: 'List files', description: 'The files the user may see: its own, or every file with `view_file`.' },
    ),
    async (ctx) => {
      await storage.check(); // file endpoints answer 503 while the store is down, lists included
      const page = await paginate(ctx, filesQuery(knex, currentUser(ctx)), (row: FileRow) => row);
      ctx.body = {
        ...page,
        results: await Promise.all(page.results.map(async (row) => presentFile(row, await urlFor(ctx, row)))),
      };
    },
  );

  router.get(
    '/files/:id/',
    UUID_ID,
    auth,
    responds(
      { status: 200, description: 'The file, with a fresh URL.', schema: FileJson },
      { summary: 'Read a file', description: 'With a fresh signed URL.' },
    ),
    async (ctx) => {
      const file = await findVisibleFile(knex, currentUser(ctx), uuidParam(ctx));
      await storage.check();
      ctx.body = presentFile(file, await urlFor(ctx, file));
    },
  );

  router.get(
    '/files/:id/download/',
    UUID_ID,
    auth,
    responds(
      {
        status: 200,
        description: "The file's bytes, as an attachment with its own content type.",
        mediaType: '*/*',
      },
      {
        summary: 'Download a file',
        description:
          'The bytes, streamed from the store, as an attachment (`Content-Disposition` with the file name) in the type it was uploaded with.',
      },
    ),
    async (ctx) => {
      const file = await findVisibleFile(knex, currentUser(ctx), uuidParam(ctx));
      const body = await openFile(storage, file);
      setDownloadHeaders(ctx, { fileName: file.name, contentType: file.content_type, size: Number(file.size) });
      ctx.body = body;
    },
  );

  router.delete(
    '/files/:id/',
    UUID_ID,
    auth,
    responds(
      { status: 204, description: 'Deleted, with its stored object.' },
      { summary: 'Delete a file', description: 'Its owner, or a holder of `delete_file`.', errors: [403] },
    ),
    async (ctx) => {
      await deleteFile(deps, currentUser(ctx), uuidParam(ctx));
      ctx.status = 204;
    },
  );

  return router;
}
