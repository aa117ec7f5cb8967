/**
 * `GET /api/media/{key}/`: serves the signed, expiring URLs of the local folder store, the
 * counterpart of S3 presigned URLs. With the S3 store, whose URLs point at the bucket, the route
 * answers 404.
 *
 * @module
 */
import Router from '@koa/router';
import { z } from 'zod';
import { setDownloadHeaders } from '../http/download.js';
import { notFound } from '../errors.js';
import { invalidSignature } from '../http/http-errors.js';
import { pathParameters, queryParameters } from '../http/params.js';
import { responds } from '../http/responds.js';
import { LocalStorage } from '../storage/local.js';
import { ObjectNotFoundError, type Storage } from '../storage/storage.js';

/** The query of a signed URL (`storage/signed-urls.ts` writes and checks it). */
const SIGNED_URL_QUERY = queryParameters({
  expires: { description: 'When the URL expires, in seconds since the epoch.', schema: z.int() },
  name: { description: 'The file name the download is saved under.', schema: z.string() },
  type: { description: 'The content type the file is served with.', schema: z.string() },
  signature: { description: 'The signature of the key and the three parameters above.', schema: z.string() },
});

/** The media router, mounted under `/api`. No authentication: the signature is the credential. */
export function mediaRoutes(storage: Storage): Router {
  const router = new Router();
  router.get(
    '/media/*key',
    pathParameters({
      key: {
        description: 'The object key of the file (lower-case letters, digits, `/`, `_`, `-`).',
        schema: z.string(),
      },
    }),
    SIGNED_URL_QUERY,
    responds(
      {
        status: 200,
        description:
          "The file's bytes (with the content type it was stored with), for a signed URL that has not expired.",
        mediaType: '*/*',
      },
      {
        summary: 'Download by signed URL',
        description: 'The URL of a file of the local folder store, signed and expiring; with the S3 store, 404.',
        errors: [403, 404],
      },
    ),
    async (ctx) => {
      if (!(storage instanceof LocalStorage)) throw notFound();
      const raw = (ctx.params as { key?: string | string[] }).key;
      const key = (Array.isArray(raw) ? raw.join('/') : (raw ?? '')).replace(/\/+$/, '');
      if (!/^[a-z0-9/_-]+$/.test(key)) throw notFound();
      let opened;
      try {
        opened = await storage.openSigned(key, ctx.query);
      } catch (error) {
        if (error instanceof ObjectNotFoundError) throw notFound();
        throw error;
      }
      if (!opened) throw invalidSignature();
      setDownloadHeaders(ctx, { fileName: opened.grant.fileName, contentType: opened.grant.contentType });
      ctx.body = opened.body;
    },
  );
  return router;
}
