import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { envDocs, Environment, SECRET_DEFINITIONS } from '@app/core';
import { ROOT } from '../support/process';

/**
 * deploy/kubernetes (kustomize base + production overlay), without a cluster or kustomize: the overlay is rendered
 * here with the features it uses (resources, namespace, images, labels, merge patches), and every object is checked
 * for its API version and kind, a structure limited to the fields Kubernetes defines for what is used (a typo fails),
 * and the properties issue 24 asks for. It is not the full OpenAPI schema (no validator for it is installable here).
 */
type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
};
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KUSTOMIZE_ROOT = join(ROOT, 'deploy', 'kubernetes');
const readYaml = (path: string) => parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJSON() as Any);

function merge(base: Any, patch: Any): Any {
  const out: Any = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' ? merge(base[k], v) : v;
  }
  return out;
}

/** `kubectl kustomize <dir>` for the features these files use. */
function build(dir: string): Obj[] {
  const k = readYaml(join(dir, 'kustomization.yaml'))[0];
  let objs: Obj[] = [];
  for (const r of k.resources as string[]) {
    const path = join(dir, r);
    objs.push(...(r.endsWith('.yaml') ? (readYaml(path) as Obj[]) : build(path)));
  }
  for (const p of (k.patches ?? []) as { path: string }[]) {
    for (const patch of readYaml(join(dir, p.path))) {
      const i = objs.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (i === -1) throw new Error(`patch ${p.path} matches no object`);
      objs[i] = merge(objs[i], patch) as Obj;
    }
  }
  for (const l of (k.labels ?? []) as { pairs: Record<string, string> }[])
    objs = objs.map((o) => merge(o, { metadata: { labels: l.pairs } }) as Obj);
  if (k.namespace)
    objs = objs.map((o) => (o.kind === 'Namespace' ? o : (merge(o, { metadata: { namespace: k.namespace } }) as Obj)));
  for (const img of (k.images ?? []) as { name: string; newName?: string; digest?: string; newTag?: string }[]) {
    const ref = `${img.newName ?? img.name}${img.digest ? `@${img.digest}` : img.newTag ? `:${img.newTag}` : ''}`;
    for (const o of objs.filter((x) => x.kind === 'Deployment')) {
      const pod = (o as Any).spec.template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers])
        if (c.image === img.name || String(c.image).startsWith(`${img.name}:`)) c.image = ref;
    }
  }
  return objs;
}

/** The fields Kubernetes defines, for the parts of these objects that are used (a misspelt key is not ignored). */
const KNOWN: Record<string, string[]> = {
  top: ['apiVersion', 'kind', 'metadata', 'spec', 'data', 'automountServiceAccountToken'],
  metadata: ['name', 'namespace', 'labels', 'annotations'],
  deploymentSpec: ['replicas', 'revisionHistoryLimit', 'selector', 'strategy', 'template'],
  podSpec: [
    'serviceAccountName',
    'automountServiceAccountToken',
    'enableServiceLinks',
    'terminationGracePeriodSeconds',
    'securityContext',
    'topologySpreadConstraints',
    'initContainers',
    'containers',
    'volumes',
  ],
  container: [
    'name',
    'image',
    'imagePullPolicy',
    'command',
    'args',
    'envFrom',
    'env',
    'ports',
    'securityContext',
    'resources',
    'startupProbe',
    'readinessProbe',
    'livenessProbe',
    'volumeMounts',
  ],
  probe: ['httpGet', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'initialDelaySeconds'],
  containerSecurity: ['allowPrivilegeEscalation', 'readOnlyRootFilesystem', 'privileged', 'capabilities'],
  podSecurity: ['runAsNonRoot', 'runAsUser', 'runAsGroup', 'fsGroup', 'seccompProfile'],
};
const API: Record<string, string> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  NetworkPolicy: 'networking.k8s.io/v1',
};

function unknownKeys(obj: Any | undefined, allowed: string[], where: string): string[] {
  return Object.keys(obj ?? {})
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where}.${k}`);
}

describe('deploy/kubernetes (kustomize base + production overlay)', () => {
  const objs = build(join(KUSTOMIZE_ROOT, 'overlays', 'production'));
  const one = (kind: string) => objs.find((o) => o.kind === kind) as Any;
  const deployment = one('Deployment');
  const pod = deployment.spec.template.spec;
  const containers: Any[] = [...pod.initContainers, ...pod.containers];
  const api = pod.containers.find((c: Any) => c.name === 'api');

  it('renders known API versions and kinds, valid names, and only fields Kubernetes defines', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(Object.keys(API).sort());
    const problems: string[] = [];
    for (const o of objs) {
      if (API[o.kind] !== o.apiVersion) problems.push(`${o.kind}: apiVersion ${o.apiVersion}`);
      const n = o.metadata.name;
      if (!/^[a-z0-9-]{1,63}$/.test(n) || n.startsWith('-') || n.endsWith('-'))
        problems.push(`${o.kind}: name ${o.metadata.name}`);
      problems.push(
        ...unknownKeys(o, KNOWN.top, o.kind),
        ...unknownKeys(o.metadata, KNOWN.metadata, `${o.kind}.metadata`),
      );
      if (o.kind !== 'Namespace' && o.metadata.namespace !== 'security-backend') problems.push(`${o.kind}: namespace`);
    }
    problems.push(...unknownKeys(deployment.spec, KNOWN.deploymentSpec, 'Deployment.spec'));
    problems.push(
      ...unknownKeys(pod, KNOWN.podSpec, 'pod'),
      ...unknownKeys(pod.securityContext, KNOWN.podSecurity, 'pod.securityContext'),
    );
    for (const c of containers) {
      problems.push(...unknownKeys(c, KNOWN.container, c.name));
      problems.push(...unknownKeys(c.securityContext, KNOWN.containerSecurity, `${c.name}.securityContext`));
      for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe'])
        if (c[p]) problems.push(...unknownKeys(c[p], KNOWN.probe, `${c.name}.${p}`));
    }
    expect(problems).toEqual([]);
  });

  it('runs ≥ 2 replicas with probes on /health/ready and /health/live, resources, and the image pinned by digest', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels))
      expect(deployment.spec.template.metadata.labels[k]).toBe(v);
    expect(api.readinessProbe.httpGet).toMatchObject({ path: '/health/ready', scheme: 'HTTPS' });
    expect(api.livenessProbe.httpGet).toMatchObject({ path: '/health/live', scheme: 'HTTPS' });
    for (const c of containers) {
      expect(c.image).toMatch(/^[a-z0-9./-]+\/security-backend@sha256:[0-9a-f]{64}$/);
      for (const r of ['cpu', 'memory']) {
        expect(c.resources.requests[r]).toBeDefined();
        expect(c.resources.limits[r]).toBeDefined();
      }
    }
  });

  it('runs non-root with a read-only root, no privilege escalation, no capabilities and seccomp RuntimeDefault', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of containers)
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      });
    expect(one('Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('mounts secrets as files the service owns, mode 0400, in memory, read-only for the app', () => {
    const source = pod.volumes.find((v: Any) => v.secret);
    expect(source.secret.secretName).toBe('security-backend-secrets');
    const memory = pod.volumes.find((v: Any) => v.name === 'secrets');
    expect(memory.emptyDir.medium).toBe('Memory');
    expect(api.volumeMounts).toContainEqual({ name: 'secrets', mountPath: '/run/secrets', readOnly: true });
    expect(api.volumeMounts.some((m: Any) => m.name === source.name)).toBe(false); // the app never sees root-owned copies
    const copy = pod.initContainers.find((c: Any) => c.name === 'secret-files');
    expect(copy.command.join(' ')).toContain('umask 0377'); // files 0400, owned by the service user
  });

  it('a PodDisruptionBudget, an HPA on CPU, and a Service for the pods', () => {
    const labels = deployment.spec.template.metadata.labels;
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    const svc = one('Service');
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    expect(api.ports.map((p: Any) => p.name)).toContain(svc.spec.ports[0].targetPort);
  });

  it('NetworkPolicy: in from the ingress controller only; out to DNS, PostgreSQL, Redis, SMTP and public HTTPS', () => {
    const np = one('NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toHaveLength(1);
    expect(np.spec.ingress[0].from).toEqual([
      expect.objectContaining({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
      }),
    ]);
    expect(np.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: api.ports[0].containerPort }]);
    const ports = np.spec.egress
      .flatMap((e: Any) => e.ports.map((p: Any) => p.port))
      .sort((a: number, b: number) => a - b);
    expect(ports).toEqual([53, 53, 443, 465, 587, 5432, 6379]);
    const wide = np.spec.egress.find((e: Any) => e.to.some((t: Any) => t.ipBlock));
    expect(wide.to[0].ipBlock.except).toEqual(
      expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
    );
  });

  it('the ConfigMap names only settings the service knows, secrets only as files, and everything production requires', () => {
    const known = new Set([...envDocs(Environment).keys(), ...SECRET_DEFINITIONS.map((d) => `${d.name}_FILE`)]);
    const data = one('ConfigMap').data as Record<string, string>;
    for (const [k, v] of Object.entries(data)) {
      expect([k, known.has(k)]).toEqual([k, true]);
      expect(SECRET_DEFINITIONS.some((d) => d.name === k)).toBe(false);
      if (k.endsWith('_FILE')) expect(v).toMatch(/^\/run\/secrets\/[a-z_]+$/);
      expect(v).not.toMatch(/:\/\/[^/@\s]+:[^/@\s]+@/);
    }
    const required = [
      ...SECRET_DEFINITIONS.filter((d) => d.generate && !d.embeddedDatabaseOnly).map((d) => d.name),
      'SMTP_URL',
      'DATABASE_PASSWORD',
      'APP_TLS_KEY',
    ];
    expect(required.filter((n) => data[n] === undefined && data[`${n}_FILE`] === undefined)).toEqual([]);
    expect(data.NODE_ENV).toBe('production');
    expect(data.PUBLIC_URL).toBe('https://api.example.com'); // the overlay's patch applied
    expect(dirname(data.APP_TLS_CERT_FILE)).toBe('/run/secrets');
  });
});
