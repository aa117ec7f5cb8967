/**
 * The OpenAPI 3.1 document, generated from the API router itself: every route it serves, with what
 * its chain declares as route metadata (`src/http/route-metadata.ts`) — the request body schema of
 * its `validate(schema)`, converted by zod (the same schema that validates requests, so the
 * document and the validation cannot disagree), its success response from `responds(...)`, the
 * permission of its `requirePermission(codename)`, and whether `authenticate()` guards it. Nothing
 * is read from a function's name.
 *
 * @module
 */
import type Router from '@koa/router';
import { z } from 'zod';
import type { SuccessResponse } from '../http/responds.js';
import { routeMetadata, type RouteMetadata } from '../http/route-metadata.js';

/** An OpenAPI 3.1 document (the parts this generator writes are typed; the rest is open). */
export interface OpenApiDocument {
  /** Always `3.1.0`. */
  readonly openapi: '3.1.0';
  /** Title, version and description of the API. */
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  /** Path template (`/api/users/{id}/`) → method (`get`, `post`, …) → operation. */
  readonly paths: Record<string, Record<string, unknown>>;
  /** Security schemes, shared responses and schemas. */
  readonly components: Record<string, unknown>;
}

/** A route as the router serves it: one method, one Koa path, its middleware chain. */
export interface RouteInfo {
  /** Upper-case method, never `HEAD` (Koa answers it with the `GET` route). */
  readonly method: string;
  /** The Koa path with its prefix, e.g. `/api/users/:id/`. */
  readonly path: string;
  /** The middleware and handler functions of the route, in order. */
  readonly stack: readonly unknown[];
  /** What the chain declares: authentication, permission, request body, success response. */
  readonly metadata: RouteMetadata;
}

/**
 * Lists the routes of a router, each with the metadata its chain declares: one entry per method
 * and path, `HEAD` left out. The one place that reads @koa/router's layers.
 *
 * @param router - the API router (`createApp(deps).api`), whose stack holds the mounted routers' layers
 * @example
 * routesOf(createApp(deps).api).map((r) => `${r.method} ${r.path}`); // ['POST /api/token/', …]
 */
export function routesOf(router: Router): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const layer of router.stack) {
    for (const method of layer.methods) {
      if (method === 'HEAD') continue;
      routes.push({ method, path: String(layer.path), stack: layer.stack, metadata: routeMetadata(layer.stack) });
    }
  }
  return routes;
}

/**
 * Turns a Koa path into an OpenAPI path template: parameters (`:id`) and wildcards (`*key`, which
 * may span several segments) become `{id}` and `{key}`.
 *
 * @example
 * openApiPath('/api/users/:id/'); // '/api/users/{id}/'
 * openApiPath('/api/media/*key'); // '/api/media/{key}'
 */
export function openApiPath(path: string): string {
  return path.replace(/[:*](\w+)/g, '{$1}');
}

/**
 * The success response a route declares with `responds(...)`.
 *
 * @throws Error when the route declares none (a wiring bug: every route must)
 */
function successOf(route: RouteInfo): SuccessResponse {
  if (route.metadata.success) return route.metadata.success;
  throw new Error(`${route.method} ${route.path} declares no success response: add responds(...) to its chain`);
}

/** The OpenAPI response object of a declared success response. */
function successResponse(success: SuccessResponse): Record<string, unknown> {
  if (success.schema)
    return {
      description: success.description,
      content: { 'application/json': { schema: jsonSchemaOf(success.schema, 'output') } },
    };
  if (success.mediaType)
    return { description: success.description, content: { [success.mediaType]: { schema: { type: 'string' } } } };
  return { description: success.description };
}

/**
 * Converts a request schema to JSON Schema as the client sends it (`io: 'input'`); what JSON
 * Schema cannot say (transforms, refinements) becomes "any" rather than an error.
 */
export function requestJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return jsonSchemaOf(schema, 'input');
}

/** A zod schema as JSON Schema, as the client sends it (`input`) or receives it (`output`). */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return jsonSchema;
}

const ERROR_SCHEMA = {
  type: 'object',
  description: 'DRF error body: `detail` (and `code` for token errors), or field errors `{"field": ["message"]}`.',
  properties: { detail: { type: 'string' }, code: { type: 'string' } },
  additionalProperties: true,
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * Builds the OpenAPI document of a router.
 *
 * @param router - the API router (`createApp(deps).api`)
 * @param info - title and version of the API
 * @returns the document; each route becomes an operation with its path parameters, its request
 *   body (when it validates one), its success response and body schema, the permission it
 *   requires, its security (bearer token or the `access_token` cookie when it authenticates) and
 *   the DRF error responses it can give
 * @example
 * const document = buildOpenApiDocument(createApp(deps).api, { title: 'Backoffice API', version: '0.1.0' });
 */
export function buildOpenApiDocument(router: Router, info: { title: string; version: string }): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routesOf(router)) {
    const method = route.method.toLowerCase();
    const template = openApiPath(route.path);
    const parameters = [...template.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const { authenticated = false, permission, body } = route.metadata;
    const guarded = permission !== undefined;
    const success = successOf(route);

    const responses: Record<string, unknown> = { [String(success.status)]: successResponse(success) };
    if (body) responses['400'] = { $ref: '#/components/responses/ValidationError' };
    if (authenticated) responses['401'] = { $ref: '#/components/responses/NotAuthenticated' };
    if (guarded) responses['403'] = { $ref: '#/components/responses/PermissionDenied' };
    if (parameters.length) responses['404'] = { $ref: '#/components/responses/NotFound' };

    const operation: Record<string, unknown> = {
      operationId: `${method}${route.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')}`,
      tags: [route.path.split('/')[2] ?? 'api'],
      security: authenticated ? [{ bearerAuth: [] }, { cookieAuth: [] }] : [],
      responses,
    };
    if (permission) operation.description = `Requires the \`${permission}\` permission (a superuser holds every one).`;
    if (parameters.length) operation.parameters = parameters;
    if (body) {
      const schema = requestJsonSchema(body);
      operation.requestBody = {
        required: Array.isArray(schema.required) && schema.required.length > 0,
        content: { 'application/json': { schema } },
      };
    }
    (paths[template] ??= {})[method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'DRF-compatible REST API. Authenticate with `Authorization: Bearer <access>` or the `access_token` cookie set by `POST /api/token/`.',
    },
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'access_token' },
      },
      schemas: { Error: ERROR_SCHEMA },
      responses: {
        ValidationError: errorResponse(
          'Invalid input: field errors, `non_field_errors`, or `{"detail": "JSON parse error - …"}`.',
        ),
        NotAuthenticated: errorResponse('No credentials, or a token that is invalid, expired or revoked.'),
        PermissionDenied: errorResponse('Authenticated, but without the permission (or a failed origin check).'),
        NotFound: errorResponse('`{"detail": "Not found."}`'),
      },
    },
  };
}
