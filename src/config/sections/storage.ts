/**
 * The storage section: uploaded files in a local folder, or in MinIO or any S3 endpoint.
 *
 * @module
 */
import path from 'node:path';
import { bool, duration, int, optionalText, section, text, url } from '../declare.js';

/** Where uploaded files live. */
export type StorageConfig =
  | {
      /** A folder on this machine (`MEDIA_ROOT`, default `DATA_DIR/media`). */
      readonly kind: 'local';
      readonly root: string;
    }
  | {
      readonly kind: 's3';
      /** Full URL of the S3 endpoint, e.g. `http://minio:9000`. */
      readonly url: string;
      /** `MINIO_PUBLIC_URL`: the endpoint presigned URLs name, as browsers reach it; `url` when unset. */
      readonly publicUrl: string;
      readonly accessKey: string;
      readonly secretKey: string;
      readonly bucket: string;
      /** `MINIO_REGION`: the region requests are signed for (MinIO's default `us-east-1`). */
      readonly region: string;
      /** `MINIO_CREATE_BUCKET`: create the bucket (private) on first use when it is missing. */
      readonly createBucket: boolean;
    };

/** Storage's variables and the part of the configuration they make. */
export const STORAGE = section(
  'storage',
  {
    MINIO_SERVER_URL: url(['http', 'https']).means('MinIO or any S3 endpoint, `http://minio:9000` or `https://…`.'),
    MINIO_ROOT_USER: optionalText().means('Access key; required with `MINIO_SERVER_URL`.'),
    MINIO_ROOT_PASSWORD: optionalText().means('Secret key; required with `MINIO_SERVER_URL`. Change it in `prod.env`.'),
    MINIO_BUCKET: text('backoffice').means('The (private) bucket; `minio-setup` creates it.'),
    MINIO_PUBLIC_URL: url(['http', 'https'])
      .shownAs('`MINIO_SERVER_URL`')
      .means(
        'The endpoint presigned URLs name, as browsers reach it (`https://files.example.com:9000`), when the app reaches MinIO by an internal name.',
      ),
    MINIO_REGION: text('us-east-1').means("The region requests are signed for (MinIO's default)."),
    MINIO_CREATE_BUCKET: bool(true).means(
      'Create the bucket (private) on first use when it is missing; `false` when the bucket is provisioned elsewhere and the credentials may not create one.',
    ),
    MEDIA_ROOT: optionalText()
      .shownAs('`DATA_DIR/media`')
      .means('The folder of uploads when `MINIO_SERVER_URL` is unset (embedded mode).'),
    // S3 refuses presigned URLs valid for longer than a week.
    FILE_URL_LIFETIME: duration('5m', { max: '7d' }).means(
      'How long the `url` of a file (presigned S3 URL or signed app URL) stays valid.',
    ),
    UPLOAD_MAX_BYTES: int(50 * 1024 * 1024, 1)
      .shownAs('`52428800` (50 MiB)')
      .means("Largest accepted upload; larger is 413. Keep nginx's `client_max_body_size` in step."),
  },
  (e, { dataDir, fail }) => {
    let storage: StorageConfig = {
      kind: 'local',
      root: e.MEDIA_ROOT ? path.resolve(e.MEDIA_ROOT) : path.join(dataDir, 'media'),
    };
    if (e.MINIO_SERVER_URL) {
      // S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens.
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(e.MINIO_BUCKET))
        fail('MINIO_BUCKET', `is not a valid bucket name: "${e.MINIO_BUCKET}"`);
      storage = {
        kind: 's3',
        url: e.MINIO_SERVER_URL,
        publicUrl: e.MINIO_PUBLIC_URL ?? e.MINIO_SERVER_URL,
        accessKey: e.MINIO_ROOT_USER ?? fail('MINIO_ROOT_USER', 'is required when MINIO_SERVER_URL is set'),
        secretKey: e.MINIO_ROOT_PASSWORD ?? fail('MINIO_ROOT_PASSWORD', 'is required when MINIO_SERVER_URL is set'),
        bucket: e.MINIO_BUCKET,
        region: e.MINIO_REGION,
        createBucket: e.MINIO_CREATE_BUCKET,
      };
    }
    return {
      /** `MINIO_*`; the local folder `MEDIA_ROOT` (default `DATA_DIR/media`) when `MINIO_SERVER_URL` is unset. */
      storage,
      /** `FILE_URL_LIFETIME`: how long the `url` of a file (presigned or signed) stays valid, in seconds. */
      fileUrlLifetime: e.FILE_URL_LIFETIME,
      /** `UPLOAD_MAX_BYTES`: the largest accepted upload. */
      uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    } as const;
  },
);
