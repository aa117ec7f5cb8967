import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger, FLUSH_INTERVAL_MS } from '../../src/logger.js';
import { FRONTEND_ORIGIN, makeUser, PASSWORD, api, testDeps } from '../support/app.js';

describe('CORS', () => {
  it('allows credentials for a listed origin, preflight included', async () => {
    const preflight = await api()
      .options('/api/token/')
      .set('Origin', FRONTEND_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).to.be.oneOf([200, 204]);
    expect(preflight.headers['access-control-allow-origin']).to.equal(FRONTEND_ORIGIN);
    expect(preflight.headers['access-control-allow-credentials']).to.equal('true');
    const actual = await api().get('/api/health/').set('Origin', FRONTEND_ORIGIN).expect(200);
    expect(actual.headers['access-control-allow-origin']).to.equal(FRONTEND_ORIGIN);
    expect(actual.headers['access-control-allow-credentials']).to.equal('true');
    // What a script on that origin may read beyond the safelisted headers.
    expect(actual.headers['access-control-expose-headers']).to.equal(
      'Content-Disposition,Retry-After,Content-Language',
    );
  });

  it('gives any other origin no Access-Control-Allow-Origin, never *', async () => {
    for (const res of [
      await api().get('/api/health/').set('Origin', 'https://evil.example'),
      await api()
        .options('/api/token/')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST'),
    ]) {
      expect(res.headers).not.to.have.property('access-control-allow-origin');
    }
  });
});

describe('request log', () => {
  it('logs one line per request with its request id, and no password or token', async () => {
    await makeUser({ username: 'alice' });
    const lines: string[] = [];
    // The project's own logger (its redaction), writing here instead of stdout.
    const deps = {
      ...testDeps(),
      logger: createLogger({ logLevel: 'info', debug: false }, { write: (line: string) => void lines.push(line) }),
    };
    const client = supertest(createApp(deps).app.callback());
    const login = await client
      .post('/api/token/')
      .set('X-Request-Id', 'login-1')
      .send({ username: 'alice', password: PASSWORD })
      .expect(200);
    await client.get('/api/users/me/').set('Authorization', `Bearer ${login.body.access}`).expect(200);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.find((e) => e.reqId === 'login-1')).to.include({
      msg: 'request',
      method: 'POST',
      path: '/api/token/',
      status: 200,
    });
    const all = lines.join('\n');
    expect(all).not.to.include(PASSWORD);
    expect(all).not.to.include(login.body.access);
    expect(all).not.to.include(login.body.refresh);
  });

  it('redacts credentials wherever a request, response or body object carries them, at every level', async () => {
    for (const logLevel of ['trace', 'debug', 'info', 'warn', 'error'] as const) {
      const lines: string[] = [];
      const logger = createLogger({ logLevel, debug: false }, { write: (line: string) => void lines.push(line) });
      const secrets = Array.from(
        { length: 9 },
        (_, i) => `secret-${logLevel}-${i}-${Math.random().toString(36).slice(2)}`,
      );
      logger[logLevel](
        {
          req: { headers: { authorization: `Bearer ${secrets[0]}`, cookie: `access_token=${secrets[1]}` } },
          res: { headers: { 'set-cookie': `refresh_token=${secrets[2]}` } },
          body: {
            password: secrets[3],
            new_password: secrets[4],
            old_password: secrets[5],
            refresh: secrets[6],
            access: secrets[7],
            token: secrets[8],
          },
        },
        'credentials',
      );
      const all = lines.join('\n');
      expect(lines, logLevel).to.have.length(1);
      for (const secret of secrets) expect(all, logLevel).not.to.include(secret);
      expect(all.match(/\[redacted\]/g), logLevel).to.have.length(9);
    }
  });
});

describe('log output on standard output (buffered)', () => {
  /** Runs `script` with the process logger as `logger`; resolves with its stdout lines as they come. */
  function loggingProcess(script: string) {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createLogger } from './src/logger.ts';
         const logger = createLogger({ logLevel: 'info', debug: false });
         ${script}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: { at: number; msg: string }[] = [];
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const part of parts) lines.push({ at: performance.now(), msg: (JSON.parse(part) as { msg: string }).msg });
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return { child, lines, stderr: () => stderr };
  }

  it('writes a line of a quiet process within the flush interval, while it runs', async function () {
    this.timeout(30_000);
    // The line is logged, then the process idles: only the periodic flush can write it in time.
    const run = loggingProcess(
      `logger.info('one line'); process.stderr.write('logged\\n'); setTimeout(() => {}, 20_000);`,
    );
    try {
      const logged = await new Promise<number>((resolve) => {
        run.child.stderr.on('data', () => run.stderr().includes('logged') && resolve(performance.now()));
      });
      while (run.lines.length === 0 && performance.now() - logged < FLUSH_INTERVAL_MS * 4) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(run.lines.map((l) => l.msg)).to.deep.equal(['one line']);
      expect(run.lines[0]!.at - logged).to.be.below(FLUSH_INTERVAL_MS * 3);
      expect(run.child.exitCode, 'still running').to.equal(null);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('loses no line of a burst when the process exits at once', async function () {
    this.timeout(30_000);
    const run = loggingProcess(`for (let i = 0; i < 5000; i++) logger.info('line ' + i); process.exit(0);`);
    const [code] = (await once(run.child, 'close')) as [number];
    expect(code, run.stderr()).to.equal(0);
    expect(run.lines.map((l) => l.msg)).to.deep.equal(Array.from({ length: 5000 }, (_, i) => `line ${i}`));
  });
});
