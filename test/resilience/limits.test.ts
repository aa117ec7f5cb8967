/**
 * Slow clients and oversized requests do not exhaust the server: a slowloris client is cut off by
 * the headers timeout of src/server.ts while normal requests keep being answered; a 100 kB header
 * is 431 and a 2 MB JSON body 413, each answered without reading the excess.
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { TEST_ALLOWED_HOSTS, TEST_SECRET_KEY } from '../support/config.js';
import { scratchDir, startServer, type ServerProcess } from '../support/processes.js';
import { request } from '../ops/support.js';

/** The server's `headersTimeout` (src/server.ts). */
const HEADERS_TIMEOUT_MS = 10_000;

/** Sends the start of a request, then one more header line a second, never finishing. */
function slowloris(port: number): { closedAt: Promise<number>; stop(): void } {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write('GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  let n = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed && n < 60) socket.write(`X-Slow-${n++}: x\r\n`);
  }, 1_000);
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  void closedAt.then(() => clearInterval(timer));
  return {
    closedAt,
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

/** Writes raw bytes and reads what comes back until the server closes or `ms` pass. */
function rawExchange(port: number, data: string, ms = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(data);
  });
}

describe('resilience: slow clients and oversized requests', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let port: number;

  before(async () => {
    server = await startServer({
      DEBUG: 'false',
      COOKIE_SECURE: 'true',
      TRUST_PROXY: '1',
      ALLOWED_HOSTS: TEST_ALLOWED_HOSTS,
      SECRET_KEY: TEST_SECRET_KEY,
      DATA_DIR: path.join(scratchDir(), 'data'),
      THROTTLE_ANON: 'off',
      THROTTLE_LOGIN_PER_IP: 'off',
    });
    port = Number(new URL(server.url).port);
  });

  after(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('cuts slowloris clients off at the headers timeout while answering everyone else', async () => {
    const started = Date.now();
    const slow = Array.from({ length: 20 }, () => slowloris(port));
    try {
      const served: number[] = [];
      // Normal clients meanwhile, each on a new connection: bounded by count and time.
      for (let i = 0; i < 20 && Date.now() - started < HEADERS_TIMEOUT_MS; i++) {
        const t = Date.now();
        const res = await request(`${server.url}/api/health/`, { agent: false, timeoutMs: 5_000 });
        expect(res.status).to.equal(200);
        served.push(Date.now() - t);
        await new Promise((r) => setTimeout(r, 400));
      }
      expect(served.length).to.be.greaterThan(5);
      expect(Math.max(...served), 'slowest normal request (ms)').to.be.lessThan(5_000);

      const closed = await Promise.race([
        Promise.all(slow.map((s) => s.closedAt)),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), HEADERS_TIMEOUT_MS + 10_000)),
      ]);
      expect(closed, 'every slow client cut off').to.not.equal(null);
      const last = Math.max(...closed!) - started;
      expect(last, 'ms until the last slow client was cut off').to.be.within(
        HEADERS_TIMEOUT_MS - 1_000,
        HEADERS_TIMEOUT_MS + 4_000,
      );
    } finally {
      for (const s of slow) s.stop();
    }
  });

  it('answers a 100 kB header with 431', async () => {
    const answer = await rawExchange(
      port,
      `GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
    );
    expect(answer).to.match(/^HTTP\/1\.1 431 /);
    expect((await request(`${server.url}/api/health/`)).status, 'still serving').to.equal(200);
  });

  it('answers a 2 MB JSON body with 413 JSON', async () => {
    const body = Buffer.from(JSON.stringify({ username: 'x', password: 'y'.repeat(2 * 1024 * 1024) }));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        `${server.url}/api/token/`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      // The server may answer and close before the whole body is sent: that is the point.
      req.on('error', (error) =>
        error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error),
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end(body);
    });
    expect(answer.status).to.equal(413);
    expect(JSON.parse(answer.body)).to.have.property('detail').that.is.a('string');
    expect((await request(`${server.url}/api/health/`)).status, 'still serving').to.equal(200);
  });
});
