/**
 * Fuzzing every operation of the OpenAPI document, over real HTTP: valid, boundary and malformed
 * bodies, path and query parameters (NUL and other control characters, lone surrogates, invalid
 * percent-encoding, prototype names such as `constructor`, very long values) and headers (hostile `Host` values among them), as a superuser, a limited staff user, a cookie
 * without an origin, junk credentials and nobody. Every answer must be below 500; every refusal a
 * DRF-shaped JSON body; every success the declared status and valid against the declared schema;
 * and a refused write must leave every table as it was.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import { request as httpRequest, type Server } from 'node:http';
import { createApp } from '../../src/app.js';
import { PrincipalCache } from '../../src/auth/principal-cache.js';
import { buildOpenApiDocument } from '../../src/openapi/document.js';
import { bearer, makeGroup, makeUser, PASSWORD, testDeps } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

/** Requests per run (`FUZZ_REQUESTS` overrides, e.g. for a long local run). */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
/** The run stops there, whatever the count (CI runs the suite three times); the count reached is logged. */
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 120_000);
/** Fewer requests than this before the time limit fails the run: the machine is too slow to fuzz meaningfully. */
const MINIMUM = Number(process.env.FUZZ_MINIMUM ?? 2_000);

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
};

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly bodySchema?: JsonSchema;
  readonly success: { status: number; schema?: JsonSchema };
}

/** The operations of the document, with their request body and success response. */
function operationsOf(document: ReturnType<typeof buildOpenApiDocument>): Operation[] {
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const operation = raw as {
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
      };
      const [status, response] = Object.entries(operation.responses).find(([code]) => code.startsWith('2'))!;
      operations.push({
        method: method.toUpperCase(),
        template,
        bodySchema: operation.requestBody?.content['application/json']?.schema,
        success: { status: Number(status), schema: response.content?.['application/json']?.schema },
      });
    }
  }
  return operations;
}

const NASTY = [
  '\u0000',
  '\u0001',
  '\u0008',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\uD800',
  '\uDFFF',
  '\u202E',
  '\uFEFF',
  '\n',
  '\r\n',
  '\t',
  '%',
  '%00',
  '\\',
  "'",
  '"',
  '<b>',
  '../',
  '😀',
  'a\u0000b',
  ' ',
  ',',
  '-',
];

/** Names an object's prototype answers to: a lookup in a plain object would find a function. */
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'];

/** Strings: ordinary, nasty pieces, the fixture names the app knows, prototype names, and very long ones. */
function textOf(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 16 }) },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom(...NASTY)), { maxLength: 6 })
        .map((parts) => parts.join('')),
    },
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom(150, 151, 254, 255, 4096, 4097).map((n) => 'x'.repeat(n)) },
  );
}

/** A value the schema allows, at its boundaries, or just past them. */
function valueOf(schema: JsonSchema, text: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => valueOf(s, text, depth)));
  switch (schema.type) {
    case 'string': {
      const edges = [
        schema.minLength,
        schema.maxLength,
        schema.maxLength === undefined ? undefined : schema.maxLength + 1,
      ].filter((n): n is number => n !== undefined);
      return edges.length
        ? fc.oneof(
            { weight: 5, arbitrary: text },
            { weight: 1, arbitrary: fc.constantFrom(...edges).map((n) => 'é'.repeat(n)) },
          )
        : text;
    }
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 'True', '1', '0', 'yes', 1, null));
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1.5, '1'));
    case 'array':
      return fc.array(valueOf(schema.items ?? {}, text, depth + 1), { maxLength: 4 });
    case 'object':
      return depth > 2 ? fc.constant({}) : objectOf(schema, text, depth + 1);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectOf(schema: JsonSchema, text: fc.Arbitrary<string>, depth: number): fc.Arbitrary<unknown> {
  const shape = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, s]) => [key, valueOf(s, text, depth)]),
  );
  return fc.record(shape, { requiredKeys: schema.required?.filter((k) => k in shape) ?? [] });
}

/** A request body: schema-shaped (the common case), the right keys with wrong types, or not JSON at all. */
function bodyOf(operation: Operation, text: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> {
  const keys = Object.keys(operation.bodySchema?.properties ?? {});
  const garbage = fc.oneof(
    text,
    fc.constantFrom(
      '',
      'null',
      '[]',
      '"x"',
      '{"a":',
      '{"username": "a\\u0000b"}',
      '{"a": "\\ud800"}',
      '['.repeat(5000),
      `{"x": "${'y'.repeat(100_000)}"}`,
    ),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  );
  const arbitraries: Array<fc.WeightedArbitrary<string | undefined>> = [
    { weight: 1, arbitrary: garbage },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ];
  if (operation.bodySchema) {
    arbitraries.push({ weight: 6, arbitrary: valueOf(operation.bodySchema, text).map((v) => JSON.stringify(v)) });
    arbitraries.push({
      weight: 2,
      arbitrary: fc
        .dictionary(fc.constantFrom(...keys, 'extra'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
        .map((v) => JSON.stringify(v)),
    });
  }
  return fc.oneof(...arbitraries);
}

/** A segment as a client would send it; a lone surrogate (which has no UTF-8) as the bytes a careless client sends. */
function encodePathSegment(value: string): string {
  return value
    .replace(/[\uD800-\uDFFF]/g, '\uFFFD')
    .split('\uFFFD')
    .map(encodeURIComponent)
    .join('%ED%A0%80');
}

const QUERY_NAMES = ['page', 'page_size', 'search', 'ordering', 'is_active', 'group', 'expires', 'signature'];
const RAW_QUERIES = [
  'search=%C3%28',
  'group=%FF%FE',
  'search=%',
  'page=%zz',
  'group=%00',
  'ordering=-id,%E2%82',
  'page_size=1e3&page_size=2',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json',
  'application/json;;',
  '',
];

/**
 * `Host` values besides the server's own address (fetch always sends that one): hostile ones —
 * another name, userinfo, a list, a bad port or address, no host at all — refused with 400 before
 * any route, and allowed ones in odd spellings, which links must carry.
 */
const HOSTS = [
  'rebind.attacker.example',
  'x@y',
  '127.0.0.1@evil.example',
  'evil.example,127.0.0.1',
  'a b',
  '[::1',
  '[zz::1]',
  'localhost:99999',
  'localhost:abc',
  '1.2.3.4.5',
  '.',
  '\u00e9.localhost',
  'LOCALHOST.:8000',
  'api.localhost',
  '[::1]:1',
];

/** A request with its own `Host` header, answered as fetch answers. */
function sendWithHost(
  url: string,
  host: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) {
  return new Promise<Response>((resolve, reject) => {
    // Content-Length as fetch sets it: node:http sends a DELETE's body without one.
    const length = init.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(init.body)) };
    const headers = { ...init.headers, ...length, Host: host };
    const req = httpRequest(url, { method: init.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const answered = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === 'string') answered.set(name, value);
        resolve(new Response(body.length ? body : null, { status: res.statusCode, headers: answered }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('fuzzing every operation of the OpenAPI document', function () {
  let server: Server;
  this.timeout(TIME_LIMIT_MS + 60_000);

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it(`answers up to ${REQUESTS} generated requests without a 5xx, refusals in DRF's shape, successes as declared, refused writes writing nothing`, async () => {
    // The actors' rows never change during the run, so their principals may be cached (as in production).
    const { app, api, tags } = createApp({ ...testDeps(), principals: new PrincipalCache({ ttlMs: 600_000 }) });
    const operations = operationsOf(buildOpenApiDocument(api, { title: 'Backoffice API', version: 'fuzz' }, tags));
    expect(operations.length).to.be.greaterThan(25);

    // Actors; the users, groups and files the fuzzer may act on never include them.
    const root = await makeUser({ username: 'fuzz-root', is_superuser: true, is_staff: true });
    const role = await makeGroup('fuzz-role', [
      'view_user',
      'add_user',
      'change_user',
      'view_group',
      'add_group',
      'change_group',
      'add_file',
      'view_file',
    ]);
    const limited = await makeUser({ username: 'fuzz-limited', is_staff: true, groups: [role.name] });
    const rootAuth = await bearer(root);
    const identities: Record<string, Record<string, string>> = {
      superuser: { Authorization: rootAuth },
      limited: { Authorization: await bearer(limited) },
      cookie: { Cookie: `access_token=${rootAuth.slice('Bearer '.length)}` },
      junk: { Authorization: 'Bearer junk.junk.junk' },
      malformed: { Authorization: 'Bearer a b' },
      nobody: {},
    };
    const victims = await Promise.all([1, 2, 3, 4, 5].map((i) => makeUser({ username: `victim${i}` })));
    const groups = await Promise.all(['g-one', 'g-two', 'g-three'].map((name) => makeGroup(name, ['view_user'])));
    const ids = [
      ...victims.map((u) => String(u.id)),
      ...groups.map((g) => String(g.id)),
      'me',
      '0',
      '-1',
      '1.0',
      '1e3',
      '2147483648',
      '99999999999999999999',
      '00000000-0000-0000-0000-000000000000',
      'swagger-ui.css',
    ];
    const known = [
      PASSWORD,
      'fuzz-root',
      'fuzz-limited',
      'victim1',
      'g-one',
      'view_user',
      'delete_user',
      'add_group',
      'is_superuser',
      '-username',
      'id',
      'true',
      rootAuth.slice(7),
    ];
    const text = textOf(known);
    const pathValue = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ids) },
      // Not "." or "..": every URL parser (WHATWG's, the client's here) removes a dot segment before
      // sending, so `/api/users/./` leaves as the list's `/api/users/` and is answered as the list.
      { weight: 2, arbitrary: text.filter((t) => t.length > 0 && t !== '.' && t !== '..').map(encodePathSegment) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('%00', '%', '%zz', '%C3%28', '%ED%A0%80', 'a%2Fb', '..', 'x'.repeat(3000)),
      },
    );
    const query = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .dictionary(fc.constantFrom(...QUERY_NAMES), text, { maxKeys: 3 })
          .map((q) => new URLSearchParams(q).toString()),
      },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_QUERIES) },
    );

    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validators = new Map(
      operations.filter((o) => o.success.schema).map((o) => [o, ajv.compile(o.success.schema!)]),
    );
    const knex = testKnex();
    const TABLES = [
      'auth_user',
      'auth_group',
      'auth_user_groups',
      'auth_group_permissions',
      'auth_user_user_permissions',
      'token_blacklist_outstandingtoken',
      'token_blacklist_blacklistedtoken',
      'files',
    ];
    const FINGERPRINT = `SELECT ${TABLES.map((t) => `(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM ${t} t) AS ${t}`).join(', ')}`;
    const fingerprint = async () => JSON.stringify((await knex.raw(FINGERPRINT)).rows[0]);
    let lastFingerprint: string | null = null;

    const tally = {
      requests: 0,
      statuses: new Map<number, number>(),
      succeeded: new Set<string>(),
      requested: new Set<string>(),
    };
    const started = Date.now();
    const byName = new Map(operations.map((o) => [`${o.method} ${o.template}`, o]));
    const request = fc.constantFrom(...byName.keys()).chain((name) =>
      fc.record({
        name: fc.constant(name),
        params: fc.array(pathValue, { minLength: 2, maxLength: 2 }),
        query,
        body: bodyOf(byName.get(name)!, text),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        who: fc.constantFrom(...Object.keys(identities)),
        origin: fc.constantFrom(undefined, 'http://localhost:5173', 'https://evil.example'),
        host: fc.option(fc.constantFrom(...HOSTS), { freq: 8 }),
      }),
    );

    await fc.assert(
      fc.asyncProperty(request, async ({ name, params, query: q, body, contentType, who, origin, host }) => {
        let i = 0;
        const path = byName.get(name)!.template.replace(/\{\w+\}/g, () => params[i++]!);
        // `/api/users/{id}/` with id `me` is the operation `/api/users/me/`, declared on its own.
        const operation = byName.get(`${name.split(' ')[0]} ${path}`) ?? byName.get(name)!;
        const url = `${base}${path}${q ? `?${q}` : ''}`;
        const headers: Record<string, string> = { ...identities[who] };
        if (origin) headers.Origin = origin;
        const sendsBody = operation.method !== 'GET' && body !== undefined;
        if (sendsBody && contentType) headers['Content-Type'] = contentType;
        const unsafe = operation.method !== 'GET';
        const before = unsafe ? (lastFingerprint ??= await fingerprint()) : null;

        const res = host
          ? await sendWithHost(url, host, { method: operation.method, headers, body: sendsBody ? body : undefined })
          : await fetch(url, {
              method: operation.method,
              headers,
              body: sendsBody ? body : undefined,
              redirect: 'manual',
            });
        const raw = Buffer.from(await res.arrayBuffer());
        const type = res.headers.get('content-type') ?? '';
        const what = `${operation.method} ${url.slice(0, 300)} as ${who}${host ? ` to Host ${host}` : ''} (${contentType}) ${String(body).slice(0, 200)} → ${res.status} ${raw.toString('utf8', 0, 300)}`;
        tally.requests += 1;
        tally.statuses.set(res.status, (tally.statuses.get(res.status) ?? 0) + 1);
        tally.requested.add(`${operation.method} ${operation.template}`);

        expect(res.status, what).to.be.below(500);
        if (res.status >= 400) {
          expect(type, what).to.match(/^application\/json/);
          const parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
          const drfShaped =
            // simplejwt's token errors carry `code` and `messages` beside `detail`.
            (typeof parsed.detail === 'string' &&
              Object.keys(parsed).every((k) => k === 'detail' || k === 'code' || k === 'messages')) ||
            (Object.keys(parsed).length > 0 &&
              Object.values(parsed).every((v) => Array.isArray(v) && v.every((m) => typeof m === 'string')));
          expect(drfShaped, what).to.equal(true);
          if (unsafe) {
            const after = await fingerprint();
            expect(after, `a refused request wrote: ${what}`).to.equal(before);
            lastFingerprint = after;
          }
          return;
        }
        expect(res.status, what).to.equal(operation.success.status);
        tally.succeeded.add(`${operation.method} ${operation.template}`);
        if (unsafe) lastFingerprint = null;
        const validate = validators.get(operation);
        if (validate && /^application\/json/.test(type)) {
          expect(validate(JSON.parse(raw.toString('utf8'))), `${what}\n${JSON.stringify(validate.errors)}`).to.equal(
            true,
          );
        }
      }),
      {
        numRuns: REQUESTS,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        endOnFailure: true,
        seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined,
      },
    );

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const statuses = [...tally.statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    process.stdout.write(
      `      fuzz: ${tally.requests} requests over ${tally.requested.size}/${operations.length} operations in ${seconds} s; ${tally.succeeded.size} operations answered a success; ${statuses}\n`,
    );
    expect(tally.requests).to.be.at.least(Math.min(REQUESTS, MINIMUM));
    expect(tally.requested.size, 'every operation requested').to.equal(operations.length);
  });
});
