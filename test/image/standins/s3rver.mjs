// Stand-in for the MinIO server and its bucket setup (minio, minio-setup in compose.yml): there is
// no MinIO binary on this machine kind. s3rver (a devDependency, mounted read-only at
// /s3rver/node_modules) serves S3 on port 9000 from /data (the minio-data volume), accepts the
// MINIO_ROOT_USER / MINIO_ROOT_PASSWORD credentials as MinIO does, and creates MINIO_BUCKET.
// Path-style only: the host name (minio) is not a bucket.
import process from 'node:process';
import S3rver from 's3rver';
import account from 's3rver/lib/models/account.js';

const { MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, MINIO_BUCKET } = process.env;
if (!MINIO_ROOT_USER || !MINIO_ROOT_PASSWORD || !MINIO_BUCKET)
  throw new Error('MINIO_ROOT_USER, MINIO_ROOT_PASSWORD and MINIO_BUCKET must be set');
account.DUMMY_ACCOUNT.createKeyPair(MINIO_ROOT_USER, MINIO_ROOT_PASSWORD);
const server = new S3rver({
  address: '0.0.0.0',
  port: 9000,
  directory: '/data',
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: MINIO_BUCKET }],
});
await server.run();
process.stdout.write(`s3rver on :9000, bucket ${MINIO_BUCKET}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
