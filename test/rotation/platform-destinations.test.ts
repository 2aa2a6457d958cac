/**
 * End to end on the real Temporal dev server: one rotation storing into a file, a real Kubernetes
 * Secret (kube-apiserver + etcd, its Deployment rolled and waited for), the Vercel fake
 * (redeployed and waited for) and the GitHub fake (write-only), succeeding; and the same four
 * with the last one (the Kubernetes Secret, RBAC allowing reads only) refusing the write, rolled
 * back in all the others.
 */
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { RESTARTED_FOR_ANNOTATION } from '../../src/stores/kubernetes-secret/index.js';
import { startGithubFake, type GithubFake } from '../stores/github-fake.js';
import { startKubeApiServer, type KubeApiServer } from '../stores/kube-apiserver.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';
import { startVercelFake, type VercelFake } from '../stores/vercel-fake.js';

const NAMESPACE = 'platform';
const GITHUB_TOKEN = 'ghp_platform_writer_0123456789abcdef';
const VERCEL_TOKEN = 'vercel_platform_token_0123456789abcdef';

let h: RotationHarness;
let kube: KubeApiServer;
let github: GithubFake;
let vercel: VercelFake;
let kubeconfig: string;
let readerKubeconfig: string;
let controller: NodeJS.Timeout | undefined;

beforeAll(async () => {
  [h, kube, github, vercel] = await Promise.all([
    createRotationHarness(),
    startKubeApiServer(),
    startGithubFake({
      tokens: [GITHUB_TOKEN],
      repositories: ['octo/app'],
    }),
    startVercelFake({ token: VERCEL_TOKEN, projects: [{ name: 'web' }], buildMs: 300 }),
  ]);
  await kube.api('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE } });
  // The Role docs/operations.md gives the worker, for the `writer` user of the kubeconfig.
  await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/roles`, {
    metadata: { name: 'key-rotator' },
    rules: [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'patch'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'statefulsets', 'daemonsets'],
        verbs: ['get', 'patch'],
      },
    ],
  });
  await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`, {
    metadata: { name: 'key-rotator' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'key-rotator' },
    subjects: [{ kind: 'User', name: 'writer', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  kubeconfig = await kube.writeKubeconfig({ token: kube.tokens.writer, fileName: 'worker-kubeconfig.yaml' });
  // `restricted` may read Secrets here but not write them: the destination that fails last.
  await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/roles`, {
    metadata: { name: 'secret-reader' },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
  });
  await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`, {
    metadata: { name: 'secret-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
    subjects: [{ kind: 'User', name: 'restricted', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  readerKubeconfig = await kube.writeKubeconfig({
    token: kube.tokens.restricted,
    fileName: 'reader-kubeconfig.yaml',
  });
  controller = actAsDeploymentController();

  h.workerEnv.GITHUB_TOKEN = GITHUB_TOKEN;
  h.workerEnv.VERCEL_TOKEN = VERCEL_TOKEN;
  h.allow({
    kubernetesApiServers: [kube.server],
    githubApiUrls: [github.url],
    vercelApiUrls: [vercel.url],
    credentialEnvs: ['GITHUB_TOKEN', 'VERCEL_TOKEN'],
    credentialFileRoots: [kube.dir],
  });
}, 180_000);
afterAll(async () => {
  if (controller) clearInterval(controller);
  await Promise.all([h?.close(), kube?.stop(), github?.stop(), vercel?.stop()]);
});

/**
 * No kube-controller-manager runs here: this loop reports every Deployment of the namespace as
 * rolled out once it has a new generation, as the deployment controller would after the pods came up.
 */
function actAsDeploymentController(): NodeJS.Timeout {
  let busy = false;
  return setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const { body } = await kube.api('GET', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`);
      for (const d of body.items as {
        metadata: { name: string; generation: number };
        status?: { observedGeneration?: number };
      }[]) {
        if (d.status?.observedGeneration === d.metadata.generation) continue;
        await kube.api(
          'PUT',
          `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${d.metadata.name}/status`,
          {
            ...d,
            status: {
              observedGeneration: d.metadata.generation,
              replicas: 1,
              updatedReplicas: 1,
              readyReplicas: 1,
              availableReplicas: 1,
            },
          },
          { allowStatus: [409] },
        );
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, 200);
}

async function kubeSecretValue(name: string): Promise<string | undefined> {
  const { body } = await kube.api('GET', `/api/v1/namespaces/${NAMESPACE}/secrets/${name}`);
  const encoded = (body.data as Record<string, string>).OPENROUTER_API_KEY;
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

async function restartedFor(deployment: string): Promise<string | undefined> {
  const { body } = await kube.api('GET', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${deployment}`);
  return body.spec.template.metadata.annotations?.[RESTARTED_FOR_ANNOTATION];
}

/**
 * The same hand-made key in all four places; returns the rotation. `failLast`: the Kubernetes
 * Secret comes last, written with an identity that may read Secrets but not write them.
 */
async function setUp(
  name: string,
  failLast = false,
): Promise<{ rotation: RotationConfig; old: { key: string; hash: string } }> {
  const old = await h.adoptKey([`${name}.env`]);
  await kube.api('POST', `/api/v1/namespaces/${NAMESPACE}/secrets`, {
    metadata: { name },
    stringData: { OPENROUTER_API_KEY: old.key, DATABASE_URL: 'postgres://db/app' },
  });
  await kube.api('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
      },
    },
  });
  const secretName = `${name.toUpperCase().replace(/-/g, '_')}_OPENROUTER_KEY`;
  github.setSecret('repos/octo/app', secretName, old.key, Date.now() - 86_400_000);
  vercel.setVariable('web', secretName, old.key, 'encrypted', ['production']);
  const file = { type: 'file', path: join(h.dir, `${name}.env`) };
  const kubernetes = {
    type: 'kubernetes-secret',
    namespace: NAMESPACE,
    name,
    auth: {
      method: 'kubeconfig',
      kubeconfig: { file: failLast ? readerKubeconfig : kubeconfig },
      server: kube.server,
    },
    ...(failLast ? {} : { restart: [{ kind: 'Deployment', name }] }),
  };
  const vercelEnv = {
    type: 'vercel-env',
    apiUrl: vercel.url,
    project: 'web',
    key: secretName,
    redeploy: true,
    auth: { token: { env: 'VERCEL_TOKEN' } },
  };
  const githubSecret = {
    type: 'github-actions-secret',
    apiUrl: github.url,
    repository: 'octo/app',
    secretName,
    auth: { token: { env: 'GITHUB_TOKEN' } },
  };
  const rotation = h.rotation(name, {
    destinations: failLast
      ? [file, vercelEnv, githubSecret, kubernetes]
      : [file, kubernetes, vercelEnv, githubSecret],
  });
  return { rotation, old };
}

async function run(rotation: RotationConfig) {
  const worker = await h.worker();
  return worker.runUntil(async () => {
    const handle = await h.startRotation(rotation);
    return handle.result().catch((e: unknown) => e as Error);
  });
}

function githubValue(secretName: string): string | undefined {
  return github.secrets().find((s) => s.scope === 'repos/octo/app' && s.name === secretName)?.value;
}

function vercelValue(key: string): string | undefined {
  return vercel.secrets().find((v) => v.project === 'web' && v.key === key)?.value;
}

describe('a rotation into a file, a Kubernetes Secret, Vercel and GitHub at once', () => {
  it('ends with the new key everywhere, the workload rolled and the redeployment done, the old key deleted', async () => {
    const { rotation, old } = await setUp('platform-ok');
    const result = await run(rotation);
    if (result instanceof Error) throw result;

    const newKey = (await h.readKeyFrom('platform-ok.env'))!;
    expect(newKey).not.toBe(old.key);
    expect(result.newKey?.hash).toBe(hashOfKey(newKey));
    expect(result.destinations.map((d) => d.destination.split(':')[0])).toEqual([
      'file',
      'kubernetes-secret',
      'vercel-env',
      'github-actions-secret',
    ]);
    expect(await kubeSecretValue('platform-ok')).toBe(newKey);
    expect(await restartedFor('platform-ok')).toBeDefined();
    expect(vercelValue('PLATFORM_OK_OPENROUTER_KEY')).toBe(newKey);
    expect(
      vercel.deployments('web').some((d) => d.redeployOf !== undefined && d.readyState === 'READY'),
    ).toBe(true);
    expect(githubValue('PLATFORM_OK_OPENROUTER_KEY')).toBe(newKey);
    expect(github.violations).toEqual([]);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
  }, 240_000);

  it('when the last destination (the Kubernetes Secret) refuses the write, the others are back on the old key and the new key is deleted', async () => {
    const { rotation, old } = await setUp('platform-fails', true);
    const error = await run(rotation);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toContain('rolled back');
    expect(message).toContain(`kubernetes-secret:${new URL(kube.server).host}/${NAMESPACE}/platform-fails`);
    expect(message).toMatch(/refused to patch secrets in namespace platform \(HTTP 403/);
    expect(message).not.toContain(kube.tokens.restricted);

    expect(await h.readKeyFrom('platform-fails.env')).toBe(old.key);
    expect(await kubeSecretValue('platform-fails')).toBe(old.key);
    expect(vercelValue('PLATFORM_FAILS_OPENROUTER_KEY')).toBe(old.key);
    // GitHub was written (the new key) and then written again (the old key taken from the readable destinations).
    expect(githubValue('PLATFORM_FAILS_OPENROUTER_KEY')).toBe(old.key);
    expect(
      github.requests.filter(
        (r) => r.method === 'PUT' && r.path.endsWith('/secrets/PLATFORM_FAILS_OPENROUTER_KEY'),
      ).length,
    ).toBeGreaterThanOrEqual(2);
    expect(github.violations).toEqual([]);
    const created = h.emulator.snapshot().keys.filter((k) => k.name.includes('key-rotator platform-fails '));
    expect(created).toHaveLength(1);
    expect(created[0]!.deleted).toBe(true);
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
  }, 240_000);
});
