/**
 * `cli openapi [--output FILE]`: writes the OpenAPI document — the one `GET /api/schema/` serves —
 * to a file (by default `docs/md/openapi.json`, which the docs site publishes and the TypeScript
 * client is generated from). It needs no database, no object store and no configuration: the
 * document depends only on the routes.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import knex from 'knex';
import pino from 'pino';
import { createApp } from '../app.js';
import { PrincipalCache } from '../auth/principal-cache.js';
import { loadConfig } from '../config.js';
import { NoticeHub } from '../db/notifications.js';
import { apiInfo, buildOpenApiDocument, type OpenApiDocument } from '../openapi/document.js';
import { projectRoot } from '../paths.js';
import { createStorage } from '../storage/factory.js';
import type { Output } from './output.js';

/** Where the published document lives, relative to the project root. */
export const OPENAPI_FILE = 'docs/md/openapi.json';

/**
 * The OpenAPI document of the application's routes, built from an app that is never started: a
 * database client without a connection (no query runs), the local store, `BROWSABLE_API` on (so that the schema
 * and docs routes are listed, as a server with the browsable API serves them).
 *
 * @example
 * openApiDocument().paths['/api/users/'];
 */
export function openApiDocument(): OpenApiDocument {
  const config = loadConfig({
    SECRET_KEY: 'openapi-document-only-no-request-is-ever-served-with-this-key',
    DEBUG: 'false',
    LOG_LEVEL: 'silent',
    BROWSABLE_API: 'true',
    DATA_DIR: ':memory:',
    MEDIA_ROOT: path.join(projectRoot, 'data', 'media'),
  });
  const db = knex({ client: 'pg' });
  const { api, tags } = createApp({
    config,
    knex: db,
    logger: pino({ level: 'silent' }),
    storage: createStorage(config),
    principals: new PrincipalCache({ ttlMs: 0 }),
    notices: new NoticeHub(),
  });
  return buildOpenApiDocument(api, apiInfo(), tags);
}

/**
 * The document as the file holds it: JSON indented by two spaces, ending with a newline.
 *
 * @example
 * writeFileSync('openapi.json', serializeOpenApi(openApiDocument()));
 */
export function serializeOpenApi(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Writes the document to a file, creating its folder.
 *
 * @param options.output - the file, relative to the working directory (default {@link OPENAPI_FILE} in the project)
 * @param output - where the command reports the file it wrote
 * @example
 * openApiCommand({ output: 'openapi.json' }, stdoutOutput);
 */
export function openApiCommand(options: { output?: string }, output: Output): void {
  const file = options.output ? path.resolve(options.output) : path.join(projectRoot, OPENAPI_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  const document = openApiDocument();
  writeFileSync(file, serializeOpenApi(document));
  output.line(`wrote ${file} (${Object.keys(document.paths).length} paths)`);
}
