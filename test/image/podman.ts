/**
 * A Compose driver on podman for the image check (`npm run test:image`): it reads the compose
 * files through the Compose model of `test/support/compose.ts` (merge with `!override`, the
 * environment by Compose's precedence) and starts each service with `podman run`, so what is
 * tested is what `compose.yml` and `_compose.override.yml` say.
 *
 * Debian's `podman-compose` (1.0.3) cannot do it: it refuses `!override` (a YAML error on the
 * production override), turns a `CMD` healthcheck into a broken `/bin/sh -c` line, ignores
 * `depends_on` conditions and `stop_grace_period`, and has no `config`.
 *
 * What this driver interprets, per service: `image`; `build` (`context`, `target`; built with
 * `--network host` and the stand-in Node image as `NODE_IMAGE`); `env_file` + `environment` (as the
 * model computes them, passed as `--env`); `volumes` (named volumes `<project>_<name>`, project
 * paths bound from the project folder — created when missing, as Docker does —, an absolute host
 * path only through {@link StackOptions.hostPaths}); `ports` (the container port and the host
 * address as written; the host port is a free one, since other suites hold the usual ones, and an
 * address-less entry binds 127.0.0.1, the only address this machine lets traffic reach);
 * `healthcheck` (`test`, `interval`, `timeout`, `retries`, `start_period`: podman runs health
 * checks from systemd timers, which this machine has not, so {@link Stack.waitHealthy} runs
 * `podman healthcheck run` itself); `depends_on` (start order; `service_healthy` waits for health,
 * `service_completed_successfully` for exit 0); `init`; `stop_grace_period`; `restart`;
 * `entrypoint`, `command` (list forms); one network `<project>_default` with each service's name
 * as its alias. Not interpreted: `logging` (podman keeps the logs its own way).
 *
 * Stand-ins: a service whose image is `minio/minio` runs `standins/s3rver.mjs` (s3rver, with the
 * service's MINIO_ROOT_USER / MINIO_ROOT_PASSWORD and the bucket MINIO_BUCKET) on the Node base
 * image, with the service's name, environment and volumes; a `minio/mc` setup service counts as
 * completed once that server is healthy (it has created the bucket). `postgres` and `nginx`
 * images resolve to the stand-ins `base-images.sh` builds under the same names.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  loadCompose,
  serviceEnvironment,
  type ComposeFile,
  type ComposeService,
  type Json,
} from '../support/compose.js';

const execFileAsync = promisify(execFile);

/** This folder: the stand-ins, containers.conf, node-version. */
export const IMAGE_TEST_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The repository checked. */
export const REPO_ROOT = path.resolve(IMAGE_TEST_DIR, '..', '..');

/** The Node.js version of the image's base (`test/image/node-version`). */
export const NODE_VERSION = fs.readFileSync(path.join(IMAGE_TEST_DIR, 'node-version'), 'utf8').trim();

/** The stand-in of the official Node image the Dockerfile builds from (made by base-images.sh). */
export const NODE_IMAGE = `localhost/node:${NODE_VERSION.split('.')[0]}-bookworm-slim`;

const PODMAN_ENV = {
  ...process.env,
  CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? path.join(IMAGE_TEST_DIR, 'containers.conf'),
};

/** The outcome of a podman command that may fail. */
export interface PodmanResult {
  /** The exit status. */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/**
 * Runs podman with this folder's containers.conf (unless CONTAINERS_CONF says otherwise).
 *
 * @param args - podman's arguments
 * @param timeoutMs - killed after this long
 * @returns the exit status and output; a failure is a result, not an exception
 */
export async function tryPodman(args: readonly string[], timeoutMs = 600_000): Promise<PodmanResult> {
  try {
    const { stdout, stderr } = await execFileAsync('podman', args, {
      env: PODMAN_ENV,
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
    };
  }
}

/**
 * Runs podman and returns its standard output.
 *
 * @param args - podman's arguments
 * @param timeoutMs - killed after this long
 * @throws Error with podman's standard error when it exits non-zero
 */
export async function podman(args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await tryPodman(args, timeoutMs);
  if (result.code !== 0)
    throw new Error(
      `podman ${args.slice(0, 3).join(' ')} … exited ${result.code}: ${result.stderr.trim().slice(-2000)}`,
    );
  return result.stdout;
}

/** Options of a {@link Stack}. */
export interface StackOptions {
  /** The project folder: compose files, env files and project paths of volumes are relative to it. */
  dir: string;
  /** The compose files in order, e.g. `['compose.yml', '_compose.override.yml']`. */
  files: readonly string[];
  /** The project name: prefix of containers, volumes and the network. */
  project: string;
  /** Absolute host paths of volumes (e.g. `/etc/letsencrypt`) and the folder to bind instead. */
  hostPaths?: Readonly<Record<string, string>>;
}

/** Compose's durations (`15s`, `1m30s`, `500ms`) in seconds. */
export function seconds(duration: Json | undefined, fallback: number): number {
  if (duration === undefined || duration === null) return fallback;
  if (typeof duration === 'number') return duration;
  let total = 0;
  const text = String(duration);
  const parts = text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g);
  let matched = '';
  for (const [whole, value, unit] of parts) {
    matched += whole;
    total += Number(value) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  if (matched !== text) throw new Error(`not a Compose duration: ${text}`);
  return total;
}

const dependencies = (service: ComposeService): Record<string, string> => {
  const dependsOn = service.depends_on as Json;
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [String(name), 'service_started']));
  if (!dependsOn || typeof dependsOn !== 'object') return {};
  return Object.fromEntries(
    Object.entries(dependsOn).map(([name, spec]) => [
      name,
      String((spec as Record<string, Json>).condition ?? 'service_started'),
    ]),
  );
};

const isStorageServer = (service: ComposeService) => /^(docker\.io\/)?minio\/minio(:|$)/.test(service.image ?? '');
const isStorageSetup = (service: ComposeService) => /^(docker\.io\/)?minio\/mc(:|$)/.test(service.image ?? '');

/**
 * A `healthcheck.test` as podman 4.3's `--health-cmd` takes it: one shell line (podman splits a
 * `CMD` array at spaces, breaking arguments that hold one), so each argument of a `CMD` form is
 * quoted for /bin/sh; a `CMD-SHELL` line is passed as it is.
 */
export function healthCommand(test: Json): string {
  if (typeof test === 'string') return test;
  if (!Array.isArray(test) || test.length < 2)
    throw new Error(`healthcheck.test ${JSON.stringify(test)}: not interpreted`);
  const [form, ...rest] = test.map(String);
  if (form === 'CMD-SHELL') return rest.join(' ');
  if (form === 'CMD') return rest.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  throw new Error(`healthcheck.test form ${form}: not interpreted`);
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The services of compose files, run by podman (see the module's description). */
export class Stack {
  /** The merged Compose model. */
  readonly model: ComposeFile;

  /** @param options - the project folder, files and name */
  constructor(readonly options: StackOptions) {
    this.model = loadCompose(options.files, { dir: options.dir });
  }

  /** The network all services join. */
  get network(): string {
    return `${this.options.project}_default`;
  }

  /** A service's definition in the merged model. */
  service(name: string): ComposeService {
    const service = this.model.services[name];
    if (!service) throw new Error(`no service "${name}" in ${this.options.files.join(' + ')}`);
    return service;
  }

  /** A service's container (Compose's `<project>-<service>-1`). */
  container(name: string): string {
    return `${this.options.project}-${name}-1`;
  }

  /** A named volume of the project. */
  volume(name: string): string {
    return `${this.options.project}_${name}`;
  }

  /**
   * Builds a service's image from its `build:` (context and target) under its `image:` name.
   *
   * @returns the build's seconds
   */
  async build(name: string): Promise<number> {
    const service = this.service(name);
    const build = service.build as Record<string, Json> | undefined;
    if (!build || !service.image) throw new Error(`service ${name} has no build and image`);
    const context = path.resolve(this.options.dir, String(build.context ?? '.'));
    // Docker's image format: the OCI one has no HEALTHCHECK (podman would drop the Dockerfile's).
    const args = [
      'build',
      '--format',
      'docker',
      '--network',
      'host',
      '--build-arg',
      `NODE_IMAGE=${NODE_IMAGE}`,
      '-t',
      service.image,
    ];
    if (build.target) args.push('--target', String(build.target));
    if (build.dockerfile) args.push('-f', path.resolve(context, String(build.dockerfile)));
    const started = performance.now();
    await podman([...args, context], 1_200_000);
    return Math.round((performance.now() - started) / 1000);
  }

  /** The services in start order: each after the ones it depends on. */
  startOrder(names: readonly string[] = Object.keys(this.model.services)): string[] {
    const order: string[] = [];
    const visit = (name: string, trail: string[]) => {
      if (order.includes(name)) return;
      if (trail.includes(name)) throw new Error(`depends_on cycle: ${[...trail, name].join(' → ')}`);
      for (const dependency of Object.keys(dependencies(this.service(name)))) visit(dependency, [...trail, name]);
      order.push(name);
    };
    for (const name of names) visit(name, []);
    return order;
  }

  /** `podman run` options (without `-d`, `--name`, `--publish`), image and command of a service. */
  runArgs(name: string): { options: string[]; image: string; command: string[] } {
    const service = this.service(name);
    const env = serviceEnvironment(this.model, name, { dir: this.options.dir });
    const args = [
      '--network',
      this.network,
      '--network-alias',
      name,
      '--label',
      `com.docker.compose.project=${this.options.project}`,
      '--label',
      `com.docker.compose.service=${name}`,
    ];
    for (const [key, value] of Object.entries(env)) args.push('--env', `${key}=${value}`);
    for (const entry of service.volumes ?? []) args.push('--volume', this.volumeArg(entry));
    if (service.init === true) args.push('--init');
    if (service.stop_grace_period !== undefined)
      args.push('--stop-timeout', String(Math.ceil(seconds(service.stop_grace_period, 10))));
    if (service.restart !== undefined) args.push('--restart', String(service.restart));
    if (isStorageServer(service)) {
      args.push(
        '--volume',
        `${path.join(REPO_ROOT, 'node_modules')}:/s3rver/node_modules:ro`,
        '--volume',
        `${path.join(IMAGE_TEST_DIR, 'standins', 's3rver.mjs')}:/s3rver/s3rver.mjs:ro`,
        '--health-cmd',
        healthCommand([
          'CMD',
          'node',
          '-e',
          "require('net').connect(9000, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))",
        ]),
        '--health-interval',
        '5s',
        '--health-retries',
        '10',
      );
      return { options: args, image: NODE_IMAGE, command: ['node', '/s3rver/s3rver.mjs'] };
    }
    const health = service.healthcheck as Record<string, Json> | undefined;
    if (health?.test) {
      args.push('--health-cmd', healthCommand(health.test));
      for (const [key, flag] of [
        ['interval', '--health-interval'],
        ['timeout', '--health-timeout'],
        ['start_period', '--health-start-period'],
      ] as const) {
        if (health[key] !== undefined) args.push(flag, `${seconds(health[key], 0)}s`);
      }
      if (health.retries !== undefined) args.push('--health-retries', String(health.retries));
    }
    const list = (value: Json | undefined, key: string): string[] | undefined => {
      if (value === undefined) return undefined;
      if (!Array.isArray(value)) throw new Error(`service ${name}: only the list form of ${key} is interpreted`);
      return value.map(String);
    };
    const entrypoint = list(service.entrypoint, 'entrypoint');
    if (entrypoint) args.push('--entrypoint', JSON.stringify(entrypoint));
    if (!service.image) throw new Error(`service ${name} has no image`);
    return { options: args, image: service.image, command: list(service.command, 'command') ?? [] };
  }

  /** A `volumes:` entry as podman's `--volume` (see the module's description). */
  private volumeArg(entry: string): string {
    const [source = '', target, mode] = entry.split(':');
    if (!target) throw new Error(`volume "${entry}": only SOURCE:TARGET[:MODE] is interpreted`);
    let host: string;
    if (source.startsWith('.')) {
      host = path.resolve(this.options.dir, source);
      if (!fs.existsSync(host)) fs.mkdirSync(host, { recursive: true });
    } else if (source.startsWith('/')) {
      const mapped = this.options.hostPaths?.[source];
      if (!mapped) throw new Error(`volume "${entry}": host path ${source} has no stand-in (StackOptions.hostPaths)`);
      host = mapped;
    } else {
      host = this.volume(source);
    }
    return [host, target, ...(mode ? [mode] : [])].join(':');
  }

  /** The host port (on its address) a service's container port is published on. */
  async port(name: string, containerPort: number): Promise<{ host: string; port: number }> {
    const out = (await podman(['port', this.container(name), `${containerPort}/tcp`])).trim().split('\n')[0] ?? '';
    const at = out.lastIndexOf(':');
    return { host: out.slice(0, at), port: Number(out.slice(at + 1)) };
  }

  /** The `ports:` of a service as podman `--publish` arguments (see the module's description). */
  private async publishArgs(name: string): Promise<string[]> {
    const args: string[] = [];
    for (const entry of this.service(name).ports ?? []) {
      const parts = String(entry).split(':');
      const containerPort = parts.pop()!;
      const address = parts.length === 2 ? parts[0]! : '127.0.0.1';
      args.push('--publish', `${address}:${await freePort()}:${containerPort}`);
    }
    return args;
  }

  /** Starts one service's container (its dependencies must be up). */
  async start(name: string): Promise<void> {
    await tryPodman(['rm', '--force', '--time', '0', this.container(name)]);
    const { options, image, command } = this.runArgs(name);
    await podman([
      'run',
      '--detach',
      '--name',
      this.container(name),
      ...(await this.publishArgs(name)),
      ...options,
      image,
      ...command,
    ]);
  }

  /**
   * Brings services up as `docker compose up -d` does: network and volumes, then each service after
   * its dependencies, waiting for each `depends_on` condition.
   *
   * @param names - the services wanted (their dependencies come along); all by default
   */
  async up(names?: readonly string[]): Promise<void> {
    const created = await tryPodman(['network', 'create', this.network]);
    if (created.code !== 0 && !/already exists/.test(created.stderr))
      throw new Error(`podman network create ${this.network}: ${created.stderr}`);
    for (const volume of Object.keys(this.model.volumes ?? {})) {
      if ((await tryPodman(['volume', 'exists', this.volume(volume)])).code !== 0)
        await podman(['volume', 'create', this.volume(volume)]);
    }
    for (const name of this.startOrder(names)) {
      for (const [dependency, condition] of Object.entries(dependencies(this.service(name)))) {
        if (condition === 'service_healthy') await this.waitHealthy(dependency);
        if (condition === 'service_completed_successfully') await this.waitCompleted(dependency);
      }
      if (isStorageSetup(this.service(name))) continue;
      await this.start(name);
    }
  }

  /** Waits until a service's health check passes; fails after its start period and retries. */
  async waitHealthy(name: string): Promise<void> {
    const health = (this.service(name).healthcheck ?? {}) as Record<string, Json>;
    const limitMs =
      (seconds(health.start_period, 0) + seconds(health.interval, 30) * Number(health.retries ?? 3)) * 1000 + 30_000;
    const deadline = Date.now() + limitMs;
    let last: PodmanResult | undefined;
    while (Date.now() < deadline) {
      last = await tryPodman(['healthcheck', 'run', this.container(name)], 60_000);
      if (last.code === 0) return;
      const state = (await tryPodman(['inspect', '--format', '{{.State.Status}}', this.container(name)])).stdout.trim();
      if (state === 'exited') break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const logs = await tryPodman(['logs', '--tail', '40', this.container(name)]);
    throw new Error(
      `${name} is not healthy (${last?.stdout.trim()} ${last?.stderr.trim()}); its log:\n${logs.stdout}${logs.stderr}`,
    );
  }

  /** Waits until a service's container exits 0 (a one-off job); a stand-in setup is done with its server. */
  private async waitCompleted(name: string): Promise<void> {
    const service = this.service(name);
    if (isStorageSetup(service)) {
      const server = Object.keys(dependencies(service)).find((dependency) => isStorageServer(this.service(dependency)));
      if (!server) throw new Error(`${name}: no storage server to stand in for it`);
      return this.waitHealthy(server);
    }
    const code = (await podman(['wait', this.container(name)])).trim();
    if (code !== '0') throw new Error(`${name} exited ${code}`);
  }

  /**
   * Runs a command in a service's running container (`docker compose exec -T`).
   *
   * @param env - extra variables for the command (`--env`)
   */
  exec(name: string, command: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<PodmanResult> {
    const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
    return tryPodman(['exec', ...envArgs, this.container(name), ...command]);
  }

  /** Runs a command in a new container of a service (`docker compose run --rm --no-deps`). */
  run(name: string, command: readonly string[]): Promise<PodmanResult> {
    const { options, image } = this.runArgs(name);
    const at = options.indexOf('--restart');
    if (at >= 0) options.splice(at, 2);
    return tryPodman(['run', '--rm', ...options, image, ...command]);
  }

  /** Stops and removes the containers and the network (`docker compose down`); volumes stay unless asked. */
  async down(options: { volumes?: boolean } = {}): Promise<void> {
    const ids = (
      await podman(['ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${this.options.project}`])
    )
      .split('\n')
      .filter(Boolean);
    for (const id of ids) {
      const name = (
        await tryPodman(['inspect', '--format', '{{index .Config.Labels "com.docker.compose.service"}}', id])
      ).stdout.trim();
      const grace = Math.ceil(seconds(this.model.services[name]?.stop_grace_period, 10));
      await tryPodman(['rm', '--force', '--time', String(grace), id]);
    }
    await tryPodman(['network', 'rm', '--force', this.network]);
    if (options.volumes) {
      for (const volume of Object.keys(this.model.volumes ?? {}))
        await tryPodman(['volume', 'rm', '--force', this.volume(volume)]);
    }
  }
}
