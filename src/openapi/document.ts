/**
 * The OpenAPI 3.1 document, generated from the API router itself: every route it serves, with what
 * its chain declares as route metadata (`src/http/route-metadata.ts`) — the request body schema of
 * its `validate(schema)`, converted by zod (the same schema that validates requests, so the
 * document and the validation cannot disagree), the query parameters of its
 * `queryParameters(...)` (the only ones its handler can read), its success response, summary and
 * description from `responds(...)`, the permission of its `requirePermission(codename)`, and
 * whether `authenticate()` guards it; the error answers follow from these (see
 * {@link errorStatusesOf}). Nothing is read from a function's name.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import { z } from 'zod';
import { notFound, permissionDenied, serviceUnavailable, throttled } from '../errors.js';
import { toHttpError } from '../http/error-writer.js';
import { methodNotAllowed, notAuthenticated, payloadTooLarge, unsupportedMediaType } from '../http/http-errors.js';
import { isUnsafeMethod } from '../http/origin.js';
import type { QueryParameters } from '../http/params.js';
import type { SuccessResponse } from '../http/responds.js';
import { routeMetadata, type ErrorStatus, type RouteMetadata } from '../http/route-metadata.js';
import { projectRoot } from '../paths.js';

/**
 * The title of the API and its version, `package.json`'s.
 *
 * @example
 * buildOpenApiDocument(router, apiInfo()); // info: { title: 'Backoffice API', version: '0.1.0' }
 */
export function apiInfo(): { title: string; version: string } {
  let version = '0.0.0';
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
      version?: string;
    };
    version = manifest.version ?? version;
  } catch {
    // a deployment without package.json still serves a document
  }
  return { title: 'Backoffice API', version };
}

/** An OpenAPI 3.1 document (the parts this generator writes are typed; the rest is open). */
export interface OpenApiDocument {
  /** Always `3.1.0`. */
  readonly openapi: '3.1.0';
  /** Title, version, description and license of the API. */
  readonly info: {
    readonly title: string;
    readonly version: string;
    readonly description?: string;
  };
  /** Where the API is served: the document's own origin. */
  readonly servers: readonly { readonly url: string; readonly description: string }[];
  /** The tags of the operations, each with its description. */
  readonly tags: readonly { readonly name: string; readonly description: string }[];
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

/** The OpenAPI parameter objects of a route's declared query parameters. */
function queryParametersOf(query: QueryParameters): Record<string, unknown>[] {
  return Object.entries(query).map(([name, parameter]) => ({
    name,
    in: 'query',
    required: false,
    description: parameter.description,
    schema: requestJsonSchema(parameter.schema),
    ...(parameter.commaSeparated ? { style: 'form', explode: false } : {}),
  }));
}

/** Methods whose requests carry a body: the JSON parser answers 400, 413 and 415 for them. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The error statuses a route can answer, from what its chain declares: 400 for a body (or a text
 * query parameter, which refuses NUL), 401 when it authenticates, 403 for a permission or an
 * unsafe method with cookie credentials (the origin check), 404 for a path parameter or a page
 * number, 413 and 415 for a body, 429 unless it is a health check (never throttled), 503 when it
 * uses the database (credentials, a body, a page of rows), plus what the chain adds under `errors`.
 *
 * @param route - a route of {@link routesOf}
 * @returns the statuses, ascending
 * @example
 * errorStatusesOf(route); // [401, 403, 404, 429, 503] for GET /api/users/{id}/
 */
export function errorStatusesOf(route: RouteInfo): ErrorStatus[] {
  const { authenticated, permission, body, query = {}, errors = [] } = route.metadata;
  const statuses = new Set<ErrorStatus>(errors);
  const hasBody = body !== undefined || BODY_METHODS.has(route.method);
  const pathParameters = /[:*]\w/.test(route.path);
  if (hasBody || Object.values(query).some((parameter) => parameter.text)) statuses.add(400);
  if (authenticated) statuses.add(401);
  if (permission !== undefined || (authenticated && isUnsafeMethod(route.method))) statuses.add(403);
  if (pathParameters || 'page' in query) statuses.add(404);
  if (hasBody) {
    statuses.add(413);
    statuses.add(415);
  }
  if (!route.path.startsWith('/api/health/')) statuses.add(429);
  if (authenticated || hasBody || 'page' in query) statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

/** The shared response of each error status, by name under `components.responses`. */
export const ERROR_RESPONSES: Readonly<Record<ErrorStatus, string>> = {
  400: 'ValidationError',
  401: 'NotAuthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'Throttled',
  503: 'ServiceUnavailable',
};

const DETAIL_SCHEMA = {
  type: 'object',
  description: 'A DRF error: `detail`, and for token errors `code` (and `messages` for an access token).',
  properties: {
    detail: { type: 'string' },
    code: { type: 'string', examples: ['token_not_valid'] },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        properties: { token_class: { type: 'string' }, token_type: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  required: ['detail'],
  additionalProperties: false,
};

const FIELD_ERRORS_SCHEMA = {
  type: 'object',
  description:
    "DRF's field errors: each field that failed, with its messages; `non_field_errors` for the body as a whole. A nested field (a list) maps its positions to their messages.",
  additionalProperties: {
    anyOf: [
      { type: 'array', items: { type: 'string' } },
      { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    ],
  },
};

const HEADERS = {
  'WWW-Authenticate': {
    description: "simplejwt's challenge.",
    schema: { type: 'string', examples: [notAuthenticated().headers['WWW-Authenticate']] },
  },
  'Retry-After': {
    description: 'Seconds until the next request is allowed.',
    schema: { type: 'integer', minimum: 0, examples: [60] },
  },
  Allow: {
    description: 'The methods the path serves.',
    schema: { type: 'string', examples: ['GET, PATCH, HEAD, OPTIONS'] },
  },
};

/**
 * An error response whose body is `{"detail": …}`, with its example: a real answer's body, as it is
 * sent in English (its messages worded).
 */
function detailResponse(
  description: string,
  body: Record<string, unknown>,
  headers?: Record<string, unknown>,
): Record<string, unknown> {
  const example: unknown = JSON.parse(JSON.stringify(body));
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Detail' }, example } },
  };
}

/**
 * The shared error responses, each with its body schema, its headers and an example built by the
 * code that writes the real answer (the tests hold real answers to both).
 */
function errorComponents(): Record<string, unknown> {
  const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });
  return {
    ValidationError: {
      description:
        'Invalid input: field errors (`{"field": ["message"]}`, `non_field_errors`), or `{"detail": "JSON parse error - …"}` for a body that is not JSON.',
      content: {
        'application/json': {
          schema: { anyOf: [{ $ref: '#/components/schemas/FieldErrors' }, { $ref: '#/components/schemas/Detail' }] },
          example: { username: ['This field is required.'], password: ['This field is required.'] },
        },
      },
    },
    NotAuthenticated: detailResponse(
      'No credentials, or a token that is invalid, expired or revoked (then with `code: "token_not_valid"`).',
      notAuthenticated().body,
      { 'WWW-Authenticate': headerRef('WWW-Authenticate') },
    ),
    PermissionDenied: detailResponse(
      'Authenticated, but without the permission; or a write with cookie credentials from an origin not allowed.',
      toHttpError(permissionDenied()).body,
    ),
    NotFound: detailResponse(
      'No such object, or a page past the last (`Invalid page.`).',
      toHttpError(notFound()).body,
    ),
    MethodNotAllowed: detailResponse('The path does not serve this method.', methodNotAllowed('PUT').body, {
      Allow: headerRef('Allow'),
    }),
    PayloadTooLarge: detailResponse(
      'The body is over the limit (1 MiB of JSON, `UPLOAD_MAX_BYTES` for a file).',
      payloadTooLarge().body,
    ),
    UnsupportedMediaType: detailResponse(
      'The body is not JSON (nor `multipart/form-data` where a file is uploaded).',
      unsupportedMediaType('text/plain').body,
    ),
    Throttled: detailResponse('Too many requests (`THROTTLE_*` rates).', toHttpError(throttled(60)).body, {
      'Retry-After': headerRef('Retry-After'),
    }),
    ServiceUnavailable: detailResponse(
      'The database or the object store does not answer.',
      toHttpError(serviceUnavailable()).body,
    ),
  };
}

/** The tags of the document: the first path segment after `/api/`, described. */
const TAGS: Readonly<Record<string, string>> = {
  health: 'Health checks and the liveness and readiness probes; never throttled.',
  schema: 'This OpenAPI document.',
  docs: "Swagger UI, the counterpart of DRF's browsable API.",
};

/**
 * The tag of a route: its first path segment after `/api/`, described by the route's own
 * declaration (a resource's), by its feature, or in {@link TAGS}.
 */
function tagOf(route: RouteInfo, described: ReadonlyMap<string, string>): { name: string; description: string } {
  const name = route.path.split('/')[2] ?? '';
  const declared = route.metadata.tag;
  if (declared?.name === name) return declared;
  const description = described.get(name);
  if (description === undefined)
    throw new Error(`${route.method} ${route.path}: no feature describes the tag "${name}"`);
  return { name, description };
}

/**
 * Builds the OpenAPI document of a router.
 *
 * @param router - the API router (`createApp(deps).api`)
 * @param info - title and version of the API
 * @param featureTags - the tags the features describe (`createApp(deps).tags`), in their order
 * @returns the document; each route becomes an operation with its path parameters, its request
 *   body (when it validates one), its success response and body schema, the permission it
 *   requires, its security (bearer token or the `access_token` cookie when it authenticates) and
 *   the DRF error responses it can give
 * @example
 * const { api, tags } = createApp(deps);
 * const document = buildOpenApiDocument(api, { title: 'Backoffice API', version: '0.1.0' }, tags);
 */
export function buildOpenApiDocument(
  router: Router,
  info: { title: string; version: string },
  featureTags: readonly { readonly name: string; readonly description: string }[],
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Map<string, string>();
  const described = new Map([
    ...featureTags.map((tag): [string, string] => [tag.name, tag.description]),
    ...Object.entries(TAGS),
  ]);
  for (const route of routesOf(router)) {
    const method = route.method.toLowerCase();
    const template = openApiPath(route.path);
    const parameters: Record<string, unknown>[] = [...template.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
      const declared = route.metadata.path?.[name!];
      if (!declared) throw new Error(`${route.method} ${route.path}: no pathParameters(...) declares "${name}"`);
      return {
        name,
        in: 'path',
        required: true,
        description: declared.description,
        schema: requestJsonSchema(declared.schema),
      };
    });
    if (route.metadata.query) parameters.push(...queryParametersOf(route.metadata.query));
    const { authenticated = false, permission, body, operation: text } = route.metadata;
    const success = successOf(route);
    if (!text) throw new Error(`${route.method} ${route.path}: responds(...) gives no summary`);

    const responses: Record<string, unknown> = { [String(success.status)]: successResponse(success) };
    for (const other of text.others ?? []) responses[String(other.status)] = successResponse(other);
    for (const status of errorStatusesOf(route))
      responses[String(status)] ??= { $ref: `#/components/responses/${ERROR_RESPONSES[status]}` };

    const tag = tagOf(route, described);
    tags.set(tag.name, tag.description);
    const description = [
      text.description,
      permission ? `Requires the \`${permission}\` permission (a superuser holds every one).` : undefined,
    ].filter(Boolean);
    const operation: Record<string, unknown> = {
      operationId: `${method}${route.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')}`,
      summary: text.summary,
      ...(description.length ? { description: description.join('\n\n') } : {}),
      tags: [tag.name],
      security: authenticated ? [{ bearerAuth: [] }, { cookieAuth: [] }] : [],
      responses,
    };
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
        'DRF-compatible REST API. Authenticate with `Authorization: Bearer <access>` or the `access_token` cookie set by `POST /api/token/`. Paths end with a slash, as Django routes them.',
    },
    servers: [{ url: '/', description: 'The server that serves this document (paths start with `/api/`).' }],
    // The features' tags in their order (a resource's where it is mounted), then the infrastructure's.
    tags: [
      ...[...tags.keys()].filter((name) => !Object.hasOwn(TAGS, name)),
      ...Object.keys(TAGS).filter((name) => tags.has(name)),
    ].map((name) => ({ name, description: tags.get(name)! })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The `access` token of `POST /api/token/`.',
        },
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'access_token',
          description: 'The HttpOnly cookie `POST /api/token/` sets; writes must pass the origin check.',
        },
      },
      schemas: { Detail: DETAIL_SCHEMA, FieldErrors: FIELD_ERRORS_SCHEMA },
      headers: HEADERS,
      responses: errorComponents(),
    },
  };
}
