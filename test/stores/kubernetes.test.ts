/**
 * The Kubernetes Secret destination against a real kube-apiserver with etcd: create, update,
 * restore, concurrent changes (409), RBAC denial, rollout restart and the wait for it, kubectl's
 * ways to authenticate, a refused redirect, and what the worker policy refuses.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import {
  ConfigError,
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
  PolicyViolationError,
} from '../../src/errors/rotator-errors.js';
import {
  checkRotationAgainstPolicy,
  secretRefViolation,
  workerPolicyFromRules,
} from '../../src/policy/index.js';
import type { DestinationConfig } from '../../src/stores/destination-schemas.js';
import { vaultDestinationSchema } from '../../src/stores/vault/schema.js';
import {
  keyFieldManager,
  KubernetesSecretStore,
  RESTARTED_AT_ANNOTATION,
  RESTARTED_FOR_ANNOTATION,
  kubernetesSecretDestinationSchema,
  type KubernetesSecretDestinationConfig,
  type KubernetesSecretStoreDeps,
} from '../../src/stores/kubernetes-secret/index.js';
import { kubeRequest } from '../../src/stores/kubernetes-secret/kube-client.js';
import { startKubeApiServer, type ApiAnswer, type KubeApiServer } from './kube-apiserver.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const WRITE = { idempotencyToken: 'rotation-test-0001-store-000000000000000000000000' };
const RESTORE = { idempotencyToken: 'rotation-test-0001-restore-0000000000000000000000' };
const NAMESPACE = 'checkout';

let kube: KubeApiServer;
let writerKubeconfig: string;
let counter = 0;

/** The Role docs/operations.md gives the worker, bound to the `writer` user. */
async function grantDocumentedRole(namespace: string, subject: Record<string, string>, name: string) {
  await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
    metadata: { name },
    rules: [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'patch'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'statefulsets', 'daemonsets'],
        verbs: ['get', 'patch'],
      },
    ],
  });
  await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [subject],
  });
}

beforeAll(async () => {
  kube = await startKubeApiServer();
  await kube.api('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE } });
  await grantDocumentedRole(
    NAMESPACE,
    { kind: 'User', name: 'writer', apiGroup: 'rbac.authorization.k8s.io' },
    'key-rotator',
  );
  writerKubeconfig = await kube.writeKubeconfig({ token: kube.tokens.writer, fileName: 'writer.yaml' });
}, 120_000);
afterAll(async () => {
  await kube?.stop();
});

function secretName(): string {
  return `openrouter-${++counter}`;
}

function config(
  name: string,
  extra: Partial<KubernetesSecretDestinationConfig> = {},
  kubeconfig = writerKubeconfig,
): KubernetesSecretDestinationConfig {
  return kubernetesSecretDestinationSchema.parse({
    type: 'kubernetes-secret',
    namespace: NAMESPACE,
    name,
    auth: { method: 'kubeconfig', kubeconfig: { file: kubeconfig }, server: kube.server },
    ...extra,
  });
}

function store(
  name: string,
  extra: Partial<KubernetesSecretDestinationConfig> = {},
  deps: KubernetesSecretStoreDeps = {},
): KubernetesSecretStore {
  return new KubernetesSecretStore(config(name, extra), deps);
}

async function secretData(name: string): Promise<Record<string, string>> {
  const { body } = await kube.api('GET', `/api/v1/namespaces/${NAMESPACE}/secrets/${name}`);
  return Object.fromEntries(
    Object.entries((body.data ?? {}) as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString(),
    ]),
  );
}

async function seedSecret(name: string, data: Record<string, string>): Promise<void> {
  await kube.api('POST', `/api/v1/namespaces/${NAMESPACE}/secrets`, {
    metadata: { name },
    stringData: data,
  });
}

/** Someone else's change to the Secret, as kubectl would make it (a merge patch as admin). */
async function changeAsSomeoneElse(name: string, data: Record<string, string>): Promise<void> {
  await kube.api(
    'PATCH',
    `/api/v1/namespaces/${NAMESPACE}/secrets/${name}`,
    { stringData: data },
    { contentType: 'application/merge-patch+json' },
  );
}

/** The real request function, running `before` ahead of the first request that matches. */
function interceptFirst(
  matches: (req: Parameters<typeof kubeRequest>[1]) => boolean,
  before: () => Promise<void>,
  times = 1,
): typeof kubeRequest {
  let left = times;
  return async (connection, req, description, timeoutMs) => {
    if (left > 0 && matches(req)) {
      left--;
      await before();
    }
    return kubeRequest(connection, req, description, timeoutMs);
  };
}

const isApply = (req: { method: string }) => req.method === 'PATCH';

async function expectRejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('Kubernetes Secret destination: writing one key', () => {
  it('creates the Secret when it is missing and reads the key back', async () => {
    const name = secretName();
    const s = store(name);
    expect(await s.read()).toBeNull();
    const { version } = await s.write(NEW_KEY, WRITE);
    expect(await secretData(name)).toEqual({ OPENROUTER_API_KEY: NEW_KEY });
    expect(await s.read()).toEqual({ value: NEW_KEY, version });
    expect(s.description).toBe(
      `kubernetes-secret:${new URL(kube.server).host}/${NAMESPACE}/${name}#OPENROUTER_API_KEY`,
    );
  });

  it('updates only its key, keeps the others, and restores the previous value', async () => {
    const name = secretName();
    await seedSecret(name, { OPENROUTER_API_KEY: OLD_KEY, DATABASE_URL: 'postgres://db/app' });
    const s = store(name);
    const before = await s.read();
    const written = await s.write(NEW_KEY, WRITE);
    expect(written.version).not.toBe(before?.version);
    expect(await secretData(name)).toEqual({
      OPENROUTER_API_KEY: NEW_KEY,
      DATABASE_URL: 'postgres://db/app',
    });

    const restored = await s.restore(OLD_KEY, RESTORE);
    expect(await secretData(name)).toEqual({
      OPENROUTER_API_KEY: OLD_KEY,
      DATABASE_URL: 'postgres://db/app',
    });
    expect(await s.read()).toEqual({ value: OLD_KEY, version: restored.version });
  });

  it("two destinations writing different keys of one Secret keep each other's key", async () => {
    const name = secretName();
    const checkout = store(name, { key: 'CHECKOUT_KEY' });
    const search = store(name, { key: 'SEARCH_KEY' });
    await checkout.write(OLD_KEY, WRITE);
    await search.write(OLD_KEY, WRITE);
    await checkout.write(NEW_KEY, WRITE);
    await search.write(NEW_KEY, WRITE);
    await checkout.restore(OLD_KEY, RESTORE);
    expect(await secretData(name)).toEqual({ CHECKOUT_KEY: OLD_KEY, SEARCH_KEY: NEW_KEY });
  });

  it("two destinations whose long keys start alike keep each other's key (field managers stay apart)", async () => {
    const name = secretName();
    // Field manager names stop at 128 characters; these keys differ only after 200.
    const start = `APP_${'X'.repeat(200)}_`;
    const first = store(name, { key: `${start}FIRST` });
    const second = store(name, { key: `${start}SECOND` });
    await first.write(OLD_KEY, WRITE);
    await second.write(OLD_KEY, WRITE);
    await first.write(NEW_KEY, WRITE);
    expect(await secretData(name)).toEqual({ [`${start}FIRST`]: NEW_KEY, [`${start}SECOND`]: OLD_KEY });
    expect(keyFieldManager(`${start}FIRST`)).not.toBe(keyFieldManager(`${start}SECOND`));
    expect(keyFieldManager(`${start}FIRST`).length).toBeLessThanOrEqual(128);
    expect(keyFieldManager('OPENROUTER_API_KEY')).toBe('openrouter-key-rotator/OPENROUTER_API_KEY');
  });

  it('repeats a write that already went through without another version', async () => {
    const name = secretName();
    const s = store(name);
    const first = await s.write(NEW_KEY, WRITE);
    const again = await s.write(NEW_KEY, WRITE);
    expect(again.version).toBe(first.version);
  });

  it('refuses an empty value', async () => {
    const err = await expectRejection(store(secretName()).write('', WRITE));
    expect(err).toBeInstanceOf(DestinationError);
    expect(err.message).toMatch(/empty value/);
  });
});

describe('Kubernetes Secret destination: someone else changes the Secret', () => {
  it('re-reads after a 409 from a stale resourceVersion and applies again, keeping their change', async () => {
    const name = secretName();
    await seedSecret(name, { OPENROUTER_API_KEY: OLD_KEY });
    let requests = 0;
    const send = interceptFirst(isApply, () => changeAsSomeoneElse(name, { OTHER: 'theirs' }));
    const counting: typeof kubeRequest = async (...args) => {
      const response = await send(...args);
      if (args[1].method === 'PATCH') requests++;
      if (args[1].method === 'PATCH' && requests === 1) expect(response.status).toBe(409);
      return response;
    };
    await store(name, {}, { send: counting }).write(NEW_KEY, WRITE);
    expect(requests).toBe(2);
    expect(await secretData(name)).toEqual({ OPENROUTER_API_KEY: NEW_KEY, OTHER: 'theirs' });
  });

  it('never overwrites a value someone else wrote into our key meanwhile (DestinationConflictError)', async () => {
    const name = secretName();
    await seedSecret(name, { OPENROUTER_API_KEY: OLD_KEY });
    const theirs = 'sk-or-v1-' + 'c'.repeat(64);
    const send = interceptFirst(isApply, () => changeAsSomeoneElse(name, { OPENROUTER_API_KEY: theirs }));
    const err = await expectRejection(store(name, {}, { send }).write(NEW_KEY, WRITE));
    expect(err).toBeInstanceOf(DestinationConflictError);
    expect(err.message).toMatch(/changed by someone else/);
    expect(err.message).not.toContain(theirs);
    expect(await secretData(name)).toEqual({ OPENROUTER_API_KEY: theirs });
  });

  it('gives up with DestinationConflictError when the Secret keeps changing', async () => {
    const name = secretName();
    await seedSecret(name, { OPENROUTER_API_KEY: OLD_KEY });
    let n = 0;
    const send = interceptFirst(isApply, () => changeAsSomeoneElse(name, { OTHER: `change-${++n}` }), 10);
    const err = await expectRejection(store(name, {}, { send, maxWriteAttempts: 3 }).write(NEW_KEY, WRITE));
    expect(err).toBeInstanceOf(DestinationConflictError);
    expect(err.message).toMatch(/kept changing .*3 tries/);
    expect((await secretData(name)).OPENROUTER_API_KEY).toBe(OLD_KEY);
  });

  it('applies to a Secret someone else created between our read and our create', async () => {
    const name = secretName();
    const send = interceptFirst(
      (req) => req.method === 'POST',
      () => seedSecret(name, { OTHER: 'theirs' }),
    );
    await store(name, {}, { send }).write(NEW_KEY, WRITE);
    expect(await secretData(name)).toEqual({ OPENROUTER_API_KEY: NEW_KEY, OTHER: 'theirs' });
  });
});

describe('Kubernetes Secret destination: permissions and credentials', () => {
  it('reports an RBAC denial as a non-retryable DestinationAuthError naming the verb and resource', async () => {
    const kubeconfig = await kube.writeKubeconfig({ token: kube.tokens.restricted });
    const s = new KubernetesSecretStore(config(secretName(), {}, kubeconfig));
    const err = await expectRejection(s.write(NEW_KEY, WRITE));
    expect(err).toBeInstanceOf(DestinationAuthError);
    expect((err as DestinationAuthError).retryable).toBe(false);
    expect(err.message).toMatch(/refused to get secrets in namespace checkout \(HTTP 403/);
    expect(err.message).toMatch(/User "restricted" cannot get resource "secrets"/);
    expect(err.message).not.toContain(kube.tokens.restricted);
  });

  it('names the missing permission on the workload it should restart', async () => {
    const namespace = `ns-${randomBytes(3).toString('hex')}`;
    await kube.api('POST', '/api/v1/namespaces', { metadata: { name: namespace } });
    await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
      metadata: { name: 'secrets-only' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'patch'] }],
    });
    await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
      metadata: { name: 'secrets-only' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secrets-only' },
      subjects: [{ kind: 'User', name: 'writer', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    await createDeployment('checkout', namespace);
    const s = new KubernetesSecretStore({
      ...config(secretName(), { restart: [{ kind: 'Deployment', name: 'checkout' }] }),
      namespace,
    });
    const err = await expectRejection(s.write(NEW_KEY, WRITE));
    expect(err).toBeInstanceOf(DestinationAuthError);
    expect(err.message).toMatch(/refused to get deployments\.apps in namespace/);
  });

  it('rejects an unknown token with a non-retryable DestinationAuthError that does not show it', async () => {
    const bogus = `bogus-${randomBytes(12).toString('hex')}`;
    const kubeconfig = await kube.writeKubeconfig({ token: bogus });
    const err = await expectRejection(new KubernetesSecretStore(config(secretName(), {}, kubeconfig)).read());
    expect(err).toBeInstanceOf(DestinationAuthError);
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).not.toContain(bogus);
  });

  it('authenticates with a kubeconfig client certificate', async () => {
    const kubeconfig = await kube.writeKubeconfig({
      clientCertificate: kube.clientCertificate('cert-writer', 'system:masters'),
    });
    const name = secretName();
    await new KubernetesSecretStore(config(name, {}, kubeconfig)).write(NEW_KEY, WRITE);
    expect((await secretData(name)).OPENROUTER_API_KEY).toBe(NEW_KEY);
  });

  it('authenticates with a kubeconfig tokenFile, read relative to the kubeconfig', async () => {
    const dir = path.join(kube.dir, `tokenfile-${randomBytes(3).toString('hex')}`);
    await mkdir(dir);
    await writeFile(path.join(dir, 'token'), kube.tokens.writer + '\n');
    const kubeconfig = await kube.writeKubeconfig({
      tokenFile: 'token',
      fileName: path.relative(kube.dir, path.join(dir, 'config')),
    });
    const name = secretName();
    await new KubernetesSecretStore(config(name, {}, kubeconfig)).write(NEW_KEY, WRITE);
    expect((await secretData(name)).OPENROUTER_API_KEY).toBe(NEW_KEY);
  });

  it('authenticates in-cluster with a service-account token and CA from the pod folder', async () => {
    await kube.api('POST', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts`, {
      metadata: { name: 'key-rotator' },
    });
    await grantDocumentedRole(
      NAMESPACE,
      { kind: 'ServiceAccount', name: 'key-rotator', namespace: NAMESPACE },
      'key-rotator-sa',
    );
    const { body } = await kube.api(
      'POST',
      `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/key-rotator/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 },
      },
    );
    const serviceAccountDir = path.join(kube.dir, 'serviceaccount');
    await mkdir(serviceAccountDir, { recursive: true });
    await writeFile(path.join(serviceAccountDir, 'token'), body.status.token as string);
    await writeFile(path.join(serviceAccountDir, 'ca.crt'), kube.caPem);
    const url = new URL(kube.server);
    const name = secretName();
    const s = new KubernetesSecretStore(
      kubernetesSecretDestinationSchema.parse({
        type: 'kubernetes-secret',
        namespace: NAMESPACE,
        name,
        auth: { method: 'in-cluster' },
      }),
      {
        serviceAccountDir,
        env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
      },
    );
    expect(s.description).toBe(
      `kubernetes-secret:kubernetes.default.svc/${NAMESPACE}/${name}#OPENROUTER_API_KEY`,
    );
    await s.write(NEW_KEY, WRITE);
    expect((await secretData(name)).OPENROUTER_API_KEY).toBe(NEW_KEY);
  });

  it('in-cluster auth outside a pod says to use a kubeconfig', async () => {
    const s = new KubernetesSecretStore(
      kubernetesSecretDestinationSchema.parse({
        type: 'kubernetes-secret',
        namespace: NAMESPACE,
        name: 'x',
        auth: { method: 'in-cluster' },
      }),
      { env: {} },
    );
    const err = await expectRejection(s.read());
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/KUBERNETES_SERVICE_HOST is not set.*kubeconfig/);
  });

  it('verifies the server: a kubeconfig without the cluster CA fails TLS, non-retryable', async () => {
    const kubeconfig = await kube.writeKubeconfig({ token: kube.tokens.writer, includeCa: false });
    const err = await expectRejection(new KubernetesSecretStore(config(secretName(), {}, kubeconfig)).read());
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).retryable).toBe(false);
    expect(err.message).toMatch(/failed TLS verification/);
  });

  it.each([
    [
      'insecure-skip-tls-verify',
      { extraCluster: { 'insecure-skip-tls-verify': true } },
      /insecure-skip-tls-verify/,
    ],
    [
      'an exec plugin',
      { extraUser: { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } } },
      /exec or auth-provider/,
    ],
  ])('refuses a kubeconfig with %s before sending anything', async (_what, extra, message) => {
    const kubeconfig = await kube.writeKubeconfig({ token: kube.tokens.writer, ...extra });
    const err = await expectRejection(new KubernetesSecretStore(config(secretName(), {}, kubeconfig)).read());
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(kube.tokens.writer);
  });

  it('refuses a kubeconfig whose server is not the auth.server the policy checked', async () => {
    const kubeconfig = await kube.writeKubeconfig({
      token: kube.tokens.writer,
      server: 'https://127.0.0.2:6443',
    });
    const err = await expectRejection(new KubernetesSecretStore(config(secretName(), {}, kubeconfig)).read());
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/must agree so the worker policy checks where the credentials go/);
  });

  it('reads files a kubeconfig names only where the worker policy allows', async () => {
    const kubeconfig = await kube.writeKubeconfig({ tokenFile: '/etc/elsewhere/token' });
    const s = new KubernetesSecretStore(config(secretName(), {}, kubeconfig), {
      refuse: (ref) =>
        ref.file?.startsWith(kube.dir) ? undefined : `${ref.file} is outside credentials.fileRoots`,
    });
    const err = await expectRejection(s.read());
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err.message).toMatch(/\/etc\/elsewhere\/token is outside/);
  });
});

describe('Kubernetes Secret destination: a refused redirect', () => {
  let redirector: Server;
  beforeAll(async () => {
    redirector = createServer(
      {
        cert: readFileSync(path.join(kube.dir, 'server.crt')),
        key: readFileSync(path.join(kube.dir, 'server.key')),
      },
      (req, res) => {
        res.writeHead(307, { location: `https://attacker.example/steal${req.url}` });
        res.end();
      },
    );
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => redirector?.close(resolve));
  });

  it('does not follow a redirect, so the token never goes elsewhere', async () => {
    const server = `https://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    const kubeconfig = await kube.writeKubeconfig({ token: kube.tokens.writer, server });
    const s = new KubernetesSecretStore({
      ...config(secretName(), {}, kubeconfig),
      auth: { method: 'kubeconfig', kubeconfig: { file: kubeconfig }, server },
    });
    const err = await expectRejection(s.read());
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).retryable).toBe(false);
    expect(err.message).toMatch(/redirect \(307\) to https:\/\/attacker\.example\/steal.*not followed/);
  });
});

/** A Deployment as kubectl create would make it (no controller runs, so it never rolls by itself). */
async function createDeployment(name: string, namespace = NAMESPACE): Promise<void> {
  await kube.api('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
      },
    },
  });
}

async function deployment(name: string): Promise<ApiAnswer['body']> {
  return (await kube.api('GET', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}`)).body;
}

/** What the deployment controller reports once every replica of the current template runs. */
async function markRolledOut(name: string): Promise<void> {
  const current = await deployment(name);
  await kube.api('PUT', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}/status`, {
    ...current,
    status: {
      observedGeneration: current.metadata.generation,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    },
  });
}

describe('Kubernetes Secret destination: rollout restart', () => {
  it('rolls the Deployment once per write, as kubectl rollout restart does', async () => {
    const workload = `app-${++counter}`;
    await createDeployment(workload);
    const generation = (await deployment(workload)).metadata.generation as number;
    const s = store(secretName(), { restart: [{ kind: 'Deployment', name: workload }] });

    await s.write(NEW_KEY, WRITE);
    const rolled = await deployment(workload);
    const annotations = rolled.spec.template.metadata.annotations as Record<string, string>;
    expect(annotations[RESTARTED_AT_ANNOTATION]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(annotations[RESTARTED_FOR_ANNOTATION]).toBe(WRITE.idempotencyToken);
    expect(rolled.metadata.generation).toBe(generation + 1);

    // A retried activity repeats the write: the pods are not rolled a second time.
    await s.write(NEW_KEY, WRITE);
    expect((await deployment(workload)).metadata.generation).toBe(generation + 1);

    // The rollback is another write: the pods roll again, back to the old key.
    await s.restore(OLD_KEY, RESTORE);
    const restored = await deployment(workload);
    expect(restored.metadata.generation).toBe(generation + 2);
    expect(restored.spec.template.metadata.annotations[RESTARTED_FOR_ANNOTATION]).toBe(
      RESTORE.idempotencyToken,
    );
  });

  it('settle waits until the rollout is complete, and asks to be retried while it is not', async () => {
    const workload = `app-${++counter}`;
    await createDeployment(workload);
    const s = store(
      secretName(),
      { restart: [{ kind: 'Deployment', name: workload }] },
      {
        rolloutWaitMs: 300,
        rolloutPollMs: 100,
      },
    );
    await s.write(NEW_KEY, WRITE);

    const err = await expectRejection(s.settle());
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).retryable).toBe(true);
    expect(err.message).toMatch(new RegExp(`rollout not complete yet \\(Deployment ${workload}: `));

    const patient = store(
      secretName(),
      { restart: [{ kind: 'Deployment', name: workload }] },
      {
        rolloutWaitMs: 20_000,
        rolloutPollMs: 100,
      },
    );
    const waiting = patient.settle();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await markRolledOut(workload);
    await expect(waiting).resolves.toBeUndefined();
  });

  it('settle does not wait when waitForRollout is false', async () => {
    const workload = `app-${++counter}`;
    await createDeployment(workload);
    const s = store(
      secretName(),
      { restart: [{ kind: 'Deployment', name: workload }], waitForRollout: false },
      {
        rolloutWaitMs: 100,
      },
    );
    await s.write(NEW_KEY, WRITE);
    await expect(s.settle()).resolves.toBeUndefined();
  });

  it('names a workload that does not exist', async () => {
    const err = await expectRejection(
      store(secretName(), { restart: [{ kind: 'StatefulSet', name: 'missing' }] }).write(NEW_KEY, WRITE),
    );
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).retryable).toBe(false);
    expect(err.message).toMatch(/StatefulSet missing does not exist in namespace checkout/);
  });
});

describe('Kubernetes Secret destination: the worker policy', () => {
  function rotationWith(destination: DestinationConfig): RotationConfig {
    return {
      name: 'k8s-policy',
      description: '',
      openrouter: {
        managementKeyEnv: 'OPENROUTER_MANAGEMENT_KEY',
        baseUrl: 'https://openrouter.ai/api/v1',
        key: { name: 'k', limit: null, limitReset: null, includeByokInLimit: false, expiresAfter: 'none' },
      },
      schedule: { intervalDays: 30, rotateAt: '03:00', timezone: 'UTC', enabled: true },
      gracePeriod: '24h',
      verify: { newKeyWindow: '2m', requireTrafficMoved: false, trafficHoldTimeout: '24h' },
      destinations: [destination],
    } as RotationConfig;
  }

  it('refuses an API server and a kubeconfig the default policy does not list', () => {
    const violations = checkRotationAgainstPolicy(rotationWith(config('x')), workerPolicyFromRules({}), {
      cwd: '/',
    });
    expect(violations.map((v) => v.path).sort()).toEqual([
      'destinations[0].auth.kubeconfig.file',
      'destinations[0].auth.server',
    ]);
    expect(violations.find((v) => v.path.endsWith('auth.server'))?.message).toMatch(
      /destinations\.kubernetesApiServers \(allowed: none\)/,
    );
  });

  it('allows in-cluster auth only when the policy lists https://kubernetes.default.svc and the token folder', () => {
    const inCluster = kubernetesSecretDestinationSchema.parse({
      type: 'kubernetes-secret',
      namespace: 'a',
      name: 'b',
      auth: { method: 'in-cluster' },
    });
    const refused = checkRotationAgainstPolicy(rotationWith(inCluster), workerPolicyFromRules({}), {
      cwd: '/',
    });
    expect(refused.map((v) => `${v.path}: ${v.message}`).join('\n')).toMatch(
      /auth\.method: https:\/\/kubernetes\.default\.svc\/? is not in the worker policy's destinations\.kubernetesApiServers/,
    );
    expect(refused.map((v) => v.path)).toContain('destinations[0].auth.method.file');
    const allowed = checkRotationAgainstPolicy(
      rotationWith(inCluster),
      workerPolicyFromRules({
        destinations: { kubernetesApiServers: ['https://kubernetes.default.svc'] },
        credentials: { fileRoots: ['/var/run/secrets/kubernetes.io/serviceaccount'] },
      }),
      { cwd: '/' },
    );
    expect(allowed).toEqual([]);
  });

  it("sends the pod's service-account token with no other destination or sink, whatever credentials.fileRoots allows", () => {
    const token = '/var/run/secrets/kubernetes.io/serviceaccount/token';
    const policy = workerPolicyFromRules({
      destinations: {
        kubernetesApiServers: ['https://kubernetes.default.svc'],
        vaultAddresses: ['https://vault.example.com'],
      },
      credentials: { fileRoots: ['/var/run/secrets/kubernetes.io/serviceaccount'] },
      notifications: { webhookOrigins: ['https://hooks.example.com'] },
    });
    const vault = vaultDestinationSchema.parse({
      type: 'vault',
      address: 'https://vault.example.com',
      path: 'apps/x',
      auth: { method: 'token', token: { file: token } },
    });
    const rotation = {
      ...rotationWith(vault),
      notifications: [{ type: 'webhook', url: 'https://hooks.example.com/e', secret: { file: token } }],
    } as RotationConfig;
    const refused = checkRotationAgainstPolicy(rotation, policy, { cwd: '/' });
    expect(refused.map((v) => v.path).sort()).toEqual([
      'destinations[0].auth.token.file',
      'notifications[0].secret.file',
    ]);
    expect(refused[0]?.message).toMatch(
      /is in \/var\/run\/secrets\/kubernetes\.io\/serviceaccount, the pod's service-account token folder, which only a kubernetes-secret destination may read \(a vault destination would send it elsewhere\)/,
    );
    // The same verdict when a store reads a file at run time (a kubeconfig naming the token).
    expect(secretRefViolation({ file: token }, policy, '/', 'vault')).toMatch(/only a kubernetes-secret/);
    expect(secretRefViolation({ file: token }, policy, '/', 'kubernetes-secret')).toBeUndefined();
    const inCluster = kubernetesSecretDestinationSchema.parse({
      type: 'kubernetes-secret',
      namespace: 'a',
      name: 'b',
      auth: { method: 'in-cluster' },
    });
    expect(checkRotationAgainstPolicy(rotationWith(inCluster), policy, { cwd: '/' })).toEqual([]);
  });

  it('the config refuses an http API server', () => {
    const parsed = kubernetesSecretDestinationSchema.safeParse({
      type: 'kubernetes-secret',
      namespace: 'a',
      name: 'b',
      auth: { method: 'kubeconfig', kubeconfig: { file: '/k' }, server: 'http://127.0.0.1:8080' },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/always https/);
  });
});
