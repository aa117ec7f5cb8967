/**
 * deploy/kubernetes/: both overlays rendered by `kubectl kustomize`, every object validated against
 * the Kubernetes OpenAPI schemas (and cert-manager's and the Prometheus Operator's CRD schemas) that
 * the `kubernetes-models` packages carry, then held to the policy a reviewer would apply; the alert
 * rules and the dashboard parsed with Prometheus's PromQL grammar and checked to name only the app's
 * metrics. Skips when kubectl is absent, fails under CI=true.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { CONFIG_VARIABLES } from '../../src/config/schema.js';
import { allowedHost } from '../../src/http/hosts.js';
import { buildProgram } from '../../src/commands/program.js';
import { registry } from '../../src/metrics.js';
import { requireTool } from '../support/browser.js';
import {
  containersOf,
  KUBERNETES_DIR,
  type K8sObject,
  type Yaml,
  missingKubectl,
  parseYamlObjects,
  podLabelsOf,
  podSpecOf,
  policyProblems,
  PROBE_PATHS,
  promql,
  quantity,
  render,
  ROOT,
  schemaProblem,
} from './manifests.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const OVERLAYS = ['overlays/production', 'overlays/staging'] as const;

/** The app's metrics, as its registry declares them, and the series Prometheus reads of a histogram. */
const APP_METRICS = registry
  .getMetricsAsArray()
  .flatMap(({ name, type }) =>
    String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  );
/** prom-client's default process metrics that the dashboard reads. */
const PROCESS_METRICS = ['process_resident_memory_bytes', 'process_cpu_seconds_total'];
/** cert-manager's metrics of a Certificate (cert-manager.io/docs/devops-tips/prometheus-metrics/). */
const CERT_MANAGER_METRICS = [
  'certmanager_certificate_expiration_timestamp_seconds',
  'certmanager_certificate_ready_status',
];
const KNOWN_METRICS = new Set([...APP_METRICS, ...PROCESS_METRICS, ...CERT_MANAGER_METRICS]);

function only(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `one ${kind}${name ? `/${name}` : ''}`).to.have.length(1);
  return found[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const spec = (object: K8sObject) => object.spec as Record<string, Yaml>;

describe('Kubernetes manifests (deploy/kubernetes/)', function () {
  const rendered = new Map<string, K8sObject[]>();

  before(function () {
    requireTool(this, missingKubectl());
    for (const dir of [...OVERLAYS, 'base', 'cluster', 'monitoring']) rendered.set(dir, render(dir));
  });

  describe('the schema validator refuses a broken object', () => {
    const deployment = (): K8sObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'app', image: 'backoffice-app:0.1.0' }] },
        },
      },
    });

    it('accepts the well-formed one', () => {
      expect(schemaProblem(deployment())).to.equal(null);
    });

    it('refuses a wrong type, a malformed quantity, a missing required field, a wrong enum', () => {
      const wrongType = deployment();
      spec(wrongType).replicas = 'three';
      expect(schemaProblem(wrongType)).to.match(/replicas/);
      const badQuantity = deployment();
      spec(badQuantity).template.spec.containers[0].resources = { limits: { memory: 'lots' } };
      expect(schemaProblem(badQuantity)).to.match(/memory/);
      const noName = deployment();
      delete spec(noName).template.spec.containers[0].name;
      expect(schemaProblem(noName)).to.match(/name/);
      const badPolicy = deployment();
      spec(badPolicy).template.spec.containers[0].imagePullPolicy = 'Sometimes';
      expect(schemaProblem(badPolicy)).to.match(/imagePullPolicy/);
    });

    it('refuses a Certificate without its Secret or issuer, and a kind it has no schema for', () => {
      const certificate: K8sObject = {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'broken' },
        spec: { dnsNames: ['example.com'] },
      };
      expect(schemaProblem(certificate)).to.match(/secretName|issuerRef/);
      expect(schemaProblem({ ...certificate, kind: 'Certificat' })).to.match(/no schema known/);
    });

    it('refuses a PrometheusRule whose rule has no expression', () => {
      const rule: K8sObject = {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'broken' },
        spec: { groups: [{ name: 'g', rules: [{ alert: 'A' }] }] },
      };
      expect(schemaProblem(rule)).to.match(/expr/);
    });
  });

  describe('the policy checks refuse a careless Deployment', () => {
    it('names every problem of it', () => {
      const careless: K8sObject = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'careless' },
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'backoffice-app:latest',
                  resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1' } },
                  readinessProbe: { httpGet: { path: '/api/health/', port: 8000 } },
                },
              ],
              initContainers: [{ name: 'migrate', image: 'backoffice-app' }],
            },
          },
        },
      };
      const problems = policyProblems([careless], VERSION).join('\n');
      for (const expected of [
        'automountServiceAccountToken is not false',
        'runAsNonRoot is not true',
        'image backoffice-app:latest is :latest',
        'image backoffice-app has no tag',
        'no memory limits',
        'cpu limit below its request',
        'readOnlyRootFilesystem is not true',
        'allowPrivilegeEscalation is not false',
        'no liveness probe',
        `readiness probe on /api/health/, not ${PROBE_PATHS.readiness}`,
      ])
        expect(problems).to.include(expected);
      expect(
        policyProblems([careless], VERSION).filter((p) => p.includes('container migrate') && p.includes('probe')),
      ).to.deep.equal([], 'init containers need no probes');
    });
  });

  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objects = () => rendered.get(overlay)!;

      it('renders every object the app needs', () => {
        const kinds = objects().map((o) => `${o.kind}/${o.metadata.name}`);
        for (const expected of [
          'ServiceAccount/backoffice',
          'Service/backoffice',
          'Deployment/backoffice',
          'CronJob/flush-expired-tokens',
          'CronJob/sweep-orphans',
          'HorizontalPodAutoscaler/backoffice',
          'PodDisruptionBudget/backoffice',
          'NetworkPolicy/backoffice',
          'Ingress/backoffice',
          'Certificate/backoffice',
        ])
          expect(kinds).to.include(expected);
        expect(objects().filter((o) => o.kind === 'ConfigMap')).to.have.length(1);
        expect(
          objects().filter((o) => o.kind === 'Secret'),
          'no Secret is committed',
        ).to.deep.equal([]);
      });

      it('every object validates against its schema (Kubernetes, cert-manager)', () => {
        expect(objects().map(schemaProblem).filter(Boolean)).to.deep.equal([]);
      });

      it('passes the policy checks: tags, resources, probes, non-root, read-only, no token', () => {
        expect(policyProblems(objects(), VERSION)).to.deep.equal([]);
        expect(containersOf(objects()).length).to.be.at.least(4);
        for (const { container } of containersOf(objects())) expect(container.image).to.match(/\/backoffice-app:/);
      });

      it('every object but the Namespace sits in the overlay namespace, which enforces a Pod Security level', () => {
        const namespace = only(objects(), 'Namespace');
        for (const object of objects().filter((o) => o.kind !== 'Namespace'))
          expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).to.equal(namespace.metadata.name);
        expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).to.be.oneOf([
          'restricted',
          'baseline',
        ]);
        if (overlay === 'overlays/production')
          expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).to.equal('restricted');
      });

      it('the Deployment: rolling update with surge, preStop wait inside the grace period, probes on the served port', () => {
        const deployment = only(objects(), 'Deployment');
        const pod = podSpecOf(deployment)!;
        expect(spec(deployment).strategy.type).to.equal('RollingUpdate');
        expect(spec(deployment).strategy.rollingUpdate.maxUnavailable).to.equal(0);
        expect(spec(deployment).strategy.rollingUpdate.maxSurge).to.be.at.least(1);
        const app = pod.containers.find((c: { name: string }) => c.name === 'app');
        const preStop = app.lifecycle.preStop.sleep.seconds as number;
        expect(preStop).to.be.at.least(5);
        const server = fs.readFileSync(path.join(ROOT, 'src/server.ts'), 'utf8');
        const drainSeconds = Number(/SHUTDOWN_TIMEOUT_MS = ([\d_]+)/.exec(server)![1]!.replace(/_/g, '')) / 1000;
        expect(pod.terminationGracePeriodSeconds, 'preStop + the server drain fit').to.be.greaterThan(
          preStop + drainSeconds,
        );
        // The image listens on 8000 (Dockerfile: PORT=8000, EXPOSE 8000); the probes use that port.
        const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
        expect(dockerfile).to.match(/PORT=8000/);
        const http = app.ports.find((p: { name: string }) => p.name === 'http');
        expect(http.containerPort).to.equal(8000);
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
          expect(app[probe].httpGet.port).to.equal('http');
        expect(app.startupProbe.httpGet.path).to.equal(PROBE_PATHS.liveness);
        expect(app.command, 'the image CMD (node dist/server.js) runs').to.equal(undefined);
        expect(dockerfile).to.match(/CMD \["node", "dist\/server\.js"\]/);
      });

      it('migrations run in an init container, a command of the CLI, before the server starts', () => {
        const pod = podSpecOf(only(objects(), 'Deployment'))!;
        expect(pod.initContainers.map((c: { command: string[] }) => c.command)).to.deep.equal([
          ['node', 'dist/cli.js', 'migrate'],
        ]);
      });

      it('the CronJobs run the CLI: flush-expired-tokens at 03:00 as the cron script, sweep-orphans after it', () => {
        const commands = buildProgram().commands.map((c) => c.name());
        const script = fs.readFileSync(path.join(ROOT, 'ops/delete_expired.sh'), 'utf8');
        const cronSchedule = /# crontab: (\S+ \S+ \S+ \S+ \S+) /.exec(script)![1];
        const schedules: Record<string, string> = {};
        for (const cronJob of objects().filter((o) => o.kind === 'CronJob')) {
          const [container, ...more] = podSpecOf(cronJob)!.containers;
          expect(more).to.deep.equal([]);
          expect(container.command.slice(0, 2)).to.deep.equal(['node', 'dist/cli.js']);
          expect(commands).to.include(container.command[2]);
          expect(spec(cronJob).concurrencyPolicy).to.equal('Forbid');
          schedules[container.command[2]] = spec(cronJob).schedule;
        }
        expect(schedules['flush-expired-tokens']).to.equal(cronSchedule).and.to.equal('0 3 * * *');
        expect(schedules['sweep-orphans']).to.equal('30 3 * * *');
        expect(commands).to.include('create-superuser');
      });

      it('configuration from the ConfigMap (variables of the schema) and secrets from the Secret the operator creates', () => {
        const config = only(objects(), 'ConfigMap');
        const data = config.data as Record<string, string>;
        const unknown = Object.keys(data).filter((k) => !CONFIG_VARIABLES.includes(k));
        expect(unknown, 'ConfigMap keys that are no configuration variable').to.deep.equal([]);
        for (const secret of [
          'SECRET_KEY',
          'DATABASE_URL',
          'MINIO_ROOT_USER',
          'MINIO_ROOT_PASSWORD',
          'POSTGRES_PASSWORD',
        ])
          expect(data, `${secret} is not in the ConfigMap`).not.to.have.property(secret);
        expect(data.DEBUG).to.equal('false');
        expect(data.METRICS_HOST).to.equal('0.0.0.0');
        // The server listens on loopback unless told otherwise; in a pod the kubelet and ingress-nginx come from outside.
        expect(data.HOST).to.equal('0.0.0.0');
        for (const { container } of containersOf(objects()))
          expect(container.envFrom).to.deep.equal([
            { configMapRef: { name: config.metadata.name } },
            { secretRef: { name: 'backoffice-secrets' } },
          ]);
      });

      it('the Service, HorizontalPodAutoscaler and PodDisruptionBudget select the Deployment pods', () => {
        const deployment = only(objects(), 'Deployment');
        const labels = podLabelsOf(deployment);
        const service = only(objects(), 'Service');
        expect(matches(spec(service).selector, labels)).to.equal(true);
        const app = podSpecOf(deployment)!.containers[0];
        const ports = new Map<string, number>(
          app.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
        );
        for (const port of spec(service).ports) expect(ports.has(port.targetPort), port.name).to.equal(true);
        const config = only(objects(), 'ConfigMap').data as Record<string, string>;
        expect(ports.get('metrics')).to.equal(Number(config.METRICS_PORT));
        const hpa = spec(only(objects(), 'HorizontalPodAutoscaler'));
        expect(hpa.scaleTargetRef).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'backoffice' });
        expect(spec(deployment).replicas).to.be.within(hpa.minReplicas, hpa.maxReplicas);
        expect(matches(spec(only(objects(), 'PodDisruptionBudget')).selector.matchLabels, labels)).to.equal(true);
        // HPA's CPU target is a share of the request: each pod has one.
        expect(quantity(app.resources.requests.cpu)).to.be.greaterThan(0);
      });

      it("ALLOWED_HOSTS names exactly the Ingress's hosts, without a wildcard", () => {
        const ingress = spec(only(objects(), 'Ingress'));
        const { DEBUG, ALLOWED_HOSTS } = only(objects(), 'ConfigMap').data as Record<string, string>;
        // The app's own reading of the variable (the Secret's values do not matter to it).
        const allowed = loadConfig({ SECRET_KEY: 'k'.repeat(40), DEBUG, ALLOWED_HOSTS }).allowedHosts;
        const hosts = ingress.rules.map((r: { host: string }) => r.host);
        expect(allowed).to.deep.equal(hosts);
        for (const host of hosts) expect(allowedHost(host, allowed), host).to.equal(host);
        expect(allowedHost('rebind.attacker.example', allowed)).to.equal(null);
      });

      it('the Ingress: ingress-nginx, TLS from the cert-manager Certificate, uploads as large as UPLOAD_MAX_BYTES', () => {
        const ingress = spec(only(objects(), 'Ingress'));
        const certificate = spec(only(objects(), 'Certificate'));
        const config = only(objects(), 'ConfigMap').data as Record<string, string>;
        expect(ingress.ingressClassName).to.equal('nginx');
        expect(ingress.tls).to.deep.equal([{ hosts: certificate.dnsNames, secretName: certificate.secretName }]);
        expect(ingress.rules.map((r: { host: string }) => r.host)).to.deep.equal(certificate.dnsNames);
        expect(ingress.rules[0].http.paths[0].backend.service).to.deep.equal({
          name: 'backoffice',
          port: { name: 'http' },
        });
        const bodySize = only(objects(), 'Ingress').metadata.annotations![
          'nginx.ingress.kubernetes.io/proxy-body-size'
        ]!;
        expect(quantity(bodySize.replace(/m$/, 'Mi'))).to.be.greaterThan(Number(config.UPLOAD_MAX_BYTES));
        const issuers = rendered
          .get('cluster')!
          .filter((o) => o.kind === 'ClusterIssuer')
          .map((o) => o.metadata.name);
        expect(certificate.issuerRef.kind).to.equal('ClusterIssuer');
        expect(issuers).to.include(certificate.issuerRef.name);
      });

      it('the NetworkPolicy: only ingress-nginx (and Prometheus, on the metrics port) in; only DNS, PostgreSQL and S3 out', () => {
        const policy = only(objects(), 'NetworkPolicy');
        const { podSelector, policyTypes, ingress, egress } = spec(policy);
        expect(policyTypes).to.deep.equal(['Ingress', 'Egress']);
        for (const workload of objects().filter((o) => podSpecOf(o)))
          expect(matches(podSelector.matchLabels, podLabelsOf(workload)), workload.metadata.name).to.equal(true);
        const peers = (rule: { from?: Yaml[]; to?: Yaml[] }) => JSON.stringify(rule.from ?? rule.to);
        const ports = (rule: { ports: Array<{ port: number; protocol: string }> }) =>
          rule.ports.map((p) => `${p.protocol}/${p.port}`).join(',');
        expect(
          ingress.map((r: Yaml) => [peers(r), ports(r)]),
          'ingress rules',
        ).to.deep.equal([
          [
            JSON.stringify([
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
                podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
              },
            ]),
            'TCP/8000',
          ],
          [
            JSON.stringify([
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
                podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
              },
            ]),
            'TCP/9100',
          ],
        ]);
        expect(egress).to.have.length(3);
        for (const rule of egress) {
          expect(rule.to, 'every egress rule names its peers').to.be.an('array').that.is.not.empty;
          expect(rule.ports, 'every egress rule names its ports').to.be.an('array').that.is.not.empty;
          for (const peer of rule.to) if (peer.ipBlock) expect(peer.ipBlock.cidr).not.to.match(/^0\.0\.0\.0\/|^::\//);
          for (const peer of rule.to)
            expect(peer.namespaceSelector ?? peer.podSelector ?? peer.ipBlock).not.to.deep.equal({});
        }
        const [dns, postgres, s3] = egress;
        expect(ports(dns)).to.equal('UDP/53,TCP/53');
        expect(dns.to).to.deep.equal([
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ]);
        expect(ports(postgres)).to.equal('TCP/5432');
        expect(ports(s3)).to.be.oneOf(['TCP/443', 'TCP/9000']);
      });
    });
  }

  describe('the overlays differ where they should', () => {
    it('production: managed services outside the cluster, more replicas; staging: in-cluster operators', () => {
      const [production, staging] = OVERLAYS.map((o) => rendered.get(o)!);
      const egressOf = (objects: K8sObject[]) => spec(only(objects, 'NetworkPolicy')).egress as Yaml[];
      const base = egressOf(rendered.get('base')!);
      expect(egressOf(production!)[1].to[0].ipBlock.cidr, 'production replaces the base placeholder').not.to.equal(
        base[1].to[0].ipBlock.cidr,
      );
      expect(egressOf(staging!)[1].to[0].podSelector.matchLabels).to.have.property('cnpg.io/cluster');
      expect(spec(only(production!, 'Deployment')).replicas).to.be.greaterThan(
        spec(only(staging!, 'Deployment')).replicas,
      );
      expect(spec(only(staging!, 'Certificate')).issuerRef.name).to.equal('letsencrypt-staging');
      expect(spec(only(production!, 'Certificate')).issuerRef.name).to.equal('letsencrypt');
    });
  });

  describe('cluster-wide objects (deploy/kubernetes/cluster)', () => {
    it('the ClusterIssuers validate against cert-manager’s schema', () => {
      const objects = rendered.get('cluster')!;
      expect(objects.map((o) => o.kind)).to.deep.equal(['ClusterIssuer', 'ClusterIssuer']);
      expect(objects.map(schemaProblem).filter(Boolean)).to.deep.equal([]);
    });
  });

  describe('monitoring (deploy/kubernetes/monitoring)', () => {
    const objects = () => rendered.get('monitoring')!;

    it('every object validates (PrometheusRule and ServiceMonitor against the Prometheus Operator’s schemas)', () => {
      expect(
        objects()
          .map((o) => o.kind)
          .sort(),
      ).to.deep.equal(['ConfigMap', 'PrometheusRule', 'ServiceMonitor']);
      expect(objects().map(schemaProblem).filter(Boolean)).to.deep.equal([]);
    });

    it('the ServiceMonitor scrapes the Service’s metrics port on /metrics', () => {
      const monitor = spec(only(objects(), 'ServiceMonitor'));
      const service = only(rendered.get('overlays/production')!, 'Service');
      expect(matches(monitor.selector.matchLabels, service.metadata.labels!)).to.equal(true);
      expect(spec(service).ports.map((p: { name: string }) => p.name)).to.include(monitor.endpoints[0].port);
      expect(monitor.endpoints[0].path).to.equal('/metrics');
    });

    it('the alert rules parse as PromQL, name only known metrics, and cover errors, p99, the listener and the certificate', () => {
      const rules = spec(only(objects(), 'PrometheusRule')).groups.flatMap(
        (g: { rules: unknown[] }) => g.rules,
      ) as Array<{
        alert: string;
        expr: string;
      }>;
      const named = new Set<string>();
      for (const rule of rules) {
        const { metrics, errors } = promql(rule.expr);
        expect(errors, rule.alert).to.deep.equal([]);
        expect(metrics, `${rule.alert} selects a metric`).not.to.be.empty;
        expect(
          metrics.filter((m) => !KNOWN_METRICS.has(m)),
          `${rule.alert}: unknown metrics`,
        ).to.deep.equal([]);
        metrics.forEach((m) => named.add(m));
      }
      expect(new Set(rules.map((r) => r.alert)).size).to.equal(rules.length);
      const byMetric = (metric: string) => rules.filter((r) => promql(r.expr).metrics.includes(metric));
      expect(
        byMetric('backoffice_http_requests_total').some((r) => r.expr.includes('status=~"5.."')),
        'error rate',
      ).to.equal(true);
      expect(
        byMetric('backoffice_http_request_duration_seconds_bucket').some((r) =>
          r.expr.includes('histogram_quantile(0.99'),
        ),
        'p99',
      ).to.equal(true);
      expect(byMetric('backoffice_notice_listener_connected'), 'listener down').not.to.be.empty;
      expect(byMetric('certmanager_certificate_expiration_timestamp_seconds'), 'certificate expiry').not.to.be.empty;
    });

    it('the PromQL check refuses a syntax error and an unknown metric', () => {
      expect(promql('sum(rate(backoffice_http_requests_total[5m])').errors).not.to.be.empty;
      expect(
        promql('rate(backoffice_http_request_total[5m])').metrics.filter((m) => !KNOWN_METRICS.has(m)),
      ).to.deep.equal(['backoffice_http_request_total']);
    });

    it('the Grafana dashboard: every panel query parses and names only known metrics; the ConfigMap carries it', () => {
      const file = fs.readFileSync(path.join(KUBERNETES_DIR, 'monitoring/dashboard.json'), 'utf8');
      const dashboard = JSON.parse(file) as {
        uid: string;
        title: string;
        panels: Array<{ title: string; type: string; targets: Array<{ expr: string }> }>;
        templating: { list: Array<{ name: string }> };
      };
      expect(dashboard.uid).to.equal('backoffice');
      expect(dashboard.templating.list.map((v) => v.name)).to.include.members(['datasource', 'namespace']);
      const named = new Set<string>();
      for (const panel of dashboard.panels) {
        expect(panel.targets, panel.title).not.to.be.empty;
        for (const { expr } of panel.targets) {
          const { metrics, errors } = promql(expr);
          expect(errors, `${panel.title}: ${expr}`).to.deep.equal([]);
          expect(
            metrics.filter((m) => !KNOWN_METRICS.has(m)),
            panel.title,
          ).to.deep.equal([]);
          metrics.forEach((m) => named.add(m));
        }
      }
      const unshown = APP_METRICS.filter((m) => !named.has(m) && !/_(sum|count)$/.test(m));
      expect(unshown, 'app metrics no panel shows').to.deep.equal([]);
      const configMap = only(objects(), 'ConfigMap');
      expect(configMap.metadata.labels).to.include({ grafana_dashboard: '1' });
      expect((configMap.data as Record<string, string>)['backoffice-dashboard.json']).to.equal(file);
    });
  });

  describe('the runbook (docs/md/runbooks/kubernetes.md)', () => {
    const page = fs.readFileSync(path.join(ROOT, 'docs/md/runbooks/kubernetes.md'), 'utf8');

    it('creates the Secret with configuration variables only, and the manifests name that Secret', () => {
      const command = /kubectl create secret generic backoffice-secrets[^`]*?(?=\n```)/s.exec(page);
      expect(command, 'the kubectl create secret command').not.to.equal(null);
      const keys = [...command![0].matchAll(/--from-literal=([A-Z_]+)=/g)].map((m) => m[1]!);
      expect(keys).to.include.members(['SECRET_KEY', 'DATABASE_URL', 'MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD']);
      expect(keys.filter((k) => !CONFIG_VARIABLES.includes(k))).to.deep.equal([]);
    });

    it('its sizing table gives the requests and limits of the app container', () => {
      const app = podSpecOf(only(rendered.get('overlays/production')!, 'Deployment'))!.containers[0];
      const mib = (q: string) => `${quantity(q) / 2 ** 20} MiB`;
      const cores = (q: string) => `${quantity(q)} core${quantity(q) === 1 ? '' : 's'}`;
      expect(page).to.include(
        `| memory | ${mib(app.resources.requests.memory)} | ${mib(app.resources.limits.memory)} |`,
      );
      expect(page).to.include(`| CPU | ${cores(app.resources.requests.cpu)} | ${cores(app.resources.limits.cpu)} |`);
    });

    it('applies every kustomization the tests render, and names the probe routes', () => {
      for (const dir of [...OVERLAYS, 'cluster', 'monitoring']) expect(page).to.include(`deploy/kubernetes/${dir}`);
      for (const route of Object.values(PROBE_PATHS)) expect(page).to.include(route);
      expect(page).to.include('node dist/cli.js create-superuser');
    });
  });

  it('every YAML file of deploy/kubernetes parses', () => {
    const files = fs
      .readdirSync(KUBERNETES_DIR, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).to.be.at.least(15);
    for (const file of files)
      expect(() => parseYamlObjects(fs.readFileSync(path.join(KUBERNETES_DIR, file), 'utf8')), file).not.to.throw();
  });
});
