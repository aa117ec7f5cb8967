/**
 * {@link S3Storage}: objects in a bucket of MinIO or any S3-compatible server, through the `minio`
 * client in path style.
 *
 * @module
 */
import http, { Agent as HttpAgent } from 'node:http';
import https, { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import contentDisposition from 'content-disposition';
import type { Client, S3Error } from 'minio';
import type { StorageConfig } from '../config.js';
import { isNetworkErrorCode } from '../network.js';
import {
  ObjectNotFoundError,
  ObjectTooLargeError,
  StorageUnavailableError,
  assertValidKey,
  type ObjectInfo,
  type PutOptions,
  type SignedUrlOptions,
  type Storage,
} from './storage.js';

/** What {@link S3Storage} needs: the `s3` part of the configuration, and an optional stall timeout. */
export type S3StorageOptions = Omit<Extract<StorageConfig, { kind: 's3' }>, 'kind'> & {
  /**
   * Milliseconds a request may wait for the server without any bytes moving (connecting, or in
   * the middle of a transfer) before it fails as unavailable; default {@link IDLE_TIMEOUT_MS}.
   */
  readonly idleTimeoutMs?: number;
};

/**
 * How long a request to S3 may stall before it counts as an outage: a server that accepts
 * connections but never answers (paused container, dropped packets) must give 503, not a hang.
 */
export const IDLE_TIMEOUT_MS = 15_000;

/**
 * Size of the parts of a multipart upload: the most an upload holds in memory at once. S3's
 * minimum part size is 5 MiB.
 */
export const PART_SIZE = 8 * 1024 * 1024;

/** S3 error codes that mean "no such object". */
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);

/** The `minio` clients of one store, and the class of the errors the server answers with. */
interface Clients {
  readonly client: Client;
  /** Presigns download URLs for the public host. */
  readonly signer: Client;
  readonly S3Error: typeof S3Error;
}

/**
 * An object store in an S3 bucket. The bucket stays private: downloads go through the API or
 * through presigned URLs.
 *
 * @example
 * const storage = new S3Storage({ url: 'http://minio:9000', publicUrl: 'https://files.example.com', accessKey, secretKey,
 *   bucket: 'backoffice', region: 'us-east-1', createBucket: true });
 */
export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  /**
   * The `minio` client is imported only here, by the store that uses it: a server on the local
   * folder never loads it (about 16 MiB of RSS and 6 MiB of heap per worker process).
   */
  private readonly clients: Promise<Clients>;
  private ready: Promise<void> | null = null;

  /** @param options - endpoint, credentials and bucket */
  constructor(private readonly options: S3StorageOptions) {
    this.clients = import('minio').then(({ Client, S3Error }) => {
      const client = makeClient(Client, options.url, options);
      // Presigning is computed locally: a second client that only names the public host.
      const signer = options.publicUrl === options.url ? client : makeClient(Client, options.publicUrl, options);
      return { client, signer, S3Error };
    });
    // Every operation awaits it; until one does, a failed import is not an unhandled rejection.
    this.clients.catch(() => undefined);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<{ size: number }> {
    assertValidKey(key);
    const { client } = await this.ensureBucket();
    const headers = { 'Content-Type': options.contentType };
    const parts = chunks(body, PART_SIZE, options.maxBytes);
    let uploadId: string | null = null;
    try {
      const first = await parts.next();
      const firstPart = first.done ? Buffer.alloc(0) : first.value;
      const second = first.done ? first : await parts.next();
      if (second.done) {
        // Small enough for one request.
        await this.call(() => client.putObject(this.options.bucket, key, firstPart, firstPart.length, headers));
        return { size: firstPart.length };
      }
      uploadId = await this.call(() => client.initiateNewMultipartUpload(this.options.bucket, key, headers));
      const etags: Array<{ part: number; etag: string }> = [];
      let size = 0;
      let part: IteratorResult<Buffer> = first;
      let next: IteratorResult<Buffer> = second;
      while (!part.done) {
        const payload = part.value;
        const partNumber = etags.length + 1;
        const uploaded = await this.call(() =>
          client.uploadPart(
            { bucketName: this.options.bucket, objectName: key, uploadID: uploadId!, partNumber, headers: {} },
            payload,
          ),
        );
        etags.push({ part: partNumber, etag: uploaded.etag });
        size += payload.length;
        part = next;
        next = part.done ? part : await parts.next();
      }
      await this.call(() => client.completeMultipartUpload(this.options.bucket, key, uploadId!, etags));
      return { size };
    } catch (error) {
      await parts.return(undefined);
      body.destroy();
      // Leave nothing behind: neither the parts of an unfinished upload nor a finished object.
      if (uploadId) await client.abortMultipartUpload(this.options.bucket, key, uploadId).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    assertValidKey(key);
    const { client } = await this.ensureBucket();
    return this.call(() => client.getObject(this.options.bucket, key), key);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    const { client } = await this.ensureBucket();
    try {
      const stat = await this.call(() => client.statObject(this.options.bucket, key), key);
      return { key, size: stat.size, lastModified: stat.lastModified };
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    const { client } = await this.ensureBucket();
    await this.call(() => client.removeObject(this.options.bucket, key));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const { client } = await this.ensureBucket();
    const stream = client.listObjectsV2(this.options.bucket, prefix, true);
    try {
      for await (const item of stream as AsyncIterable<{ name?: string; size: number; lastModified: Date }>) {
        if (item.name) yield { key: item.name, size: item.size, lastModified: item.lastModified };
      }
    } catch (error) {
      throw await this.classify(error);
    }
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    assertValidKey(key);
    const { signer } = await this.ensureBucket();
    return this.call(() =>
      signer.presignedGetObject(this.options.bucket, key, options.expiresIn, {
        'response-content-type': options.contentType,
        'response-content-disposition': contentDisposition(options.fileName),
      }),
    );
  }

  async check(): Promise<void> {
    this.ready = null; // a health check always asks the server
    await this.ensureBucket();
  }

  /**
   * Makes sure the bucket exists (creating it when allowed) once; a failure is not remembered, so
   * that the next call asks again and the store recovers by itself.
   *
   * @returns the clients, to make the call with
   */
  private async ensureBucket(): Promise<Clients> {
    const clients = await this.clients;
    this.ready ??= (async () => {
      const { bucket, region, createBucket } = this.options;
      if (await this.call(() => clients.client.bucketExists(bucket))) return;
      if (!createBucket)
        throw new StorageUnavailableError(`bucket "${bucket}" does not exist (MINIO_CREATE_BUCKET is off)`);
      try {
        await clients.client.makeBucket(bucket, region);
      } catch (error) {
        // Another instance created it in between.
        const code = (error as { code?: string }).code;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw await this.classify(error);
      }
    })().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    await this.ready;
    return clients;
  }

  /** Runs a client call, turning its errors into the storage errors. */
  private async call<T>(work: () => Promise<T>, key?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw await this.classify(error, key);
    }
  }

  private async classify(error: unknown, key?: string): Promise<unknown> {
    if (
      error instanceof StorageUnavailableError ||
      error instanceof ObjectTooLargeError ||
      error instanceof ObjectNotFoundError
    )
      return error;
    const code = (error as { code?: unknown } | null)?.code;
    if (key !== undefined && typeof code === 'string' && NOT_FOUND_CODES.has(code)) return new ObjectNotFoundError(key);
    const { S3Error } = await this.clients;
    if (error instanceof S3Error || isNetworkErrorCode(code)) {
      return new StorageUnavailableError(`S3 request failed: ${(error as Error).message}`, { cause: error });
    }
    return error;
  }
}

function makeClient(MinioClient: typeof Client, endpoint: string, options: S3StorageOptions): Client {
  const url = new URL(endpoint);
  const useSSL = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: 64 };
  const base = useSSL ? https : http;
  const timeout = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const transport = {
    request: ((requestOptions: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
      const req = base.request(requestOptions, callback);
      req.setTimeout(timeout, () =>
        req.destroy(Object.assign(new Error(`S3 did not answer within ${timeout} ms`), { code: 'ETIMEDOUT' })),
      );
      return req;
    }) as typeof http.request,
  };
  return new MinioClient({
    transport,
    endPoint: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    region: options.region,
    pathStyle: true,
    transportAgent: useSSL ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions),
  });
}

/**
 * Reads a stream as parts of exactly `size` bytes (the last one shorter), failing with {@link
 * ObjectTooLargeError} past `maxBytes`. Parts are filled into two buffers used in turn, so memory
 * stays at two parts however long the stream: a part must be done with before the part after the
 * next one is asked for (the upload loop holds at most the current and the next part).
 */
async function* chunks(source: Readable, size: number, maxBytes: number): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let turn = 0;
  let filled = 0;
  let total = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new ObjectTooLargeError(maxBytes);
    let offset = 0;
    while (offset < chunk.length) {
      const copied = chunk.copy(buffers[turn]!, filled, offset);
      filled += copied;
      offset += copied;
      if (filled === size) {
        yield buffers[turn]!;
        turn = 1 - turn;
        filled = 0;
      }
    }
  }
  if (filled > 0 || total === 0) yield buffers[turn]!.subarray(0, filled);
}
