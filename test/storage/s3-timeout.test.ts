import { expect } from 'chai';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { S3Storage } from '../../src/storage/s3.js';
import { StorageUnavailableError } from '../../src/storage/storage.js';

describe('S3 store: a server that accepts but never answers', () => {
  let hole: net.Server;
  const sockets = new Set<net.Socket>();

  before(async () => {
    hole = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hole.close(resolve));
  });

  it('fails as unavailable after the idle timeout instead of hanging', async () => {
    const url = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    const storage = new S3Storage({
      url,
      publicUrl: url,
      accessKey: 'a',
      secretKey: 'b',
      bucket: 'backoffice',
      region: 'us-east-1',
      createBucket: true,
      idleTimeoutMs: 300,
    });
    const started = Date.now();
    const error = await storage.check().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StorageUnavailableError);
    expect(Date.now() - started).to.be.below(5_000);
  });
});
