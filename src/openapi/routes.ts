/**
 * `GET /api/schema/` (the OpenAPI 3.1 document) and `GET /api/docs/` (Swagger UI, the counterpart of
 * DRF's browsable API). Swagger UI's files are served from the `swagger-ui-dist` package: the page
 * loads nothing from another host. With `BROWSABLE_API=false` none of these routes exist (404).
 *
 * @module
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Router from '@koa/router';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { notFound } from '../errors.js';
import { pathParameters } from '../http/params.js';
import { responds } from '../http/responds.js';
import type { ApiTag } from '../resources/features.js';
import { apiInfo, buildOpenApiDocument, type OpenApiDocument } from './document.js';

const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// The page's own start-up script, a file rather than inline so that a strict Content-Security-Policy
// (script-src 'self') at the proxy does not break it. validatorUrl: null keeps Swagger UI from
// sending the document to its public validator.
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/schema/',
    dom_id: '#swagger-ui',
    validatorUrl: null,
    deepLinking: true,
    withCredentials: true,
    persistAuthorization: false,
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Backoffice API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
`;

/** The files `GET /api/docs/{asset}/` serves: name → media type and where the bytes come from. */
const ASSETS: Readonly<Record<string, { type: string; file?: string; text?: string }>> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: path.join(SWAGGER_UI_DIR, 'swagger-ui.css') },
  'swagger-ui-bundle.js': {
    type: 'text/javascript; charset=utf-8',
    file: path.join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js'),
  },
  'init.js': { type: 'text/javascript; charset=utf-8', text: INIT_SCRIPT },
};

/**
 * The schema and docs router, mounted under `/api`; empty when `BROWSABLE_API` is off.
 *
 * @param api - returns the finished API router; the document is built from it on the first request
 *   (it lists these routes too, so it cannot be built before they are mounted)
 * @param tags - the features' tags ({@link buildOpenApiDocument})
 * @example
 * const api = new Router({ prefix: '/api' });
 * api.use(openApiRoutes(deps, () => api, tags).routes());
 */
export function openApiRoutes(deps: Deps, api: () => Router, tags: readonly ApiTag[]): Router {
  const router = new Router();
  if (!deps.config.browsableApi) return router;
  let document: OpenApiDocument | null = null;

  router.get(
    '/schema/',
    responds(
      { status: 200, description: 'This document.', mediaType: 'application/vnd.oai.openapi+json;version=3.1' },
      {
        summary: 'Read the OpenAPI document',
        description:
          'This document, as JSON. Absent (404) with `BROWSABLE_API=false`; the same document is published as `openapi.json` with the documentation.',
      },
    ),
    (ctx) => {
      document ??= buildOpenApiDocument(api(), apiInfo(), tags);
      ctx.type = 'application/vnd.oai.openapi+json;version=3.1';
      ctx.body = JSON.stringify(document);
    },
  );

  router.get(
    '/docs/',
    responds(
      { status: 200, description: 'Swagger UI for this document.', mediaType: 'text/html' },
      {
        summary: 'Open Swagger UI',
        description: 'The interactive browser of this document; absent (404) with `BROWSABLE_API=false`.',
      },
    ),
    (ctx) => {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = PAGE;
    },
  );

  router.get(
    '/docs/:asset/',
    pathParameters({
      asset: { description: 'The name of the file.', schema: z.enum(Object.keys(ASSETS) as [string, ...string[]]) },
    }),
    responds(
      { status: 200, description: 'A file of Swagger UI (script or style sheet).', mediaType: 'text/*' },
      {
        summary: 'Read a file of Swagger UI',
        description: 'A script or style sheet of the Swagger UI page, from this server.',
      },
    ),
    (ctx) => {
      const asset = Object.hasOwn(ASSETS, ctx.params.asset ?? '') ? ASSETS[ctx.params.asset!] : undefined;
      if (!asset) throw notFound();
      ctx.type = asset.type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = asset.text ?? fs.createReadStream(asset.file!);
    },
  );

  return router;
}
