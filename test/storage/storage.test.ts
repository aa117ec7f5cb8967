import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createStorage } from '../../src/storage/factory.js';
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';
import { mediaSigningKey, signMediaUrl, verifyMediaUrl } from '../../src/storage/signed-urls.js';
import { TEST_MEDIA_ROOT } from '../support/config.js';
import { ROOT } from '../support/processes.js';

const SECRET = 'x'.repeat(40);
const S3_ENV = { MINIO_SERVER_URL: 'http://minio:9000', MINIO_ROOT_USER: 'app', MINIO_ROOT_PASSWORD: 'secret-secret' };

describe('Storage configuration', () => {
  it('chooses the local folder without MINIO_SERVER_URL (DATA_DIR/media, or MEDIA_ROOT)', () => {
    const config = loadConfig({ SECRET_KEY: SECRET, DATA_DIR: '/srv/data' });
    expect(config.storage).to.deep.equal({ kind: 'local', root: '/srv/data/media' });
    expect(createStorage(config)).to.be.instanceOf(LocalStorage);
    expect(loadConfig({ SECRET_KEY: SECRET, MEDIA_ROOT: '/mnt/media' }).storage).to.deep.equal({
      kind: 'local',
      root: '/mnt/media',
    });
  });

  it('chooses S3 with MINIO_SERVER_URL, with defaults for the rest', () => {
    const config = loadConfig({ SECRET_KEY: SECRET, ...S3_ENV });
    expect(config.storage).to.deep.equal({
      kind: 's3',
      url: 'http://minio:9000',
      publicUrl: 'http://minio:9000',
      accessKey: 'app',
      secretKey: 'secret-secret',
      bucket: 'backoffice',
      region: 'us-east-1',
      createBucket: true,
    });
    expect(createStorage(config)).to.be.instanceOf(S3Storage);
    expect(config.fileUrlLifetime).to.equal(300);
  });

  it('loads the minio client only for the S3 store (16 MiB of RSS a worker on the local folder does without)', function () {
    this.timeout(60_000);
    // A module resolution hook, ahead of tsx's, reports each request for the `minio` package.
    const hooks = `import { writeSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        if (specifier === 'minio') writeSync(1, 'minio requested\\n');
        return next(specifier, context);
      }`;
    const register = `import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`;
    // The app's modules that src/server.ts imports (importing it would start a server), read from
    // its source; then a local store made and used, then an S3 store made.
    const serverImports = [
      ...readFileSync(path.join(ROOT, 'src/server.ts'), 'utf8').matchAll(/^import .* from '\.\/(.+)\.js';$/gm),
    ].map((match) => match[1]!);
    expect(serverImports).to.include.members(['app', 'startup']);
    const program = `import { writeSync } from 'node:fs';
      for (const module of ${JSON.stringify(serverImports)}) {
        await import('./src/' + module + '.ts');
      }
      const { loadConfig } = await import('./src/config.ts');
      const { createStorage } = await import('./src/storage/factory.ts');
      const local = createStorage(loadConfig({ SECRET_KEY: '${SECRET}', DATA_DIR: process.env.SCRATCH }));
      await local.check();
      writeSync(1, 'local store used\\n');
      createStorage(loadConfig({ SECRET_KEY: '${SECRET}', ${Object.entries(S3_ENV)
        .map(([k, v]) => `${k}: '${v}'`)
        .join(', ')} }));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      writeSync(1, 'S3 store made\\n');
      process.exit(0);`;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--input-type=module',
        '-e',
        program,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SCRATCH: TEST_MEDIA_ROOT, WEB_CONCURRENCY: '1' } },
    );
    expect(child.status, child.stderr).to.equal(0);
    const lines = child.stdout
      .split('\n')
      .filter((line) => /^(minio requested|local store used|S3 store made)$/.test(line));
    expect(lines[0], child.stdout).to.equal('local store used');
    expect(lines.slice(1, -1), child.stdout).to.include('minio requested');
    expect(lines.at(-1)).to.equal('S3 store made');
  });

  it('stops on a malformed storage variable, naming it', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ MINIO_SERVER_URL: 'http://minio:9000', MINIO_ROOT_USER: 'app' }, /^MINIO_ROOT_PASSWORD is required/],
      [{ ...S3_ENV, MINIO_BUCKET: 'Not_A_Bucket' }, /^MINIO_BUCKET is not a valid bucket name/],
      [{ ...S3_ENV, MINIO_PUBLIC_URL: 'files.example.com' }, /^MINIO_PUBLIC_URL must be a http: or https:\/\/ URL/],
      [{ MINIO_CREATE_BUCKET: 'maybe' }, /^MINIO_CREATE_BUCKET must be true or false/],
      [{ FILE_URL_LIFETIME: '8d' }, /^FILE_URL_LIFETIME must be at most 7d/],
      [{ FILE_URL_LIFETIME: 'soon' }, /^FILE_URL_LIFETIME must be a duration/],
    ];
    for (const [env, message] of cases) expect(() => loadConfig({ SECRET_KEY: SECRET, ...env })).to.throw(message);
  });
});

describe('Signed media URLs', () => {
  const key = mediaSigningKey(SECRET);
  const grant = { key: 'files/abc', expires: 2_000_000_000, fileName: 'Отчёт.pdf', contentType: 'application/pdf' };
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

  it('round-trips a grant and names the media route', () => {
    const url = signMediaUrl(key, 'https://api.example.com', grant);
    expect(url.startsWith('https://api.example.com/api/media/files/abc/?expires=2000000000&')).to.equal(true);
    expect(verifyMediaUrl(key, 'files/abc', query(url), 1_900_000_000)).to.deep.equal(grant);
  });

  it('refuses an expired, altered or foreign-key URL', () => {
    const q = query(signMediaUrl(key, 'https://api.example.com', grant));
    expect(verifyMediaUrl(key, 'files/abc', q, 2_000_000_001)).to.equal(null);
    expect(verifyMediaUrl(key, 'files/other', q, 0)).to.equal(null);
    for (const field of ['expires', 'name', 'type', 'signature']) {
      expect(verifyMediaUrl(key, 'files/abc', { ...q, [field]: `${q[field]}x` }, 0), field).to.equal(null);
      const { [field]: _dropped, ...rest } = q;
      expect(verifyMediaUrl(key, 'files/abc', rest, 0), field).to.equal(null);
    }
    expect(verifyMediaUrl(mediaSigningKey('y'.repeat(40)), 'files/abc', q, 0)).to.equal(null);
  });

  it('signs with a key derived from SECRET_KEY, not the secret itself', () => {
    expect(key.equals(Buffer.from(SECRET))).to.equal(false);
    expect(key).to.have.length(32);
  });
});
