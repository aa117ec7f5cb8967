/**
 * Running the real entry points (CLI, server) as child processes, in a scratch folder with no
 * `.env`, so that only the variables a test passes apply.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** A new empty folder under the system's temp folder. */
export function scratchDir(prefix = 'backoffice-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The environment of a child: PATH and HOME from this process, the rest from the test. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env };
}

/** The result of a finished command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `src/cli.ts` with arguments and waits for it.
 *
 * @param options.cwd - the working folder (a scratch one by default, so no `.env` is read)
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      TSX,
      [path.join(ROOT, 'src/cli.ts'), ...args],
      { cwd: options.cwd ?? scratchDir(), env: childEnv(env), timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A server process started by {@link startServer}. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything written so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `src/server.ts` and waits until it answers `/api/health/`.
 *
 * @throws Error with the process output when it exits or does not answer within the timeout
 */
export async function startServer(
  env: Record<string, string>,
  options: { cwd?: string; waitForHealth?: boolean } = {},
): Promise<ServerProcess> {
  const port = env.PORT ?? String(await freePort());
  const child = spawn(TSX, [path.join(ROOT, 'src/server.ts')], {
    cwd: options.cwd ?? scratchDir(),
    env: childEnv({ HOST: '127.0.0.1', ...env, PORT: port }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: ServerProcess = { child, url: `http://127.0.0.1:${port}`, output: () => ({ stdout, stderr }), exited };
  if (options.waitForHealth === false) return server;

  const deadline = Date.now() + 60_000;
  let ended = false;
  void exited.then(() => (ended = true));
  while (Date.now() < deadline && !ended) {
    try {
      const res = await fetch(`${server.url}/api/health/`);
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become healthy\nstdout: ${stdout}\nstderr: ${stderr}`);
}
