import { expect } from 'chai';
import {
  CONFIG_VARIABLES,
  ConfigError,
  DEV_SECRET_KEY,
  loadConfig,
  parseDuration,
  parseRate,
  servingProblem,
} from '../src/config.js';
import { int, type BuildContext } from '../src/config/declare.js';
import { EnvSchema, SECTIONS, variablesOf, type EnvValues } from '../src/config/schema.js';
import { workerV8Flags } from '../src/worker-flags.js';

const BASE = { SECRET_KEY: 'k'.repeat(40) };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has safe defaults: embedded database, local storage, production-grade cookies', () => {
    const config = loadConfig(BASE);
    expect(config.debug).to.equal(false);
    expect(config.port).to.equal(8000);
    expect(config.database.kind).to.equal('pglite');
    expect(config.storage.kind).to.equal('local');
    expect(config.jwt).to.deep.equal({
      accessLifetime: 300,
      refreshLifetime: 86400,
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
      blacklistEnabled: true,
      reuseLeeway: 5,
      sessionMaxLifetime: 30 * 86400,
    });
    expect(config.corsAllowedOrigins).to.deep.equal([]);
    expect(config.host, 'loopback unless HOST says otherwise').to.equal('127.0.0.1');
    expect(config.allowedHosts, 'no host without DEBUG until ALLOWED_HOSTS names one').to.deep.equal([]);
    expect(config.useXForwardedHost).to.equal(false);
  });

  it('names the variable of a missing or malformed value', () => {
    expect(() => loadConfig({})).to.throw(ConfigError, /^SECRET_KEY /);
    expect(errorOf({ PORT: 'eighty' })).to.match(/^PORT must be a whole number/);
    expect(errorOf({ DEBUG: 'perhaps' })).to.match(/^DEBUG must be true or false/);
    expect(errorOf({ ACCESS_TOKEN_LIFETIME: '5 minutes' })).to.match(/^ACCESS_TOKEN_LIFETIME /);
    expect(errorOf({ THROTTLE_USER: 'lots' })).to.match(/^THROTTLE_USER /);
    expect(errorOf({ DATABASE_URL: 'mysql://x' })).to.match(/^DATABASE_URL /);
    expect(errorOf({ CORS_ALLOWED_ORIGINS: 'localhost:5173' })).to.match(/^CORS_ALLOWED_ORIGINS /);
    expect(errorOf({ COOKIE_SAMESITE: 'Sometimes' })).to.match(/^COOKIE_SAMESITE /);
    expect(errorOf({ MINIO_SERVER_URL: 'http://minio:9000' })).to.match(/^MINIO_ROOT_USER /);
  });

  it('refuses the development or a short SECRET_KEY unless DEBUG is on', () => {
    expect(() => loadConfig({ SECRET_KEY: DEV_SECRET_KEY })).to.throw(
      ConfigError,
      /SECRET_KEY is the development default/,
    );
    expect(() => loadConfig({ SECRET_KEY: 'short' })).to.throw(
      ConfigError,
      /SECRET_KEY must be at least 32 characters/,
    );
    expect(loadConfig({ SECRET_KEY: DEV_SECRET_KEY, DEBUG: 'true' }).debug).to.equal(true);
  });

  it('TRUST_PROXY is a number of proxy hops; true is the one of the shipped nginx', () => {
    expect(loadConfig(BASE).trustProxy).to.equal(0);
    expect(loadConfig({ ...BASE, TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(loadConfig({ ...BASE, TRUST_PROXY: '2' }).trustProxy).to.equal(2);
    expect(loadConfig({ ...BASE, TRUST_PROXY: 'true' }).trustProxy).to.equal(1);
    expect(loadConfig({ ...BASE, TRUST_PROXY: 'false' }).trustProxy).to.equal(0);
    expect(errorOf({ TRUST_PROXY: 'yes please' })).to.match(/^TRUST_PROXY must be the number of proxies/);
  });

  it('a server with DEBUG off needs Secure cookies and a trusted proxy (it serves plain HTTP)', () => {
    const production = { ...BASE, COOKIE_SECURE: 'true', TRUST_PROXY: '1', ALLOWED_HOSTS: 'api.example.com' };
    expect(servingProblem(loadConfig(production))).to.equal(null);
    expect(servingProblem(loadConfig({ ...production, ALLOWED_HOSTS: '' }))).to.match(
      /^ALLOWED_HOSTS must name the host names the site is served under when DEBUG is off/,
    );
    expect(servingProblem(loadConfig({ ...production, COOKIE_SECURE: 'false' }))).to.match(
      /^COOKIE_SECURE must be true when DEBUG is off/,
    );
    expect(servingProblem(loadConfig({ ...production, TRUST_PROXY: 'false' }))).to.match(
      /^TRUST_PROXY must be the number of proxies in front of the app when DEBUG is off/,
    );
    expect(servingProblem(loadConfig({ ...BASE, DEBUG: 'true' }))).to.equal(null);
  });

  it('requires COOKIE_SECURE for SameSite=None', () => {
    expect(errorOf({ COOKIE_SAMESITE: 'None' })).to.match(/^COOKIE_SAMESITE None requires COOKIE_SECURE=true/);
    expect(loadConfig({ ...BASE, COOKIE_SAMESITE: 'None', COOKIE_SECURE: 'true' }).cookies).to.deep.equal({
      sameSite: 'none',
      secure: true,
    });
  });

  it('chooses a PostgreSQL server from DATABASE_URL or POSTGRES_*', () => {
    expect(loadConfig({ ...BASE, DATABASE_URL: 'postgres://u@db:5432/app' }).database).to.include({
      kind: 'postgres',
      connectionString: 'postgres://u@db:5432/app',
    });
    expect(
      loadConfig({
        ...BASE,
        POSTGRES_HOST: 'postgres',
        POSTGRES_USER: 'app',
        POSTGRES_PASSWORD: 'p@ss',
        POSTGRES_DB: 'backoffice',
      }).database,
    ).to.include({
      kind: 'postgres',
      connectionString: 'postgres://app:p%40ss@postgres:5432/backoffice',
    });
  });

  it('parses durations and DRF throttle rates', () => {
    expect(parseDuration('90')).to.equal(90);
    expect(parseDuration('5m')).to.equal(300);
    expect(parseDuration('7d')).to.equal(604800);
    expect(parseDuration('0')).to.equal(null);
    expect(parseRate('5/m')).to.deep.equal({ limit: 5, seconds: 60 });
    expect(parseRate('1000/day')).to.deep.equal({ limit: 1000, seconds: 86400 });
    expect(parseRate('off')).to.equal(null);
    expect(parseRate('5 per minute')).to.equal(undefined);
  });

  it('takes CACHE_TTL as a duration or off', () => {
    const ttl = (value?: string) => loadConfig({ ...BASE, CACHE_TTL: value }).cacheTtl;
    expect(ttl()).to.equal(60);
    expect(ttl('5m')).to.equal(300);
    expect(ttl('off')).to.equal(0);
    expect(ttl('0')).to.equal(0);
    expect(() => ttl('soon')).to.throw(
      ConfigError,
      'CACHE_TTL must be a duration such as 300, 5m, 12h or 7d, or off, got "soon"',
    );
  });

  it("chooses the mail backend: the console in debug, else SMTP (Django's default), as EMAIL_BACKEND says", () => {
    expect(loadConfig({ ...BASE, DEBUG: 'true' }).mail).to.deep.equal({
      backend: 'console',
      from: 'webmaster@localhost',
    });
    expect(loadConfig(BASE).mail).to.deep.equal({
      backend: 'smtp',
      from: 'webmaster@localhost',
      host: 'localhost',
      port: 25,
      user: '',
      password: '',
      useTls: false,
      useSsl: false,
      timeoutSeconds: 10,
    });
    const file = loadConfig({ ...BASE, EMAIL_BACKEND: 'File', DATA_DIR: '/srv/data' }).mail;
    expect(file).to.deep.equal({ backend: 'file', from: 'webmaster@localhost', filePath: '/srv/data/mail' });
    expect(errorOf({ EMAIL_BACKEND: 'sendmail' })).to.equal(
      'EMAIL_BACKEND must be console, file or smtp, got "sendmail"',
    );
    expect(errorOf({ EMAIL_USE_TLS: 'true', EMAIL_USE_SSL: 'true' })).to.match(
      /^EMAIL_USE_TLS and EMAIL_USE_SSL are mutually exclusive/,
    );
  });

  it("takes ALLOWED_HOSTS as Django's patterns, localhost and the loopback addresses in debug when empty", () => {
    expect(
      loadConfig({ ...BASE, ALLOWED_HOSTS: ' API.example.com, .example.org ,*,[::1],10.0.0.1' }).allowedHosts,
    ).to.deep.equal(['api.example.com', '.example.org', '*', '[::1]', '10.0.0.1']);
    expect(loadConfig({ ...BASE, DEBUG: 'true' }).allowedHosts).to.deep.equal(['.localhost', '127.0.0.1', '[::1]']);
    expect(loadConfig({ ...BASE, DEBUG: 'true', ALLOWED_HOSTS: 'app.test' }).allowedHosts).to.deep.equal(['app.test']);
    expect(errorOf({ ALLOWED_HOSTS: 'https://api.example.com' })).to.match(
      /^ALLOWED_HOSTS "https:\/\/api\.example\.com" is not a host name/,
    );
    expect(errorOf({ ALLOWED_HOSTS: 'api.example.com:443' })).to.match(/^ALLOWED_HOSTS "api\.example\.com:443" is not/);
  });

  it('refuses a session lifetime shorter than a refresh token; the reuse leeway and statement timeout may be off', () => {
    expect(errorOf({ SESSION_MAX_LIFETIME: '12h' })).to.match(
      /^SESSION_MAX_LIFETIME must be at least REFRESH_TOKEN_LIFETIME/,
    );
    expect(loadConfig({ ...BASE, REFRESH_REUSE_LEEWAY: '0' }).jwt.reuseLeeway).to.equal(0);
    const server = loadConfig({ ...BASE, DATABASE_URL: 'postgres://u@db/app', DATABASE_STATEMENT_TIMEOUT: 'off' });
    expect(server.database).to.include({ kind: 'postgres', statementTimeout: 0 });
    expect(loadConfig({ ...BASE, DATABASE_URL: 'postgres://u@db/app' }).database).to.include({ statementTimeout: 30 });
  });

  it('a server with DEBUG off refuses the console mail backend (reset links would land in the logs)', () => {
    const production = { ...BASE, COOKIE_SECURE: 'true', TRUST_PROXY: '1', ALLOWED_HOSTS: 'api.example.com' };
    expect(servingProblem(loadConfig({ ...production, EMAIL_BACKEND: 'console' }))).to.match(
      /^EMAIL_BACKEND=console writes password reset links into the logs/,
    );
    expect(servingProblem(loadConfig({ ...production, EMAIL_BACKEND: 'file' }))).to.equal(null);
  });

  it('PASSWORD_RESET_URL needs {uid} and {token}; PASSWORD_RESET_TIMEOUT is seconds, 3 days by default', () => {
    expect(loadConfig(BASE).passwordReset.timeoutSeconds).to.equal(259200);
    expect(loadConfig({ ...BASE, PASSWORD_RESET_TIMEOUT: '3600' }).passwordReset.timeoutSeconds).to.equal(3600);
    expect(errorOf({ PASSWORD_RESET_URL: 'https://app.example.com/reset/{token}/' })).to.equal(
      'PASSWORD_RESET_URL must contain {uid}',
    );
    expect(errorOf({ PASSWORD_RESET_URL: 'javascript:{uid}{token}' })).to.equal(
      'PASSWORD_RESET_URL must be an http:// or https:// URL',
    );
  });

  it("gives the workers V8's heap flags, each left out at 0 for V8's own default", () => {
    expect(workerV8Flags(loadConfig(BASE))).to.deep.equal(['--max-semi-space-size=4', '--heap-growing-percent=10']);
    expect(workerV8Flags(loadConfig({ ...BASE, WORKER_MAX_SEMI_SPACE_MB: '0' }))).to.deep.equal([
      '--heap-growing-percent=10',
    ]);
    expect(workerV8Flags(loadConfig({ ...BASE, WORKER_HEAP_GROWING_PERCENT: '0' }))).to.deep.equal([
      '--max-semi-space-size=4',
    ]);
    expect(
      workerV8Flags(loadConfig({ ...BASE, WORKER_MAX_SEMI_SPACE_MB: '0', WORKER_HEAP_GROWING_PERCENT: '0' })),
    ).to.deep.equal([]);
    expect(errorOf({ WORKER_HEAP_GROWING_PERCENT: '1001' })).to.match(/^WORKER_HEAP_GROWING_PERCENT /);
  });

  it('lists every variable it reads', () => {
    expect(CONFIG_VARIABLES).to.include.members([
      'SECRET_KEY',
      'DATABASE_URL',
      'COOKIE_SAMESITE',
      'TOKEN_BLACKLIST',
      'THROTTLE_ANON',
      'WEB_CONCURRENCY',
    ]);
  });

  it('is its sections: each variable declared in one of them, each property of the configuration built by one', () => {
    expect(SECTIONS.map((s) => s.name)).to.deep.equal(['server', 'database', 'auth', 'mail', 'storage', 'tuning']);
    const declared = SECTIONS.flatMap((s) => Object.keys(s.variables));
    expect(declared).to.deep.equal([...CONFIG_VARIABLES]);
    expect(new Set(declared).size).to.equal(declared.length);
    const values = EnvSchema.parse(BASE) as EnvValues;
    const context: BuildContext = { debug: false, dataDir: '/srv/data', fail: () => expect.fail('refused') };
    const built = SECTIONS.flatMap((s) => Object.keys(s.build(values, context)));
    expect(new Set(built).size, 'a property built by two sections').to.equal(built.length);
    expect([...built].sort()).to.deep.equal(Object.keys(loadConfig(BASE)).sort());
    expect(Object.keys(SECTIONS.find((s) => s.name === 'tuning')!.variables)).to.include.members([
      'MALLOC_ARENA_MAX',
      'WORKER_MAX_SEMI_SPACE_MB',
      'WORKER_HEAP_GROWING_PERCENT',
    ]);
  });

  it('refuses a variable declared by two sections', () => {
    const port = int(1, 0);
    expect(() =>
      variablesOf([
        { name: 'server', variables: { PORT: port } },
        { name: 'tuning', variables: { PORT: port } },
      ]),
    ).to.throw('PORT is declared twice (the second time in the tuning section)');
  });
});
