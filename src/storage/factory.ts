/**
 * The one place that picks the object store from configuration.
 *
 * @module
 */
import type { Config } from '../config.js';
import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';
import { mediaSigningKey } from './signed-urls.js';
import type { Storage } from './storage.js';

/**
 * Builds the configured object store: S3 (MinIO) when `MINIO_SERVER_URL` is set, the local folder
 * otherwise. Opens no connection: the store is reached on first use, so the server starts (and
 * serves everything but files) while the store is down.
 *
 * @param config - the validated configuration
 * @returns the store
 * @example
 * const storage = createStorage(config);
 */
export function createStorage(config: Pick<Config, 'storage' | 'secretKey'>): Storage {
  const { storage } = config;
  if (storage.kind === 's3') return new S3Storage(storage);
  return new LocalStorage(storage.root, mediaSigningKey(config.secretKey));
}
