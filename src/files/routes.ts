/**
 * `POST /api/files/`: the upload, a `multipart/form-data` body streamed to the store. The rest of
 * `/api/files/` (list, read, download, delete) is the files resource's (`resource.ts`).
 *
 * @module
 */
import Router from '@koa/router';
import { authenticate, currentUser } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { fieldError } from '../errors.js';
import { mediaTypeOf } from '../http/body.js';
import { unsupportedMediaType } from '../http/http-errors.js';
import { apiOrigin } from '../http/origin.js';
import { responds } from '../http/responds.js';
import { declaration } from '../http/route-metadata.js';
import { requirePermission } from '../permissions/guard.js';
import { answerRows } from '../resources/store.js';
import { ObjectTooLargeError } from '../storage/storage.js';
import { MULTIPART_OVERHEAD_BYTES, receiveFile } from './multipart.js';
import { files } from './resource.js';
import { FILE_FIELD, FILE_MESSAGES } from './schema.js';
import { discardUpload, uploadFile } from './service.js';

/** The upload route, mounted under `/api`. */
export function fileRoutes(deps: Deps): Router {
  const router = new Router();
  const { config } = deps;

  router.post(
    '/files/',
    authenticate(deps),
    requirePermission(files.codenames.add),
    declaration({ tag: { name: files.name, description: files.description } }),
    responds(
      { status: 201, description: 'The file stored.', schema: files.jsonSchema },
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
        (stored) => discardUpload(deps, owner, stored),
      );
      if (outcome.kind === 'missing') throw fieldError(FILE_FIELD, FILE_MESSAGES.required);
      if (outcome.kind === 'not-a-file') throw fieldError(FILE_FIELD, FILE_MESSAGES.invalid);
      const [json] = await answerRows(files, [outcome.value as unknown as Record<string, unknown>], () => ({
        deps,
        origin: apiOrigin(ctx),
      }));
      ctx.status = 201;
      ctx.body = json;
    },
  );

  return router;
}
