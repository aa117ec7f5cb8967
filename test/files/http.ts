/**
 * The app on a real loopback port (signed URLs name the host the client used, so they can be
 * fetched as they are), and a multipart body built by hand so that uploads can be streamed.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { testDeps } from '../support/app.js';

/** A listening app. */
export interface RunningApp {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** A supertest client of it. */
  client(): supertest.Agent;
  close(): Promise<void>;
}

const running = new Set<Server>();

/**
 * Starts the app with configuration overrides on a free loopback port; {@link closeApps} stops it.
 *
 * @example
 * const app = await startApp({ UPLOAD_MAX_BYTES: '1000' });
 */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const { app } = createApp(testDeps(env));
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.add(server);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    client: () => supertest.agent(origin),
    close: () => closeServer(server),
  };
}

async function closeServer(server: Server): Promise<void> {
  running.delete(server);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Stops every app {@link startApp} started. */
export async function closeApps(): Promise<void> {
  await Promise.all([...running].map(closeServer));
}

/**
 * Sends a `multipart/form-data` upload whose file content comes from a stream, without a
 * `Content-Length` (chunked), as a large browser upload would stream.
 *
 * @returns the status and parsed JSON body of the answer
 */
export async function streamUpload(
  origin: string,
  authorization: string,
  file: { name: string; content: AsyncIterable<Buffer> | Iterable<Buffer> },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const boundary = `----backoffice${Date.now()}`;
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    for await (const chunk of file.content) yield chunk;
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `${origin}/api/files/`,
      {
        method: 'POST',
        headers: { Authorization: authorization, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer (413) before the body is sent; the rest of the body then goes nowhere.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    Readable.from(body()).pipe(req);
  });
}

/**
 * Generates `total` bytes in chunks of `chunkSize`, all views of one buffer: the generator itself
 * allocates nothing per chunk, so memory measured during the upload is the server's.
 */
export function* generatedBytes(total: number, chunkSize = 64 * 1024): Generator<Buffer> {
  const block = Buffer.alloc(chunkSize, 'backoffice-');
  for (let sent = 0; sent < total; sent += chunkSize) yield block.subarray(0, Math.min(chunkSize, total - sent));
}
