/**
 * Helpers of the Kubernetes manifest tests: render a kustomization with `kubectl kustomize`, validate
 * an object against the JSON schemas of its kind (the `kubernetes-models` packages), the policy a
 * reviewer holds the manifests to, and the metric names a PromQL expression reads.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import * as certManagerV1 from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/** The repository's root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The manifests' folder. */
export const KUBERNETES_DIR = path.join(ROOT, 'deploy/kubernetes');

/**
 * A part of a rendered object. Its shape is what `schemaProblem` checks against the schemas, so the
 * checks read it without restating every Kubernetes type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered YAML, validated against its schema
export type Yaml = any;

/** A rendered Kubernetes object, as YAML gives it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The `kubectl` the tests run: `KUBECTL`, else the first on PATH. */
export function kubectlPath(): string | null {
  if (process.env.KUBECTL) return fs.existsSync(process.env.KUBECTL) ? process.env.KUBECTL : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'kubectl');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** Why `kubectl kustomize` cannot run here, or null. */
export function missingKubectl(): string | null {
  return kubectlPath()
    ? null
    : "no kubectl on PATH (one with kustomize 5: the Kubernetes project's package, not Debian's kubernetes-client 1.20; or set KUBECTL)";
}

/** Renders a kustomization folder (relative to deploy/kubernetes/) and parses every object. */
export function render(kustomization: string): K8sObject[] {
  const output = execFileSync(kubectlPath()!, ['kustomize', path.join(KUBERNETES_DIR, kustomization)], {
    encoding: 'utf8',
  });
  return parseYamlObjects(output);
}

/** Every document of a YAML stream, refusing one that does not parse. */
export function parseYamlObjects(text: string): K8sObject[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
    return doc.toJS() as K8sObject;
  });
}

type ModelClass = new (data: unknown) => { validate(): void };

/** apiVersion → the models of its kinds. */
const MODELS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'autoscaling/v2': autoscalingV2,
  'policy/v1': policyV1,
  'networking.k8s.io/v1': networkingV1,
  'cert-manager.io/v1': certManagerV1,
  'monitoring.coreos.com/v1': monitoringV1,
};

/**
 * Validates an object against the JSON schema of its apiVersion and kind.
 *
 * @returns null when valid, else what is wrong (an unknown apiVersion or kind is wrong too)
 */
export function schemaProblem(object: K8sObject): string | null {
  const Model = MODELS[object.apiVersion]?.[object.kind] as ModelClass | undefined;
  if (typeof Model !== 'function') return `${object.apiVersion} ${object.kind}: no schema known for this kind`;
  try {
    new Model(object).validate();
    return null;
  } catch (error) {
    return `${object.kind}/${object.metadata?.name}: ${(error as Error).message}`;
  }
}

/** A container of a pod template, with where it is. */
export interface ContainerAt {
  readonly owner: string;
  readonly init: boolean;
  readonly container: Record<string, Yaml>;
}

/** The pod spec of a workload object (Deployment, Job, CronJob), or null for other kinds. */
export function podSpecOf(object: K8sObject): Record<string, Yaml> | null {
  const spec = object.spec as Record<string, Yaml> | undefined;
  if (object.kind === 'Deployment' || object.kind === 'Job') return spec?.template?.spec ?? null;
  if (object.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec ?? null;
  return null;
}

/** The pod template labels of a workload object. */
export function podLabelsOf(object: K8sObject): Record<string, string> {
  const spec = object.spec as Record<string, Yaml>;
  const template = object.kind === 'CronJob' ? spec.jobTemplate.spec.template : spec.template;
  return (template?.metadata?.labels ?? {}) as Record<string, string>;
}

/** Every container (init containers too) of every workload. */
export function containersOf(objects: readonly K8sObject[]): ContainerAt[] {
  return objects.flatMap((object) => {
    const pod = podSpecOf(object);
    if (!pod) return [];
    const owner = `${object.kind}/${object.metadata.name}`;
    return [
      ...((pod.initContainers ?? []) as Record<string, Yaml>[]).map((container) => ({ owner, init: true, container })),
      ...((pod.containers ?? []) as Record<string, Yaml>[]).map((container) => ({ owner, init: false, container })),
    ];
  });
}

/** A Kubernetes quantity (`500m`, `2`, `448Mi`, `1G`) as a number of units. */
export function quantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value);
  if (!match) throw new Error(`not a quantity: ${value}`);
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1);
}

/** The routes the probes must use (the app's contract for issue 16). */
export const PROBE_PATHS = { liveness: '/api/health/live/', readiness: '/api/health/ready/' } as const;

/**
 * What a reviewer would refuse in a set of rendered objects: a `:latest` or untagged image, an
 * image tag other than the released version, a container without CPU and memory requests and
 * limits (or limits below requests), a long-running container without liveness and readiness
 * probes on the app's health routes, a pod that may run as root, write its root filesystem,
 * escalate privileges, keep capabilities or mount a service-account token.
 */
export function policyProblems(objects: readonly K8sObject[], version: string): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (!pod) {
      if (object.kind === 'ServiceAccount' && object.automountServiceAccountToken !== false)
        problems.push(`ServiceAccount/${object.metadata.name}: automountServiceAccountToken is not false`);
      continue;
    }
    const owner = `${object.kind}/${object.metadata.name}`;
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${owner}: automountServiceAccountToken is not false`);
    if (pod.securityContext?.runAsNonRoot !== true)
      problems.push(`${owner}: pod securityContext.runAsNonRoot is not true`);
    if (pod.securityContext?.runAsUser === 0) problems.push(`${owner}: runs as uid 0`);
  }
  for (const { owner, init, container } of containersOf(objects)) {
    const at = `${owner} container ${container.name}`;
    const image = String(container.image ?? '');
    const tag = /:([^:/@]+)$/.exec(image)?.[1];
    if (!tag) problems.push(`${at}: image ${image} has no tag`);
    else if (tag === 'latest') problems.push(`${at}: image ${image} is :latest`);
    else if (tag !== version) problems.push(`${at}: image tag ${tag} is not the released version ${version}`);
    for (const kind of ['requests', 'limits'] as const)
      for (const resource of ['cpu', 'memory'])
        if (container.resources?.[kind]?.[resource] === undefined) problems.push(`${at}: no ${resource} ${kind}`);
    for (const resource of ['cpu', 'memory']) {
      const request = container.resources?.requests?.[resource];
      const limit = container.resources?.limits?.[resource];
      if (request !== undefined && limit !== undefined && quantity(limit) < quantity(request))
        problems.push(`${at}: ${resource} limit below its request`);
    }
    const security = container.securityContext ?? {};
    if (security.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
    if (security.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
    if (!(security.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities not dropped (ALL)`);
    if (security.runAsNonRoot === false || security.runAsUser === 0) problems.push(`${at}: may run as root`);
    // A Deployment's serving containers need both probes, on the app's routes.
    if (owner.startsWith('Deployment/') && !init) {
      for (const probe of ['liveness', 'readiness'] as const) {
        const spec = container[`${probe}Probe`];
        if (!spec) problems.push(`${at}: no ${probe} probe`);
        else if (spec.httpGet?.path !== PROBE_PATHS[probe])
          problems.push(`${at}: ${probe} probe on ${spec.httpGet?.path}, not ${PROBE_PATHS[probe]}`);
      }
    }
  }
  return problems;
}

/** A parsed PromQL expression: the metric names it selects and its syntax errors. */
export interface PromqlFacts {
  readonly metrics: string[];
  readonly errors: string[];
}

/**
 * Parses a PromQL expression with Prometheus's own grammar. Grafana's `$__rate_interval` and the like
 * are given a duration first; other `$variables` sit inside label values.
 */
export function promql(expression: string): PromqlFacts {
  const source = expression.replace(/\$__(rate_)?interval|\$__range/g, '5m');
  const metrics: string[] = [];
  const errors: string[] = [];
  parser.parse(source).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: …${source.slice(node.from, node.from + 20)}`);
      if (node.type.name === 'Identifier' && node.node.parent?.type.name === 'VectorSelector')
        metrics.push(source.slice(node.from, node.to));
      if (node.type.name === 'UnquotedLabelMatcher' && /^__name__\s*=/.test(source.slice(node.from, node.to)))
        errors.push('selects a metric by __name__ (name it instead)');
    },
  });
  return { metrics, errors };
}
