/**
 * deploy/helm/key-rotator, checked with helm v4 (scripts/ensure-go-test-servers.sh helm) and a real
 * kube-apiserver (test/stores/kube-apiserver.ts): `helm lint` and `helm template` of the three value
 * sets in the chart's ci/ folder (minimal; Kubernetes destination with two Secrets and a rollout;
 * everything on), then every rendered object applied server-side with dryRun=All (after the
 * prometheus-operator CRDs, vendored in test/fixtures/prometheus-operator-crds), the RBAC checked
 * for least privilege (by rule and by SubjectAccessReview of the worker's service account), no
 * credential in any object, the alerts from deploy/prometheus/alerts.yaml, and the README's
 * "Deploy on Kubernetes" commands run as printed.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { findPolicyProblems } from '../../src/policy/check-environment.js';
import { parseWorkerPolicy } from '../../src/policy/load-worker-policy.js';
import { workerPolicySchema } from '../../src/policy/worker-policy-schema.js';
import { startKubeApiServer, type KubeApiServer } from '../stores/kube-apiserver.js';
import { waitFor } from '../support/net.js';
import { goTestServer } from '../support/temporal-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const CHART = 'deploy/helm/key-rotator';
const RELEASE = 'key-rotator';
const NAMESPACE = 'key-rotator';
const VALUE_SETS = ['minimal', 'kubernetes', 'full'] as const;
type ValueSet = (typeof VALUE_SETS)[number];
const valuesFile = (set: ValueSet) => `${CHART}/ci/${set}-values.yaml`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- values are free-form YAML
type Values = Record<string, any>;
const readYaml = (file: string) => parseYaml(readFileSync(path.join(root, file), 'utf8')) as Values;
/** A value set over the chart's values.yaml (top-level keys replaced, as the sets here use them). */
const readValues = (set: ValueSet): Values => ({
  ...readYaml(`${CHART}/values.yaml`),
  ...readYaml(valuesFile(set)),
});

type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- Kubernetes objects are read freely
};

let helmBinary: string;
async function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(helmBinary, args, {
      cwd: root,
      timeout: 120_000,
      maxBuffer: 32 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function template(
  set: ValueSet,
  extra: string[] = [],
): Promise<{ text: string; objects: KubeObject[] }> {
  const rendered = await helm(['template', RELEASE, CHART, '-n', NAMESPACE, '-f', valuesFile(set), ...extra]);
  expect(rendered.code, rendered.stderr).toBe(0);
  const objects = parseAllDocuments(rendered.stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
  return { text: rendered.stdout, objects };
}

/** The REST path of an object, by its API group and kind. */
const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  Deployment: 'deployments',
  Job: 'jobs',
  PodDisruptionBudget: 'poddisruptionbudgets',
  NetworkPolicy: 'networkpolicies',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ServiceMonitor: 'servicemonitors',
  PrometheusRule: 'prometheusrules',
  CustomResourceDefinition: 'customresourcedefinitions',
};
function objectPath(o: KubeObject): string {
  const plural = PLURALS[o.kind];
  if (!plural) throw new Error(`no REST path known for ${o.kind}: add it to PLURALS`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${base}${ns}/${plural}/${o.metadata.name}`;
}

let kube: KubeApiServer;
const rendered = new Map<ValueSet, { text: string; objects: KubeObject[] }>();

async function serverSideApply(o: KubeObject, dryRun: boolean) {
  return kube.api(
    'PATCH',
    `${objectPath(o)}?fieldManager=helm-chart-test&force=true${dryRun ? '&dryRun=All' : ''}`,
    o,
    { contentType: 'application/apply-patch+yaml', allowStatus: [400, 403, 404, 409, 422] },
  );
}

beforeAll(async () => {
  helmBinary = goTestServer('helm');
  for (const set of VALUE_SETS) rendered.set(set, await template(set));
  kube = await startKubeApiServer();
  for (const ns of [NAMESPACE, 'checkout', 'billing'])
    await kube.api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  const crdDir = path.join(root, 'test/fixtures/prometheus-operator-crds');
  for (const file of readdirSync(crdDir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parseYaml(readFileSync(path.join(crdDir, file), 'utf8')) as KubeObject;
    const answer = await serverSideApply(crd, false);
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    await waitFor(
      async () => {
        const { body } = await kube.api('GET', objectPath(crd));
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a CRD's status
        return body.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
      },
      { what: `the CRD ${crd.metadata.name} established`, timeoutMs: 30_000 },
    );
  }
}, 300_000);

afterAll(async () => {
  await kube?.stop();
});

describe('helm lint and helm template', () => {
  it.each(VALUE_SETS)('lints with the %s values', async (set) => {
    const lint = await helm(['lint', CHART, '-f', valuesFile(set)]);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it.each([
    ['replicaCount=two', /replicaCount/],
    ['codecKeyring.existingSecret=', /codecKeyring\/existingSecret/],
    ['managementKey=sk-or-v1-x', /additional properties 'managementKey' not allowed/],
  ])('refuses --set %s through values.schema.json, naming the value', async (setting, message) => {
    const refused = await helm(['template', RELEASE, CHART, '-f', valuesFile('minimal'), '--set', setting]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(message);
  });

  it("ships value sets whose rotations and policy the worker's own schemas accept", () => {
    for (const set of VALUE_SETS) {
      const values = readValues(set);
      const config = parseConfig(JSON.stringify(values.rotations), `${set}-values.yaml rotations`);
      const policy = parseWorkerPolicy(JSON.stringify(values.policy), `${set}-values.yaml policy`);
      expect(findPolicyProblems(config, policy), set).toEqual([]);
    }
  });

  it('renders the worker as replicas ≥ 2, non-root, read-only, no escalation, seccomp RuntimeDefault, probes on /metrics', () => {
    for (const set of VALUE_SETS) {
      const deployment = rendered
        .get(set)!
        .objects.find((o) => o.kind === 'Deployment' && o.metadata.name === RELEASE)!;
      expect(deployment.spec.replicas, set).toBeGreaterThanOrEqual(2);
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const [worker] = pod.containers;
      expect(worker.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(worker.args).toEqual(['worker']);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
        expect(worker[probe].httpGet, probe).toEqual({ path: '/metrics', port: 'metrics' });
      expect(worker.env).toContainEqual({ name: 'KEY_ROTATOR_METRICS_ADDRESS', value: '0.0.0.0:9464' });
      // Memory from docs/benchmarks.md: 319 MB peak with 100 in flight, 635 MB with 1,000.
      expect(worker.resources).toEqual({
        requests: { cpu: '100m', memory: '320Mi' },
        limits: { cpu: '1', memory: '768Mi' },
      });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(60);
      expect(pod.automountServiceAccountToken, set).toBe(set !== 'minimal');
    }
  });

  it('rolls the pods when the rotations or the policy change (checksum annotation)', async () => {
    const checksum = (objects: KubeObject[]) =>
      objects.find((o) => o.kind === 'Deployment' && o.metadata.name === RELEASE)!.spec.template.metadata
        .annotations['checksum/config'];
    const before = checksum(rendered.get('kubernetes')!.objects);
    const changed = await template('kubernetes', ['--set', 'rotations.rotations[0].gracePeriod=2h']);
    expect(checksum(changed.objects)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(changed.objects)).not.toBe(before);
  });

  it('puts the alerts of deploy/prometheus/alerts.yaml in the PrometheusRule, unchanged', () => {
    const rule = rendered.get('full')!.objects.find((o) => o.kind === 'PrometheusRule')!;
    const alerts = parseYaml(
      readFileSync(path.join(root, 'deploy/prometheus/alerts.yaml'), 'utf8'),
    ) as object;
    expect(rule.spec).toEqual(alerts);
    expect(
      rendered
        .get('minimal')!
        .objects.some((o) => o.kind === 'PrometheusRule' || o.kind === 'ServiceMonitor'),
    ).toBe(false);
  });

  it("opens egress to Temporal, DNS and the policy's origins only, with the worker's defaults for lists left out", () => {
    for (const set of VALUE_SETS) {
      const { text, objects } = rendered.get(set)!;
      const policy = workerPolicySchema.parse(readValues(set).policy);
      const urls = [
        ...policy.openrouter.baseUrls,
        ...policy.destinations.vaultAddresses,
        ...policy.destinations.infisicalSiteUrls,
        ...policy.destinations.awsEndpoints,
        ...policy.destinations.githubApiUrls,
        ...policy.destinations.vercelApiUrls,
        ...policy.destinations.kubernetesApiServers,
        ...policy.destinations.gcpSecretManagerEndpoints,
        ...policy.notifications.webhookOrigins,
      ];
      const expected = [
        ...new Set(
          urls
            .map((u) => new URL(u))
            .map((u) => `${u.hostname}:${u.port || (u.protocol === 'http:' ? 80 : 443)}`),
        ),
      ];
      const commented = [...text.matchAll(/# (\S+:\d+) \(worker policy\)/g)].map((m) => m[1]);
      expect(commented.sort(), set).toEqual(expected.sort());
      const np = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === RELEASE)!;
      expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      // Temporal, DNS, then one rule per origin.
      expect(np.spec.egress).toHaveLength(2 + expected.length);
    }
  });
});

describe('the RBAC is least privilege', () => {
  it('has no wildcard and nothing cluster-wide; no Role at all when no rotation writes a Kubernetes Secret', () => {
    for (const set of VALUE_SETS) {
      const { objects } = rendered.get(set)!;
      expect(
        objects.filter((o) => /^Cluster/.test(o.kind)),
        set,
      ).toEqual([]);
      for (const role of objects.filter((o) => o.kind === 'Role')) {
        for (const rule of role.rules) {
          for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'])
            expect(rule[field] ?? [], `${set} ${field}`).not.toContain('*');
          expect(rule.verbs).not.toEqual(expect.arrayContaining(['list']));
          expect(rule.verbs).not.toEqual(expect.arrayContaining(['watch']));
          expect(rule.verbs).not.toEqual(expect.arrayContaining(['delete']));
          // Only create cannot be limited to names (rbac.createMissingSecrets, off by default).
          if (!rule.verbs.includes('create')) expect(rule.resourceNames?.length, set).toBeGreaterThan(0);
        }
      }
    }
    expect(
      rendered.get('minimal')!.objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding'),
    ).toEqual([]);
  });

  it('grants get and patch on exactly the named Secrets and restart workloads', () => {
    const roles = rendered.get('kubernetes')!.objects.filter((o) => o.kind === 'Role');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['checkout']);
    expect(roles[0]!.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['checkout-openrouter', 'checkout-worker-openrouter'],
        verbs: ['get', 'patch'],
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments'],
        resourceNames: ['checkout-api'],
        verbs: ['get', 'patch'],
      },
    ]);
    const full = rendered.get('full')!.objects.filter((o) => o.kind === 'Role');
    expect(full.map((r) => r.metadata.namespace)).toEqual(['billing', 'checkout']);
  });

  it('lets the worker do exactly that on the API server (SubjectAccessReview)', async () => {
    for (const o of rendered
      .get('kubernetes')!
      .objects.filter((x) => x.kind === 'Role' || x.kind === 'RoleBinding')) {
      const answer = await serverSideApply(o, false);
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    }
    const serviceAccount = `system:serviceaccount:${NAMESPACE}:${RELEASE}`;
    const may = async (attributes: Record<string, string>) => {
      const { body } = await kube.api('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: serviceAccount, groups: ['system:serviceaccounts'], resourceAttributes: attributes },
      });
      return body.status.allowed === true;
    };
    const secret = (verb: string, name?: string, namespace = 'checkout') => ({
      namespace,
      verb,
      resource: 'secrets',
      ...(name ? { name } : {}),
    });
    expect(await may(secret('get', 'checkout-openrouter'))).toBe(true);
    expect(await may(secret('patch', 'checkout-worker-openrouter'))).toBe(true);
    expect(await may(secret('get', 'another-secret'))).toBe(false);
    expect(await may(secret('list'))).toBe(false);
    expect(await may(secret('create'))).toBe(false);
    expect(await may(secret('delete', 'checkout-openrouter'))).toBe(false);
    expect(await may(secret('get', 'checkout-openrouter', 'billing'))).toBe(false);
    expect(await may(secret('get', 'checkout-openrouter', NAMESPACE))).toBe(false);
    const workload = (verb: string, resource: string, name: string) => ({
      namespace: 'checkout',
      group: 'apps',
      verb,
      resource,
      name,
    });
    expect(await may(workload('patch', 'deployments', 'checkout-api'))).toBe(true);
    expect(await may(workload('patch', 'deployments', 'checkout-web'))).toBe(false);
    expect(await may(workload('patch', 'statefulsets', 'checkout-api'))).toBe(false);
  });
});

describe('credentials', () => {
  it('appear in no rendered object: only names of Secrets, mounted as files or referenced by secretKeyRef', () => {
    for (const set of VALUE_SETS) {
      const { text, objects } = rendered.get(set)!;
      expect(
        objects.filter((o) => o.kind === 'Secret'),
        set,
      ).toEqual([]);
      expect(text).not.toMatch(/sk-or-v1-|PRIVATE KEY|"keys"\s*:/);
      for (const o of objects.filter((x) => ['Deployment', 'Job'].includes(x.kind))) {
        const pod = o.spec.template.spec;
        for (const container of pod.containers) {
          for (const env of container.env ?? []) {
            // A value is a setting or a path; a credential comes only by reference.
            if (env.value !== undefined)
              expect(env.name, `${set} ${o.metadata.name}`).toMatch(
                /^(TEMPORAL_(ADDRESS|NAMESPACE|TLS)|KEY_ROTATOR_(TASK_QUEUE|METRICS_ADDRESS|POLICY)|.*_FILE)$/,
              );
            else expect(env.valueFrom.secretKeyRef, env.name).toBeDefined();
          }
        }
        for (const volume of pod.volumes ?? [])
          if (volume.secret) expect(volume.secret.defaultMode).toBe(0o440);
      }
      // The sealing keyring is the worker's alone: not in the apply Job nor the codec server.
      for (const o of objects.filter((x) => x.kind === 'Job' || /-codec$/.test(x.metadata.name))) {
        expect(JSON.stringify(o)).not.toMatch(/sealing/);
      }
    }
  });
});

describe('every rendered object on a real kube-apiserver (server-side apply, dryRun=All)', () => {
  it.each(VALUE_SETS)('the %s values: all accepted', async (set) => {
    const objects = rendered.get(set)!.objects;
    expect(objects.length).toBeGreaterThan(5);
    const refused: string[] = [];
    for (const o of objects) {
      const answer = await serverSideApply(o, true);
      if (answer.status >= 300)
        refused.push(`${o.kind}/${o.metadata.name}: ${answer.status} ${answer.body?.message}`);
    }
    expect(refused).toEqual([]);
    const kinds = new Set(objects.map((o) => o.kind));
    if (set === 'full')
      for (const kind of [
        'ServiceMonitor',
        'PrometheusRule',
        'Role',
        'RoleBinding',
        'NetworkPolicy',
        'Job',
        'PodDisruptionBudget',
      ])
        expect(kinds.has(kind), kind).toBe(true);
  });

  it('refuses an object the schema does not allow (the dry run does check)', async () => {
    const rule = structuredClone(rendered.get('full')!.objects.find((o) => o.kind === 'PrometheusRule')!);
    rule.spec.groups[0].rules[0].for = 'an hour';
    const answer = await serverSideApply(rule, true);
    expect(answer.status).toBe(422);
  });
});

describe('README "Deploy on Kubernetes"', () => {
  it('runs every command of its ```sh helm-tested block as printed', async () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /^```sh helm-tested\n([\s\S]*?)^```$/m.exec(readme)?.[1];
    expect(block, 'a ```sh helm-tested block in README.md').toBeDefined();
    const commands = block!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) {
      const result = await run('bash', ['-c', command], {
        cwd: root,
        env: { ...process.env, PATH: `${path.dirname(helmBinary)}:${process.env.PATH ?? ''}` },
        timeout: 120_000,
        maxBuffer: 32 << 20,
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({
          code: err.code ?? -1,
          stdout: `${err.stdout}${err.stderr}`,
        }),
      );
      expect(result.code, `${command}\n${result.stdout}`).toBe(0);
      expect(result.stdout.length, command).toBeGreaterThan(0);
    }
  });
});
