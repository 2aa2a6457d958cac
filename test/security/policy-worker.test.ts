/**
 * A workflow started directly (bypassing `apply` and its checks), with a rotation that asks the
 * worker to send a credential somewhere its policy does not allow: the activities refuse it before
 * any I/O. The target sees no request, the workflow fails naming the field and the rule, and the
 * destinations and the emulator's keys are exactly as before.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import type { DestinationConfig } from '../../src/stores/destination-schemas.js';
import { rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { rotationWorkflow } from '../../src/workflows/rotation-workflow.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

/** A local HTTP server that records every request it gets (and answers 200 {}). */
interface Listener {
  url: string;
  requests: { method: string; path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function startListener(): Promise<Listener> {
  const requests: Listener['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let h: RotationHarness;
let outside: string;
const listeners: Listener[] = [];

async function listener(): Promise<Listener> {
  const started = await startListener();
  listeners.push(started);
  return started;
}

beforeAll(async () => {
  h = await createRotationHarness();
  outside = await mkdtemp(join(tmpdir(), 'security-policy-outside-'));
  h.workerEnv.VAULT_TOKEN = 's.vault-token-of-the-worker';
  h.allow({ credentialEnvs: ['VAULT_TOKEN'] });
});
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await h?.close();
  await rm(outside, { recursive: true, force: true });
});

/**
 * A rotation of the harness's adopted key in `<name>.env`, changed by `change` the way someone
 * who can start workflows could change it: no schema, no policy on the way in.
 */
async function attack(
  name: string,
  change: (rotation: RotationConfig) => RotationConfig,
): Promise<{
  message: string;
  fileBefore: string;
  fileAfter: string;
  keysBefore: string[];
  keysAfter: string[];
  emulatorRequests: number;
}> {
  await h.adoptKey([`${name}.env`]);
  const rotation = change(h.rotation(name, {}, [`${name}.env`]));
  const fileBefore = await readFile(join(h.dir, `${name}.env`), 'utf8');
  const keysBefore = h
    .liveKeys()
    .map((k) => k.hash)
    .sort();
  const requestsBefore = h.emulator.snapshot().requests.length;

  const worker = await h.worker();
  const error = await worker.runUntil(async () => {
    const handle = await h.client.workflow.start(rotationWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: rotationWorkflowId(name),
      args: [{ rotation }],
    });
    return handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
  });
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause;
  return {
    message: failure?.message ?? '',
    fileBefore,
    fileAfter: await readFile(join(h.dir, `${name}.env`), 'utf8'),
    keysBefore,
    keysAfter: h
      .liveKeys()
      .map((k) => k.hash)
      .sort(),
    emulatorRequests: h.emulator.snapshot().requests.length - requestsBefore,
  };
}

function withDestination(extra: DestinationConfig) {
  return (rotation: RotationConfig): RotationConfig => ({
    ...rotation,
    destinations: [...rotation.destinations, extra],
  });
}

describe('a workflow started with input the worker policy refuses', () => {
  it('an OpenRouter base URL not in the policy: the host sees no request, nothing changes', async () => {
    const target = await listener();
    const outcome = await attack('base-url', (r) => ({
      ...r,
      openrouter: { ...r.openrouter, baseUrl: `${target.url}/api/v1` },
    }));

    expect(target.requests).toEqual([]);
    expect(outcome.message).toContain(
      `openrouter.baseUrl: ${target.url}/api/v1 is not in the worker policy's openrouter.baseUrls (allowed: ${h.emulator.apiBaseUrl})`,
    );
    expect(outcome.message).toMatch(/preflight failed, nothing was changed/);
    expect(outcome.fileAfter).toBe(outcome.fileBefore);
    expect(outcome.keysAfter).toEqual(outcome.keysBefore);
    expect(outcome.emulatorRequests).toBe(0);
  });

  it.each([
    ['KEY_ROTATOR_CODEC_KEY', /KEY_ROTATOR_CODEC_KEY is one of the worker's own variables/],
    ['VAULT_TOKEN', /VAULT_TOKEN is not in the worker policy's openrouter\.managementKeyEnvs/],
  ])(
    'managementKeyEnv naming %s: the (allowed) OpenRouter host sees no request carrying it',
    async (variable, rule) => {
      const target = await listener();
      h.allow({ baseUrls: [`${target.url}/api/v1`] });
      const outcome = await attack(`key-env-${variable.toLowerCase().replaceAll('_', '-')}`, (r) => ({
        ...r,
        openrouter: { ...r.openrouter, baseUrl: `${target.url}/api/v1`, managementKeyEnv: variable },
      }));

      expect(target.requests).toEqual([]);
      expect(outcome.message).toMatch(new RegExp(`openrouter\\.managementKeyEnv: ${rule.source}`));
      expect(outcome.message).not.toContain(h.keyringJson);
      expect(outcome.fileAfter).toBe(outcome.fileBefore);
      expect(outcome.keysAfter).toEqual(outcome.keysBefore);
    },
  );

  it('a {file: /etc/passwd} credential outside the policy roots: the (allowed) Vault sees no request', async () => {
    const vault = await listener();
    const secrets = join(h.dir, 'run-secrets');
    await mkdir(secrets, { recursive: true });
    h.allow({ vaultAddresses: [vault.url], credentialFileRoots: [secrets] });
    const outcome = await attack(
      'file-ref',
      withDestination({
        type: 'vault',
        address: vault.url,
        mount: 'secret',
        path: 'apps/x',
        field: 'OPENROUTER_API_KEY',
        auth: { method: 'token', token: { file: '/etc/passwd' } },
      }),
    );

    expect(vault.requests).toEqual([]);
    expect(outcome.message).toMatch(
      /destinations\[1\]\.auth\.token\.file: \/etc\/passwd is not inside a folder of the worker policy's credentials\.fileRoots/,
    );
    expect(outcome.fileAfter).toBe(outcome.fileBefore);
    expect(outcome.keysAfter).toEqual(outcome.keysBefore);
  });

  it('a Vault address not in the policy: it sees no request, the worker token stays home', async () => {
    const vault = await listener();
    const outcome = await attack(
      'vault-address',
      withDestination({
        type: 'vault',
        address: vault.url,
        mount: 'secret',
        path: 'apps/x',
        field: 'OPENROUTER_API_KEY',
        auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
      }),
    );

    expect(vault.requests).toEqual([]);
    expect(outcome.message).toContain(
      `destinations[1].address: ${vault.url}/ is not in the worker policy's destinations.vaultAddresses`,
    );
    expect(outcome.message).not.toContain('s.vault-token-of-the-worker');
    expect(outcome.fileAfter).toBe(outcome.fileBefore);
    expect(outcome.keysAfter).toEqual(outcome.keysBefore);
  });

  it('a Vault secret outside the policy’s vaultSecrets: the (allowed) Vault sees no request', async () => {
    const vault = await listener();
    h.allow({ vaultAddresses: [vault.url], vaultSecrets: ['secret/data/apps/*'] });
    const outcome = await attack(
      'vault-target',
      withDestination({
        type: 'vault',
        address: vault.url,
        mount: 'secret',
        path: 'teams/payments/db',
        field: 'password',
        auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
      }),
    );

    expect(vault.requests).toEqual([]);
    expect(outcome.message).toContain(
      'refuses rotation "vault-target": destinations[1].path: Vault secret secret/data/teams/payments/db ' +
        "is not in the worker policy's destinations.vaultSecrets (allowed: secret/data/apps/*)",
    );
    expect(outcome.message).toMatch(/preflight failed, nothing was changed/);
    expect(outcome.fileAfter).toBe(outcome.fileBefore);
    expect(outcome.keysAfter).toEqual(outcome.keysBefore);
    expect(outcome.emulatorRequests).toBe(0);
  });

  it('a Kubernetes workload outside the policy’s restart targets: refused before any request', async () => {
    h.allow({
      kubernetesApiServers: ['https://127.0.0.1:9'],
      credentialFileRoots: [h.dir],
      kubernetesSecrets: ['apps/openrouter'],
      kubernetesRestartTargets: ['apps/Deployment/checkout'],
    });
    const outcome = await attack(
      'kube-target',
      withDestination({
        type: 'kubernetes-secret',
        namespace: 'apps',
        name: 'openrouter',
        key: 'OPENROUTER_API_KEY',
        auth: {
          method: 'kubeconfig',
          kubeconfig: { file: join(h.dir, 'kubeconfig') },
          server: 'https://127.0.0.1:9',
        },
        restart: [{ kind: 'Deployment', name: 'payments-api' }],
        waitForRollout: true,
      }),
    );

    expect(outcome.message).toContain(
      'destinations[1].restart[0]: Kubernetes Deployment apps/Deployment/payments-api ' +
        "is not in the worker policy's destinations.kubernetesRestartTargets (allowed: apps/Deployment/checkout)",
    );
    expect(outcome.fileAfter).toBe(outcome.fileBefore);
    expect(outcome.keysAfter).toEqual(outcome.keysBefore);
    expect(outcome.emulatorRequests).toBe(0);
  });

  it('a file destination outside the policy roots: the file is not created', async () => {
    const stolen = join(outside, 'stolen.env');
    const outcome = await attack(
      'file-outside',
      withDestination({ type: 'file', path: stolen, format: 'dotenv', field: 'K' }),
    );

    expect(existsSync(stolen)).toBe(false);
    expect(outcome.message).toContain(
      `destinations[1].path: ${stolen} is not inside a folder of the worker policy's destinations.fileRoots`,
    );
    expect(outcome.fileAfter).toBe(outcome.fileBefore);
    expect(outcome.keysAfter).toEqual(outcome.keysBefore);
  });

  it('a file destination reached through a symbolic link leading out of the roots: the file is not created', async () => {
    await symlink(outside, join(h.dir, 'link-out'));
    const outcome = await attack(
      'file-symlink',
      withDestination({
        type: 'file',
        path: join(h.dir, 'link-out', 'via-link.env'),
        format: 'dotenv',
        field: 'K',
      }),
    );

    expect(existsSync(join(outside, 'via-link.env'))).toBe(false);
    expect(outcome.message).toMatch(
      /destinations\[1\]\.path: .*link-out\/via-link\.env is not inside a folder/,
    );
    expect(outcome.fileAfter).toBe(outcome.fileBefore);
  });
});
