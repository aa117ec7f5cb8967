/**
 * Production assembled on this machine without Docker, from the shipped files, as the runbooks
 * say. It runs inside a private mount and network namespace (`npm run rehearse` starts it with
 * `unshare`), so it owns the whole loopback network (ports 80, 443, 5432, 9000, 53) and its own
 * `/etc/hosts` and `/srv`.
 *
 * The operator's commands run for real with `docker` on PATH being a stand-in (stand-in.mjs) that
 * hands each call to {@link Production}, which acts it out with the program each Compose service
 * runs: PostgreSQL (`initdb`/`pg_ctl`), s3rver for MinIO, the shipped `minio-setup` script with an
 * `mc` that speaks S3, `node dist/server.js`, and the real nginx with the rendered template. Every
 * service's environment is {@link serviceEnvironment} of the Compose model, exactly. The
 * container world is stood in for as follows: a container's address is a loopback address of its
 * own (the app binds it: `HOST=0.0.0.0` inside a container is that address); Docker's embedded
 * DNS is dns.ts at 127.0.0.11; Docker's volumes are the same folders seen by the program; the
 * host trusts the throwaway CA as it trusts Let's Encrypt (the system bundle here, and
 * `NODE_EXTRA_CA_CERTS` for Node, which does not read it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadCompose, parseEnvFile, serviceEnvironment, type ComposeFile } from '../support/compose.js';
import { ROOT } from '../support/processes.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../resilience/support.js';
import { startNameServer, type NameServer } from './dns.js';
import { mainConfig } from '../support/nginx.js';

/** The project folder, where the runbook clones the code. */
export const PROJECT = '/srv/backend';
/** Docker's embedded DNS server. */
const DOCKER_DNS = '127.0.0.11';
/** The address every published port answers on (the host's). */
export const HOST_ADDRESS = '127.0.0.1';
const STAND_IN = path.join(ROOT, 'test/rehearsal/stand-in.mjs');

/** What a stand-in call answers. */
interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** A service "container": the process and what it was started from. */
interface Container {
  id: string;
  address: string;
  configHash: string;
  stop: () => Promise<void>;
  child?: ChildProcess;
  output: () => string;
  exitCode?: number;
}

/** Runs a program and collects its output. */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    // stdin a pipe only when there is input: bash reads bashrc when its stdin is a socket (as under rshd).
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}${error.message}\n` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin?.end(options.input);
  });
}

/** Fails unless a synchronous command succeeded. */
function must(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.error?.message}`);
}

/**
 * The rehearsal's machine: the namespace set up (hosts, /srv, CA bundle, DNS), the certificates
 * issued, and the `docker`/`mc` stand-ins answering on a control socket.
 */
export class Production {
  /** Scratch folder of the rehearsal (the "host" parts that are not /srv). */
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearsal-'));
  /** The host's /etc/letsencrypt (what the certbot runbook leaves behind). */
  readonly letsencrypt = path.join(this.dir, 'etc/letsencrypt');
  /** PATH of the operator's shell: the stand-ins first. */
  readonly bin = path.join(this.dir, 'bin');
  /** The throwaway CA's certificate (PEM), trusted by the clients. */
  ca = '';
  private readonly socket = path.join(this.dir, 'control.sock');
  private control: http.Server | null = null;
  private dns: NameServer | null = null;
  private readonly containers = new Map<string, Container>();
  private readonly aliases = new Map<string, { url: string; user: string; password: string }>();
  private builtHash = '';
  private appInstances = 0;
  private postgres: PrivatePostgres | null = null;
  /** Every call the stand-ins received, for assertions. */
  readonly calls: string[] = [];

  /** Sets the namespace up; `domain` is the certificate's name. */
  async setUp(domain: string): Promise<void> {
    if (process.env.REHEARSAL_NAMESPACE !== '1')
      throw new Error('run through `npm run rehearse`, which starts a private mount and network namespace');
    for (const sub of ['bin', 'srv', 'etc/letsencrypt', 'ca'])
      fs.mkdirSync(path.join(this.dir, sub), { recursive: true });
    // /srv of this namespace: empty, as on a new machine.
    must('mount', ['--bind', path.join(this.dir, 'srv'), '/srv']);
    // The names: the domain is this machine; the service names are the containers' (Docker's DNS
    // answers them to nginx; the app's own lookups go through /etc/hosts here).
    this.writeHosts(domain, { postgres: HOST_ADDRESS, minio: HOST_ADDRESS });
    this.dns = await startNameServer(DOCKER_DNS, { postgres: HOST_ADDRESS, minio: HOST_ADDRESS });
    this.issueCertificate(domain);
    for (const tool of ['docker', 'mc']) {
      fs.writeFileSync(
        path.join(this.bin, tool),
        `#!/bin/sh\nexec "${process.execPath}" "${STAND_IN}" ${tool} "$@"\n`,
        { mode: 0o755 },
      );
    }
    this.control = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          tool: string;
          args: string[];
          cwd: string;
          env: Record<string, string>;
        };
        this.calls.push(`${call.tool} ${call.args.join(' ')}`);
        this.act(call.tool, call.args, call.cwd, call.env).then(
          (outcome) => res.end(JSON.stringify(outcome)),
          (error: Error) =>
            res.end(JSON.stringify({ code: 1, stdout: '', stderr: `${error.stack ?? error.message}\n` })),
        );
      });
    });
    await new Promise<void>((resolve) => this.control!.listen(this.socket, resolve));
  }

  /** The environment of the operator's shell. */
  shellEnv(): NodeJS.ProcessEnv {
    return { PATH: `${this.bin}:${process.env.PATH}`, HOME: this.dir, REHEARSAL_SOCKET: this.socket, LANG: 'C.UTF-8' };
  }

  /** Runs a runbook block with bash in the operator's shell, stopping at the first failure. */
  shell(script: string, options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Outcome> {
    return run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: options.cwd ?? PROJECT,
      env: { ...this.shellEnv(), ...options.env },
    });
  }

  /** Stops everything and removes the scratch folder. */
  async tearDown(): Promise<void> {
    for (const name of ['nginx', 'app', 'minio', 'postgres'])
      await this.containers
        .get(name)
        ?.stop()
        .catch(() => undefined);
    await this.postgres?.destroy().catch(() => undefined);
    await this.dns?.close();
    this.control?.close();
    spawnSync('umount', ['/srv']);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The output of a service's process (for failure messages). */
  logs(service: string): string {
    return this.containers.get(service)?.output() ?? '';
  }

  /** The process id of a service's program. */
  pid(service: string): number | undefined {
    return this.containers.get(service)?.child?.pid;
  }

  /** The address of the running app container. */
  appAddress(): string | undefined {
    return this.containers.get('app')?.address;
  }

  private writeHosts(domain: string, names: Record<string, string>): void {
    const file = path.join(this.dir, 'hosts');
    fs.writeFileSync(
      file,
      [
        `127.0.0.1 localhost`,
        `::1 localhost`,
        `${HOST_ADDRESS} ${domain}`,
        ...Object.entries(names).map(([n, a]) => `${a} ${n}`),
        '',
      ].join('\n'),
    );
    spawnSync('umount', ['/etc/hosts']);
    must('mount', ['--bind', file, '/etc/hosts']);
  }

  /** A throwaway CA and the domain's certificate where certbot puts it; the CA joins the trust store. */
  private issueCertificate(domain: string): void {
    const ca = path.join(this.dir, 'ca');
    const live = path.join(this.letsencrypt, 'live', domain);
    fs.mkdirSync(live, { recursive: true });
    const openssl = (...args: string[]) => must('openssl', args);
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Rehearsal CA',
      '-keyout',
      `${ca}/ca.key`,
      '-out',
      `${ca}/ca.pem`,
    );
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${domain}`,
      '-keyout',
      `${live}/privkey.pem`,
      '-out',
      `${ca}/leaf.csr`,
    );
    fs.writeFileSync(`${ca}/ext.cnf`, `subjectAltName=DNS:${domain}\nextendedKeyUsage=serverAuth\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${ca}/leaf.csr`,
      '-CA',
      `${ca}/ca.pem`,
      '-CAkey',
      `${ca}/ca.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${ca}/ext.cnf`,
      '-out',
      `${ca}/leaf.pem`,
    );
    this.ca = fs.readFileSync(`${ca}/ca.pem`, 'utf8');
    fs.writeFileSync(`${live}/fullchain.pem`, fs.readFileSync(`${ca}/leaf.pem`, 'utf8') + this.ca);
    const bundle = '/etc/ssl/certs/ca-certificates.crt';
    if (fs.existsSync(bundle)) {
      fs.writeFileSync(`${ca}/bundle.crt`, fs.readFileSync(bundle, 'utf8') + this.ca);
      must('mount', ['--bind', `${ca}/bundle.crt`, bundle]);
    }
  }

  /** The Compose model of the project folder, as `docker compose` there would load it. */
  private model(cwd: string): ComposeFile {
    const files = [
      'compose.yml',
      ...(fs.existsSync(path.join(cwd, 'compose.override.yml')) ? ['compose.override.yml'] : []),
    ];
    return loadCompose(files, { dir: cwd });
  }

  /** A service's container environment, plus the PATH and HOME its image provides. */
  private environment(model: ComposeFile, service: string, cwd: string): Record<string, string> {
    const image = service === 'app' ? imageEnvironment(model) : {};
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: '/root',
      ...serviceEnvironment(model, service, { dir: cwd, image }),
    };
  }

  private async act(tool: string, args: string[], cwd: string, env: Record<string, string>): Promise<Outcome> {
    if (tool === 'mc') return this.mc(args);
    const [command, ...rest] = args;
    if (command === 'inspect') return this.inspect(rest);
    if (command !== 'compose')
      return { code: 1, stdout: '', stderr: `docker ${command}: not acted out by the rehearsal\n` };
    const [sub, ...options] = rest;
    switch (sub) {
      case 'build':
        return this.build(cwd, this.model(cwd));
      case 'up':
        return this.up(cwd);
      case 'ps':
        return this.ps(options);
      case 'config':
        return { code: 0, stdout: JSON.stringify(this.model(cwd), null, 2), stderr: '' };
      case 'logs':
        return { code: 0, stdout: this.logs(options.at(-1) ?? ''), stderr: '' };
      case 'run':
      case 'exec':
        return this.runIn(sub, options, cwd, env);
      default:
        return { code: 1, stdout: '', stderr: `docker compose ${sub}: not acted out by the rehearsal\n` };
    }
  }

  /** `docker compose build`: the runtime image is `npm run build`; unchanged sources reuse it (the layer cache). */
  private async build(cwd: string, model: ComposeFile): Promise<Outcome> {
    const target = (model.services.app!.build as { target?: string } | undefined)?.target;
    if (target !== 'runtime') return { code: 0, stdout: 'dev image: the sources are mounted\n', stderr: '' };
    const hash = sourceHash(cwd);
    if (hash === this.builtHash && fs.existsSync(path.join(cwd, 'dist/server.js')))
      return { code: 0, stdout: 'app: cached\n', stderr: '' };
    const built = await run('npm', ['run', 'build'], { cwd, env: { ...process.env, PATH: process.env.PATH } });
    if (built.code === 0) this.builtHash = hash;
    return built;
  }

  /** `docker compose up -d`: starts what is not running and recreates what changed, in dependency order. */
  private async up(cwd: string): Promise<Outcome> {
    const model = this.model(cwd);
    let stdout = '';
    for (const service of ['postgres', 'minio', 'minio-setup', 'app', 'nginx']) {
      const env = this.environment(model, service, cwd);
      const configHash = createHash('sha256')
        .update(JSON.stringify([env, model.services[service], service === 'app' ? this.builtHash : '']))
        .digest('hex');
      const running = this.containers.get(service);
      if (running && running.configHash === configHash && (running.exitCode === undefined || running.exitCode === 0))
        continue;
      if (running) await running.stop();
      const started = await this.start(service, model, env, cwd, configHash);
      this.containers.set(service, started);
      stdout += ` Container backend-${service}-1  ${running ? 'Recreated' : 'Started'}\n`;
    }
    return { code: 0, stdout, stderr: '' };
  }

  private async start(
    service: string,
    model: ComposeFile,
    env: Record<string, string>,
    cwd: string,
    configHash: string,
  ): Promise<Container> {
    const id = createHash('sha256').update(`${service}${Date.now()}${Math.random()}`).digest('hex').slice(0, 12);
    if (service === 'postgres') {
      // The image's entrypoint: a cluster whose superuser and database are POSTGRES_USER/DB.
      const bin = postgresBinDir();
      if (!bin) throw new Error('the PostgreSQL server binaries are missing');
      this.postgres ??= await startPrivatePostgres(bin, 5432);
      const client = new pg.Client({ connectionString: this.postgres.url });
      await client.connect();
      try {
        const user = env.POSTGRES_USER ?? 'postgres';
        const exists = await client.query('select 1 from pg_roles where rolname = $1', [user]);
        if (exists.rowCount === 0) {
          await client.query(
            `CREATE ROLE "${user}" SUPERUSER LOGIN PASSWORD '${(env.POSTGRES_PASSWORD ?? '').replaceAll("'", "''")}'`,
          );
          await client.query(`CREATE DATABASE "${env.POSTGRES_DB ?? user}" OWNER "${user}"`);
        }
      } finally {
        await client.end();
      }
      return { id, address: HOST_ADDRESS, configHash, stop: async () => undefined, output: () => '' };
    }
    if (service === 'minio') {
      // MinIO's TLS from the certificate its command links; the root credentials from its environment.
      const live = path.join(this.letsencrypt, 'live', env.BACKOFFICE_DOMAIN ?? '');
      const data = path.join(this.dir, 'minio-data');
      fs.mkdirSync(data, { recursive: true });
      return this.process(
        id,
        HOST_ADDRESS,
        configHash,
        process.execPath,
        [path.join(ROOT, 'test/rehearsal/s3-server.mjs'), data, `${live}/fullchain.pem`, `${live}/privkey.pem`],
        { ...env, PATH: process.env.PATH! },
        (out) => out.includes('s3 ready'),
      );
    }
    if (service === 'minio-setup') {
      const definition = model.services['minio-setup']!;
      const [entry, ...entryArgs] = [...(definition.entrypoint as string[]), ...(definition.command as string[])];
      const result = await run(entry!, entryArgs, {
        env: { ...env, PATH: `${this.bin}:${process.env.PATH}`, REHEARSAL_SOCKET: this.socket },
      });
      if (result.code !== 0)
        throw new Error(`minio-setup exited with ${result.code}: ${result.stdout}${result.stderr}`);
      return {
        id,
        address: '',
        configHash,
        stop: async () => undefined,
        output: () => result.stdout + result.stderr,
        exitCode: 0,
      };
    }
    if (service === 'app') {
      this.appInstances++;
      const address = `127.0.0.${29 + this.appInstances}`;
      const caFile = path.join(this.dir, 'ca/ca.pem');
      const container = await this.process(
        id,
        address,
        configHash,
        process.execPath,
        ['dist/server.js'],
        { ...env, HOST: address, NODE_EXTRA_CA_CERTS: caFile },
        undefined,
        cwd,
      );
      await waitUntil(
        async () => (await healthOf(address, env.PORT ?? '8000')) === 'healthy',
        60_000,
        () => `the app did not become healthy:\n${container.output()}`,
      );
      this.dns!.set('app', address);
      return container;
    }
    if (service === 'nginx') return this.startNginx(id, model, env, cwd, configHash);
    throw new Error(`unknown service ${service}`);
  }

  private async process(
    id: string,
    address: string,
    configHash: string,
    command: string,
    args: string[],
    env: Record<string, string>,
    ready?: (output: string) => boolean,
    cwd?: string,
  ): Promise<Container> {
    const child = spawn(command, args, { cwd: cwd ?? this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (ready)
      await waitUntil(
        async () => ready(output),
        30_000,
        () => `${command} ${args.join(' ')} did not start:\n${output}`,
      );
    return {
      id,
      address,
      configHash,
      child,
      output: () => output,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      },
    };
  }

  /**
   * The nginx image: every `/etc/nginx/templates/*.template` rendered with envsubst of the
   * variables NGINX_ENVSUBST_FILTER matches (20-envsubst-on-templates.sh), then nginx. The volumes
   * become the paths they mount: the container paths in the config are looked up in a folder where
   * each mount target links to its source.
   */
  private async startNginx(
    id: string,
    model: ComposeFile,
    env: Record<string, string>,
    cwd: string,
    configHash: string,
  ): Promise<Container> {
    const root = path.join(this.dir, `nginx-${id}`);
    const mounts = (model.services.nginx!.volumes ?? []).map((volume) => {
      const [source, target] = volume.split(':') as [string, string];
      const hostPath = source.startsWith('/')
        ? source === '/etc/letsencrypt'
          ? this.letsencrypt
          : source
        : path.resolve(cwd, source);
      return { source: hostPath, target };
    });
    for (const { source, target } of mounts) {
      if (!fs.existsSync(source)) fs.mkdirSync(source, { recursive: true }); // Docker creates a missing bind source
      fs.mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
      fs.symlinkSync(source, path.join(root, target));
    }
    // 15-local-resolvers.envsh: the container's resolv.conf names Docker's DNS, played by dns.ts.
    if (env.NGINX_ENTRYPOINT_LOCAL_RESOLVERS) env = { ...env, NGINX_LOCAL_RESOLVERS: DOCKER_DNS };
    const filter = new RegExp(env.NGINX_ENVSUBST_FILTER ?? '.*');
    const names = Object.keys(env).filter((name) => filter.test(name));
    const conf = path.join(root, 'etc/nginx/conf.d');
    fs.mkdirSync(conf, { recursive: true });
    const templates = path.join(root, 'etc/nginx/templates');
    for (const file of fs.readdirSync(templates).filter((f) => f.endsWith('.template'))) {
      let text = fs.readFileSync(path.join(templates, file), 'utf8');
      for (const name of names)
        text = text
          .replaceAll(`\${${name}}`, env[name]!)
          .replace(new RegExp(`\\$${name}(?![A-Za-z0-9_])`, 'g'), env[name]!);
      // Paths in the container, seen through the mounts.
      text = text.replace(
        /^(\s*(?:ssl_certificate|ssl_certificate_key|root|access_log|error_log)\s+)(\/\S+)/gm,
        (_, directive: string, p: string) => `${directive}${root}${p}`,
      );
      fs.writeFileSync(path.join(conf, file.replace(/\.template$/, '')), text);
    }
    for (const sub of ['tmp', 'logs']) fs.mkdirSync(path.join(root, sub), { recursive: true });
    // The image's /etc/nginx/nginx.conf, with its paths in the scratch folder.
    fs.writeFileSync(
      path.join(root, 'nginx.conf'),
      mainConfig(root, {
        user: 'root',
        workers: 2,
        connections: 1024,
        errorLevel: 'notice',
        http: `  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout 65;
  include ${conf}/*.conf;`,
      }),
    );
    const check = await run('nginx', [
      '-t',
      '-q',
      '-p',
      `${root}/`,
      '-e',
      `${root}/logs/error.log`,
      '-c',
      `${root}/nginx.conf`,
    ]);
    if (check.code !== 0) throw new Error(`nginx -t: ${check.stderr}`);
    const container = await this.process(
      id,
      HOST_ADDRESS,
      configHash,
      'nginx',
      ['-p', `${root}/`, '-e', `${root}/logs/error.log`, '-c', `${root}/nginx.conf`],
      { PATH: process.env.PATH! },
    );
    await waitUntil(
      async () => (await plainStatus(`http://${HOST_ADDRESS}/nginx-health`)) === 200,
      15_000,
      () => `nginx did not answer:\n${container.output()}${readOr(`${root}/logs/error.log`)}`,
    );
    return container;
  }

  /** `docker compose run --rm [--no-deps] [-e X] SERVICE CMD...` and `docker compose exec [-T] [-e X] SERVICE CMD...`. */
  private async runIn(
    sub: 'run' | 'exec',
    options: string[],
    cwd: string,
    callerEnv: Record<string, string>,
  ): Promise<Outcome> {
    const passed: Record<string, string> = {};
    let i = 0;
    for (; i < options.length && options[i]!.startsWith('-'); i++) {
      if (options[i] === '-e') {
        const spec = options[++i]!;
        const at = spec.indexOf('=');
        if (at >= 0) passed[spec.slice(0, at)] = spec.slice(at + 1);
        else if (callerEnv[spec] !== undefined) passed[spec] = callerEnv[spec]!;
      }
    }
    const [service, command, ...args] = options.slice(i);
    if (service !== 'app')
      return { code: 1, stdout: '', stderr: `docker compose ${sub} ${service}: not acted out by the rehearsal\n` };
    if (sub === 'exec' && !this.containers.get('app'))
      return { code: 1, stdout: '', stderr: 'service "app" is not running\n' };
    const model = this.model(cwd);
    return run(command!, args, {
      cwd,
      env: { ...this.environment(model, 'app', cwd), NODE_EXTRA_CA_CERTS: path.join(this.dir, 'ca/ca.pem'), ...passed },
    });
  }

  /** `docker compose ps [-a] [-q SERVICE]`. */
  private ps(options: string[]): Outcome {
    if (options.includes('-q'))
      return { code: 0, stdout: `${this.containers.get(options.at(-1) ?? '')?.id ?? ''}\n`, stderr: '' };
    const all = options.includes('-a');
    const rows = [...this.containers.entries()]
      .filter(([, c]) => all || c.exitCode === undefined)
      .map(
        ([name, c]) =>
          `backend-${name}-1  ${c.exitCode === undefined ? 'running (healthy)' : `exited (${c.exitCode})`}`,
      );
    return { code: 0, stdout: ['NAME  STATUS', ...rows, ''].join('\n'), stderr: '' };
  }

  /** `docker inspect --format '{{.State.Health.Status}}' ID`: the app's health check, run now. */
  private async inspect(args: string[]): Promise<Outcome> {
    const container = [...this.containers.values()].find((c) => c.id === args.at(-1));
    if (!container) return { code: 1, stdout: '', stderr: `Error: No such object: ${args.at(-1)}\n` };
    return { code: 0, stdout: `${await healthOf(container.address, '8000')}\n`, stderr: '' };
  }

  /** `mc` of the minio-setup script: alias set, mb --ignore-existing, anonymous set none — against the S3 server. */
  private async mc(args: string[]): Promise<Outcome> {
    const [command, sub] = args;
    if (command === 'alias' && sub === 'set') {
      const [, , name, url, user, password] = args as [string, string, string, string, string, string];
      this.aliases.set(name, { url, user, password });
      return { code: 0, stdout: `Added \`${name}\` successfully.\n`, stderr: '' };
    }
    const target = args.at(-1)!;
    const [name, bucket] = target.split('/') as [string, string];
    const alias = this.aliases.get(name);
    if (!alias) return { code: 1, stdout: '', stderr: `mc: <ERROR> Unable to find alias ${name}\n` };
    const { Client } = await import('minio');
    const url = new URL(alias.url);
    const client = new Client({
      endPoint: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      useSSL: url.protocol === 'https:',
      accessKey: alias.user,
      secretKey: alias.password,
      transportAgent: new (await import('node:https')).Agent({ ca: this.ca }),
    });
    if (command === 'mb') {
      if (await client.bucketExists(bucket)) {
        if (!args.includes('--ignore-existing'))
          return { code: 1, stdout: '', stderr: `mc: <ERROR> Bucket ${bucket} already exists\n` };
      } else await client.makeBucket(bucket);
      return { code: 0, stdout: `Bucket created successfully \`${target}\`.\n`, stderr: '' };
    }
    if (command === 'anonymous' && sub === 'set' && args[2] === 'none') {
      // A new bucket has no anonymous access; s3rver keeps no policies, so there is nothing to remove.
      if (!(await client.bucketExists(bucket)))
        return { code: 1, stdout: '', stderr: `mc: <ERROR> Bucket ${bucket} does not exist\n` };
      return { code: 0, stdout: `Access permission for \`${target}\` is set to \`private\`\n`, stderr: '' };
    }
    return { code: 1, stdout: '', stderr: `mc ${args.join(' ')}: not acted out by the rehearsal\n` };
  }
}

/** The ENV of the Dockerfile stage the app service builds (the image's defaults, lowest precedence). */
function imageEnvironment(model: ComposeFile): Record<string, string> {
  const target = (model.services.app!.build as { target?: string } | undefined)?.target ?? 'runtime';
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const byName = new Map(stages.map((stage) => [/^\S+ AS (\S+)/.exec(stage)?.[1] ?? '', stage]));
  const env: Record<string, string> = {};
  // A stage inherits the ENV of the stage it is built FROM.
  const collect = (name: string): void => {
    const stage = byName.get(name);
    if (!stage) return;
    const base = /^(\S+)/.exec(stage)![1]!;
    if (byName.has(base)) collect(base);
    for (const line of stage.matchAll(/^ENV (.+)$/gm))
      Object.assign(env, parseEnvFile(line[1]!.split(/\s+(?=[A-Za-z_][A-Za-z0-9_]*=)/).join('\n')));
  };
  collect(target);
  return env;
}

/** The sources the runtime image is built from, hashed (a changed file means a new image). */
function sourceHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (sub: string) => {
    for (const entry of fs
      .readdirSync(path.join(dir, sub), { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else hash.update(rel).update(fs.readFileSync(path.join(dir, rel)));
    }
  };
  for (const sub of ['src', 'migrations', 'seeds']) walk(sub);
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'])
    hash.update(fs.readFileSync(path.join(dir, file)));
  return hash.digest('hex');
}

/** What the image's health check says of an app at an address. */
async function healthOf(address: string, port: string): Promise<'healthy' | 'unhealthy'> {
  return (await plainStatus(`http://${address}:${port}/api/health/`)) === 200 ? 'healthy' : 'unhealthy';
}

function plainStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 3_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Polls until `done` holds, or fails with `message()` after `timeoutMs`. */
export async function waitUntil(done: () => Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(message());
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
