/**
 * The Prometheus metrics of a production server with two workers, scraped from `METRICS_PORT`
 * and read with a Prometheus text-format parser: one answer for the whole process tree
 * (the workers' registries aggregated by the primary), every `backoffice_` family present,
 * routes labelled by template, and the auth, upload and pool counters moving as the traffic does
 * (reuse refusals by outcome).
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { createUser, SYSTEM_ACTOR } from '../../src/users/service.js';
import { PASSWORD } from '../support/app.js';
import { productionServerEnv } from '../support/config.js';
import { freePort, startServer, type ServerProcess } from '../support/processes.js';
import { request, type Answer } from '../ops/support.js';
import { requirePostgresBinaries, startPrivatePostgres, type PrivatePostgres } from '../resilience/support.js';

/** The value of a counter or gauge sample whose labels include `labels`, summed over the matches. */
function valueOf(families: ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no metric ${name}`);
  return family.metrics
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value ?? m.count), 0);
}

/**
 * One series of a labelled histogram, as the text of an unlabelled one (only `le` kept):
 * parse-prometheus-text-format merges every series of a labelled histogram into one, so the test
 * hands it the lines of one series at a time.
 */
function histogramSeries(text: string, name: string, labels: Record<string, string>): string {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const lines = text.split('\n').filter((line) => {
    if (line === `# HELP ${name} ${line.slice(`# HELP ${name} `.length)}` || line === `# TYPE ${name} histogram`)
      return true;
    return new RegExp(`^${name}_(bucket|sum|count)\\{`).test(line) && wanted.every((w) => line.includes(w));
  });
  return (
    lines
      .map((line) =>
        line
          .replace(/(\w+)="[^"]*",?/g, (label: string, key: string) => (key === 'le' ? label : ''))
          .replace(/,\}/, '}')
          .replace(/\{\}/, ''),
      )
      .join('\n') + '\n'
  );
}

describe('metrics: METRICS_PORT with WEB_CONCURRENCY=2', function () {
  this.timeout(180_000);
  let pg: PrivatePostgres | undefined;
  let knex: Knex | undefined;
  let server: ServerProcess | undefined;
  let metricsUrl: string;

  before(async function () {
    const bin = requirePostgresBinaries(this);
    pg = await startPrivatePostgres(bin, await freePort());
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    server = await startServer(
      productionServerEnv({
        DATABASE_URL: pg.url,
        WEB_CONCURRENCY: '2',
        METRICS_PORT: String(metricsPort),
        THROTTLE_LOGIN_PER_USER: '2/m',
        CACHE_TTL: '10m',
      }),
    );
    knex = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
    await createUser(knex, SYSTEM_ACTOR, { username: 'root', password: PASSWORD, is_superuser: true });
    // The server is healthy once one worker answers; the aggregate needs every worker's registry,
    // so a scrape while the second worker still starts fails (500, as prom-client's aggregator
    // times out), and Prometheus counts a failed scrape. The tests start once both answer.
    const until = Date.now() + 30_000;
    while ((await request(metricsUrl)).status !== 200) {
      if (Date.now() > until) throw new Error('the cluster never answered a scrape');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  after(async () => {
    await knex?.destroy();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await pg?.destroy();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
    request(`${server!.url}${path}`, {
      method: 'POST',
      agent: false,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  async function scrapeText(): Promise<string> {
    const answer = await request(metricsUrl);
    expect(answer.status).to.equal(200);
    expect(answer.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    return answer.body;
  }
  const scrape = async (): Promise<ParsedFamily[]> => parsePrometheusTextFormat(await scrapeText());

  it('is served on its own port only: the API port has no /metrics, the metrics port nothing else', async () => {
    expect((await request(`${server!.url}/metrics`)).status).to.equal(404);
    expect((await request(metricsUrl.replace('/metrics', '/api/health/'))).status).to.equal(404);
  });

  it('sums the workers: every request counted once, whichever worker answered it', async () => {
    const before = valueOf(await scrape(), 'backoffice_http_requests_total', { route: '/api/health/live/' });
    // Each on a new connection: the primary hands connections to the workers in turn.
    for (let i = 0; i < 20; i++) {
      expect((await request(`${server!.url}/api/health/live/`, { agent: false })).status).to.equal(200);
    }
    const text = await scrapeText();
    const families = parsePrometheusTextFormat(text);
    expect(
      valueOf(families, 'backoffice_http_requests_total', {
        route: '/api/health/live/',
        method: 'GET',
        status: '200',
      }) - before,
    ).to.equal(20);
    const name = 'backoffice_http_request_duration_seconds';
    const [histogram] = parsePrometheusTextFormat(
      histogramSeries(text, name, { route: '/api/health/live/', status: '200' }),
    );
    expect(histogram!.name).to.equal(name);
    expect(histogram!.type).to.equal('HISTOGRAM');
    const live = histogram!.metrics[0]!;
    expect(Number(live.count)).to.be.at.least(20);
    expect(Number(live.buckets!['+Inf'])).to.equal(Number(live.count));
    // Both workers listen for notices: the minimum over them is 1.
    expect(valueOf(families, 'backoffice_notice_listener_connected')).to.equal(1);
    // Node's default metrics are there too.
    expect(families.map((f) => f.name)).to.include.members([
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
    ]);
  });

  it('labels routes by template, never by the raw path', async () => {
    const login = await post('/api/token/', { username: 'root', password: PASSWORD });
    const { access } = JSON.parse(login.body) as { access: string };
    for (const id of [123456, 654321]) {
      await request(`${server!.url}/api/users/${id}/`, {
        agent: false,
        headers: { Authorization: `Bearer ${access}` },
      });
    }
    await request(`${server!.url}/no/such/path/987654`, { agent: false });
    const families = await scrape();
    const routes = new Set(
      families.find((f) => f.name === 'backoffice_http_requests_total')!.metrics.map((m) => m.labels!.route!),
    );
    expect(routes).to.include('/api/users/:id/');
    expect(routes).to.include('unmatched');
    expect(
      [...routes].filter((r) => /\d{6}/.test(r)),
      'no raw paths',
    ).to.deep.equal([]);
    expect(valueOf(families, 'backoffice_http_requests_total', { route: '/api/users/:id/', status: '404' })).to.equal(
      2,
    );
  });

  it('counts failed and throttled logins, rotations, reuse refusals, cache hits and misses, and uploads', async () => {
    const start = await scrape();
    const delta = (families: ParsedFamily[], name: string) => valueOf(families, name) - valueOf(start, name);

    // THROTTLE_LOGIN_PER_USER=2/m: two failures, then the third attempt is throttled.
    for (let i = 0; i < 2; i++)
      expect((await post('/api/token/', { username: 'ghost', password: 'nope' })).status).to.equal(401);
    expect((await post('/api/token/', { username: 'ghost', password: 'nope' })).status).to.equal(429);

    const login = await post('/api/token/', { username: 'root', password: PASSWORD });
    const { access, refresh } = JSON.parse(login.body) as { access: string; refresh: string };
    expect((await post('/api/token/refresh/', { refresh })).status).to.equal(200);
    expect((await post('/api/token/refresh/', { refresh })).status, 'the rotated-out token is refused').to.equal(401);
    for (let i = 0; i < 4; i++) {
      const me = await request(`${server!.url}/api/users/me/`, {
        agent: false,
        headers: { Authorization: `Bearer ${access}` },
      });
      expect(me.status).to.equal(200);
    }
    for (let i = 0; i < 4; i++) {
      const list = await request(`${server!.url}/api/users/`, {
        agent: false,
        headers: { Authorization: `Bearer ${access}` },
      });
      expect(list.status).to.equal(200);
    }

    const boundary = 'metrics-boundary';
    const content = 'hello metrics\n';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="hello.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`;
    const upload = await request(`${server!.url}/api/files/`, {
      method: 'POST',
      agent: false,
      headers: { Authorization: `Bearer ${access}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(upload.status, upload.body).to.equal(201);

    const now = await scrape();
    expect(delta(now, 'backoffice_logins_failed_total')).to.equal(2);
    expect(delta(now, 'backoffice_logins_throttled_total')).to.equal(1);
    expect(delta(now, 'backoffice_token_rotations_total')).to.equal(1);
    expect(delta(now, 'backoffice_token_reuse_refused_total')).to.equal(1);
    expect(
      valueOf(now, 'backoffice_token_reuse_refused_total', { outcome: 'within_leeway' }) -
        valueOf(start, 'backoffice_token_reuse_refused_total', { outcome: 'within_leeway' }),
      'a reuse right after the rotation is within REFRESH_REUSE_LEEWAY',
    ).to.equal(1);
    // Four lookups of one session over two workers: at most one miss per worker, the rest hits.
    expect(delta(now, 'backoffice_principal_cache_misses_total')).to.be.within(1, 2 + 1);
    expect(delta(now, 'backoffice_principal_cache_hits_total')).to.be.at.least(2);
    // The same page four times over two workers: each worker reads it once, then answers from memory.
    expect(delta(now, 'backoffice_users_page_cache_misses_total')).to.be.within(1, 2);
    expect(
      delta(now, 'backoffice_users_page_cache_hits_total') + delta(now, 'backoffice_users_page_cache_misses_total'),
    ).to.equal(4);
    expect(delta(now, 'backoffice_uploads_total')).to.equal(1);
    expect(delta(now, 'backoffice_upload_bytes_total')).to.equal(Buffer.byteLength(content));
    for (const name of [
      'backoffice_http_requests_in_flight',
      'backoffice_db_pool_used',
      'backoffice_db_pool_waiting',
    ]) {
      const family = now.find((f) => f.name === name);
      expect(family?.type, name).to.equal('GAUGE');
      expect(Number(family!.metrics[0]!.value)).to.be.at.least(0);
    }
  });

  it('labels a reuse after the leeway as revoked, and the session ends', async () => {
    const reuses = async (outcome: string) =>
      valueOf(await scrape(), 'backoffice_token_reuse_refused_total', { outcome });
    const before = await reuses('revoked');
    const login = await post('/api/token/', { username: 'root', password: PASSWORD });
    const { refresh } = JSON.parse(login.body) as { refresh: string };
    const rotated = await post('/api/token/refresh/', { refresh });
    const successor = JSON.parse(rotated.body) as { access: string; refresh: string };
    // The rotation was a minute ago, as far as the database knows: past the 5 s leeway.
    await knex!('token_blacklist_blacklistedtoken').update({
      blacklisted_at: knex!.raw("now() - interval '1 minute'"),
    });
    expect((await post('/api/token/refresh/', { refresh })).status).to.equal(401);
    expect(await reuses('revoked')).to.equal(before + 1);
    expect((await post('/api/token/refresh/', { refresh: successor.refresh })).status).to.equal(401);
  });
});
