/**
 * {@link LocalStorage}: objects as files in a folder (the embedded mode's `DATA_DIR/media`).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { signMediaUrl, verifyMediaUrl, type MediaGrant } from './signed-urls.js';
import {
  ObjectNotFoundError,
  StorageUnavailableError,
  assertValidKey,
  byteLimit,
  type ObjectInfo,
  type PutOptions,
  type SignedUrlOptions,
  type Storage,
} from './storage.js';

/** Where uploads are written before they are renamed into place; never listed, never served. */
const TEMP_DIR = '.tmp';

/** Errors that mean the folder itself is unusable (missing volume, read-only, full disk, I/O). */
const UNAVAILABLE_CODES = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EIO',
  'EDQUOT',
  'ENOTDIR',
  'EMFILE',
  'ENFILE',
]);

/**
 * An object store in a folder. Writes go to a temporary file renamed into place, so an object is
 * whole or absent; downloads without credentials go through HMAC-signed app URLs
 * ({@link "storage/signed-urls"}).
 *
 * The folder is created on first use; if it disappears later (an unmounted volume), the store
 * reports itself unavailable instead of silently starting an empty one, and recovers when the
 * folder is back.
 *
 * @example
 * const storage = new LocalStorage('/srv/backoffice/data/media', mediaSigningKey(config.secretKey));
 */
export class LocalStorage implements Storage {
  readonly kind = 'local' as const;
  private created = false;

  /**
   * @param root - the folder holding the objects
   * @param signingKey - the key of signed URLs, from {@link "storage/signed-urls".mediaSigningKey}
   */
  constructor(
    readonly root: string,
    private readonly signingKey: Buffer,
  ) {}

  async put(key: string, body: Readable, options: PutOptions): Promise<{ size: number }> {
    const target = this.pathOf(key);
    await this.ready();
    const temp = path.join(this.root, TEMP_DIR, randomUUID());
    const counter = byteLimit(options.maxBytes);
    try {
      await this.io(() => fs.mkdir(path.dirname(temp), { recursive: true }));
      await this.io(() => pipeline(body, counter, createWriteStream(temp, { flags: 'wx' })));
      await this.io(() => fs.mkdir(path.dirname(target), { recursive: true }));
      await this.io(() => fs.rename(temp, target));
      return { size: counter.bytes };
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    await this.ready();
    try {
      const handle = await fs.open(file, 'r');
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw this.classify(error);
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const file = this.pathOf(key);
    await this.ready();
    try {
      const stat = await fs.stat(file);
      return stat.isFile() ? { key, size: stat.size, lastModified: stat.mtime } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.classify(error);
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    await this.ready();
    await this.io(() => fs.rm(file, { force: true }));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    await this.ready();
    // Walk only the folder that holds the prefix; keys use `/` whatever the platform.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = path.join(this.root, ...base.split('/').filter(Boolean));
    let entries;
    try {
      entries = await fs.readdir(start, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.classify(error);
    }
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const key = path.relative(this.root, full).split(path.sep).join('/');
      if (key.startsWith(`${TEMP_DIR}/`) || !key.startsWith(prefix)) continue;
      const stat = await fs.stat(full).catch(() => null);
      if (stat) yield { key, size: stat.size, lastModified: stat.mtime };
    }
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    assertValidKey(key);
    const grant: MediaGrant = {
      key,
      expires: Math.floor(Date.now() / 1000) + options.expiresIn,
      fileName: options.fileName,
      contentType: options.contentType,
    };
    return signMediaUrl(this.signingKey, options.origin, grant);
  }

  async check(): Promise<void> {
    await this.ready();
  }

  /**
   * Opens the object a signed URL names, for the media route.
   *
   * @param key - the key from the URL's path
   * @param query - the URL's query
   * @returns the grant and the object's content, or `null` when the URL is forged, altered or expired
   * @throws {@link ObjectNotFoundError} when the object is gone
   */
  async openSigned(key: string, query: Record<string, unknown>): Promise<{ grant: MediaGrant; body: Readable } | null> {
    const grant = verifyMediaUrl(this.signingKey, key, query);
    if (!grant) return null;
    return { grant, body: await this.get(key) };
  }

  /** Creates the folder on first use, then insists that it exists and is writable. */
  private async ready(): Promise<void> {
    if (!this.created) {
      await this.io(() => fs.mkdir(this.root, { recursive: true }));
      this.created = true;
    }
    try {
      const stat = await fs.stat(this.root);
      if (!stat.isDirectory()) throw new StorageUnavailableError(`${this.root} is not a folder`);
      await fs.access(this.root, fs.constants.W_OK);
    } catch (error) {
      if (error instanceof StorageUnavailableError) throw error;
      throw new StorageUnavailableError(`media folder ${this.root} is not usable: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  private async io<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.classify(error);
    }
  }

  private classify(error: unknown): unknown {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code === 'ENOENT')) {
      return new StorageUnavailableError(`media folder ${this.root}: ${(error as Error).message}`, { cause: error });
    }
    return error;
  }
}
