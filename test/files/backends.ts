/**
 * The two object stores the files suite runs against: the local folder in a temporary directory,
 * and S3 through a real `s3rver` started on a free loopback port. Each can be taken down and
 * brought back, to test outages.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage } from '../../src/storage/factory.js';
import type { Storage } from '../../src/storage/storage.js';
import { testConfig } from '../support/config.js';

const S3RVER_MAIN = fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url));

/** An object store under test. */
export interface Backend {
  readonly name: 'local' | 's3';
  /** Starts the store (once per suite). */
  setUp(): Promise<void>;
  /** Stops it for good and removes its files. */
  tearDown(): Promise<void>;
  /** The configuration variables that select this store. */
  env(): Record<string, string>;
  /** Makes the store unreachable, as an outage would. */
  takeDown(): Promise<void>;
  /** Ends the outage. */
  bringBack(): Promise<void>;
}

/** A storage client of the backend, built exactly as the app builds its own. */
export function storageOf(backend: Backend, env: Record<string, string> = {}): Storage {
  return createStorage(testConfig({ ...backend.env(), ...env }));
}

/** Every key the store holds under a prefix. */
export async function keysIn(storage: Storage, prefix = 'files/'): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list(prefix)) keys.push(object.key);
  return keys.sort();
}

/** The local folder in a temporary directory; an outage renames the folder away (an unmounted volume). */
export function localBackend(): Backend {
  let root = '';
  return {
    name: 'local',
    async setUp() {
      root = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'backoffice-files-')), 'media');
    },
    async tearDown() {
      await fs.rm(path.dirname(root), { recursive: true, force: true });
    },
    env: () => ({ MEDIA_ROOT: root, MINIO_SERVER_URL: '' }),
    async takeDown() {
      await fs.mkdir(root, { recursive: true });
      await fs.rename(root, `${root}.unmounted`);
    },
    async bringBack() {
      await fs.rename(`${root}.unmounted`, root);
    },
  };
}

/**
 * A real S3 server (`s3rver`) on a free loopback port, in a child process; an outage kills it,
 * recovery starts it again on the same port and data.
 */
export function s3Backend(): Backend {
  let directory = '';
  let port = 0;
  let child: ChildProcess | null = null;
  const bucket = `test-${randomBytes(4).toString('hex')}`;

  const start = async () => {
    if (child) return;
    const started = fork(S3RVER_MAIN, [String(port), directory], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child = started;
    port = await new Promise<number>((resolve, reject) => {
      started.once('message', (message: { port: number }) => resolve(message.port));
      started.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    });
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  return {
    name: 's3',
    async setUp() {
      directory = await fs.mkdtemp(path.join(os.tmpdir(), 'backoffice-s3rver-'));
      await start();
    },
    async tearDown() {
      await stop();
      await fs.rm(directory, { recursive: true, force: true });
    },
    env: () => ({
      MINIO_SERVER_URL: `http://127.0.0.1:${port}`,
      MINIO_ROOT_USER: 'S3RVER',
      MINIO_ROOT_PASSWORD: 'S3RVER',
      MINIO_BUCKET: bucket,
    }),
    takeDown: stop,
    bringBack: start,
  };
}

/** Both stores: the suite runs once against each. */
export const BACKENDS: ReadonlyArray<() => Backend> = [localBackend, s3Backend];
