// MinIO of the production rehearsal: s3rver on :9000 with TLS, its data in a folder, accepting
// MINIO_ROOT_USER/MINIO_ROOT_PASSWORD from its environment as MinIO does; path-style buckets only
// (MinIO without MINIO_DOMAIN).
// Arguments: data folder, certificate chain, private key.
import fs from 'node:fs';
import process from 'node:process';
import S3rver from 's3rver';
import account from 's3rver/lib/models/account.js';

const [directory, cert, key] = process.argv.slice(2);
account.DUMMY_ACCOUNT.createKeyPair(process.env.MINIO_ROOT_USER, process.env.MINIO_ROOT_PASSWORD);
const server = new S3rver({
  address: '0.0.0.0',
  port: 9000,
  directory,
  silent: true,
  vhostBuckets: false,
  cert: fs.readFileSync(cert),
  key: fs.readFileSync(key),
});
await server.run();
process.stdout.write('s3 ready\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
