/**
 * Everything a rotation test needs, real where it can be: the shared Temporal dev server, the
 * OpenRouter emulator, file destinations in a temp folder, the real activities and workers, and a
 * client that encrypts payloads like production does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { testNamespace } from './temporal.js';
import { createDefaultDependencies } from '../../src/activities/default-dependencies.js';
import { createRotatorDataConverter, FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter.js';
import { parseKeyring, type Keyring } from '../../src/codec/keyring.js';
import { SecretSealer } from '../../src/codec/secret-sealer.js';
import { rotationSchema, type RotationConfig } from '../../src/config/schema.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import {
  createRotationWorkers,
  WORKFLOW_PRELOAD_MODULES,
  WORKFLOWS_PATH,
  type RotationWorkerOptions,
  type RotationWorkers,
} from '../../src/worker/rotation-workers.js';
import type { WorkerPolicy } from '../../src/policy/worker-policy-schema.js';
import { rotationWorkflow } from '../../src/workflows/index.js';
import {
  rotationNameKey,
  rotationWorkflowId,
  type RotationOptions,
} from '../../src/workflow-contract/messages.js';
import { mergeAllowances, policyFor, writePolicyFile, type PolicyAllowances } from './worker-policy.js';

export const MANAGEMENT_KEY_ENV = 'TEST_OPENROUTER_MANAGEMENT_KEY';

let bundle: Promise<{ code: string }> | undefined;
/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    preloadModules: WORKFLOW_PRELOAD_MODULES,
    logger: quietLogger,
  });
  return bundle;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export interface RotationHarness {
  emulator: RunningEmulator;
  client: Client;
  dir: string;
  taskQueue: string;
  /** The payload codec keyring (worker, client, codec server). */
  keyring: Keyring;
  keyringJson: string;
  /** The worker's sealing keyring, its own keys (KEY_ROTATOR_SEALING_KEY in `workerEnv`). */
  sealingKeyring: Keyring;
  dataConverter: DataConverter;
  /** The environment a worker of this harness sees (management key, codec key, KEY_ROTATOR_POLICY); add credentials before `worker()`. */
  workerEnv: Record<string, string>;
  /**
   * The worker policy of `worker()`: the emulator's URL, the management key variable and `dir`,
   * nothing else. `allow` widens it (and the file KEY_ROTATOR_POLICY names) before `worker()`.
   */
  readonly policy: WorkerPolicy;
  allow(extra: PolicyAllowances): void;
  /** A rotation config with one dotenv file destination per entry of `files` (default one). */
  rotation(name: string, overrides?: Partial<Record<string, unknown>>, files?: string[]): RotationConfig;
  /** A worker in this process with the real activities; `extra` overrides its options (e.g. versioning). */
  worker(extra?: Partial<RotationWorkerOptions>): Promise<RotationWorkers>;
  /** Starts a rotation the way `key-rotator rotate` does: fixed workflow id, search attribute. */
  startRotation(
    rotation: RotationConfig,
    options?: RotationOptions,
  ): Promise<WorkflowHandle<typeof rotationWorkflow>>;
  /** Seeds a key "created by hand" at the emulator and writes it into the given files. */
  adoptKey(files: string[]): Promise<{ key: string; hash: string }>;
  /** Keys that exist and are not deleted at the emulator. */
  liveKeys(): ReturnType<RunningEmulator['snapshot']>['keys'];
  readKeyFrom(file: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Encrypt payloads like production. Off only to record replay fixtures. @default true */
  encrypt?: boolean;
}

export async function createRotationHarness(options: HarnessOptions = {}): Promise<RotationHarness> {
  const address = inject('temporalAddress');
  const namespace = testNamespace();
  const emulator = await startEmulator();
  const dir = await mkdtemp(join(tmpdir(), 'rotation-test-'));
  const keyringJson = JSON.stringify({ active: 'test', keys: { test: randomBytes(32).toString('base64') } });
  const keyring = parseKeyring(keyringJson, 'test keyring');
  const sealingKeyringJson = JSON.stringify({
    active: 'test-sealing',
    keys: { 'test-sealing': randomBytes(32).toString('base64') },
  });
  const sealingKeyring = parseKeyring(sealingKeyringJson, 'test sealing keyring');
  const dataConverter: DataConverter =
    options.encrypt === false ? {} : await createRotatorDataConverter({ keyring });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter });
  const taskQueue = `rotation-test-${randomBytes(4).toString('hex')}`;
  const workerEnv: Record<string, string> = {
    [MANAGEMENT_KEY_ENV]: emulator.managementKey,
    KEY_ROTATOR_CODEC_KEY: keyringJson,
    KEY_ROTATOR_SEALING_KEY: sealingKeyringJson,
    KEY_ROTATOR_TASK_QUEUE: taskQueue,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
  };
  const nativeConnections: NativeConnection[] = [];
  // Outside `dir`, which file destinations may write to.
  const policyDir = await mkdtemp(join(tmpdir(), 'rotation-test-policy-'));
  const policyFile = join(policyDir, 'worker-policy.yaml');
  let allowances: PolicyAllowances = {
    baseUrls: [emulator.apiBaseUrl],
    managementKeyEnvs: [MANAGEMENT_KEY_ENV],
    fileRoots: [dir],
  };
  let policy = policyFor(allowances);
  workerEnv.KEY_ROTATOR_POLICY = writePolicyFile(policyFile, allowances);

  return {
    emulator,
    client,
    dir,
    taskQueue,
    keyring,
    keyringJson,
    sealingKeyring,
    dataConverter,
    workerEnv,
    get policy() {
      return policy;
    },
    allow(extra) {
      allowances = mergeAllowances(allowances, extra);
      policy = policyFor(allowances);
      writePolicyFile(policyFile, allowances);
    },
    rotation(name, overrides = {}, files = ['app.env']) {
      return rotationSchema.parse({
        name,
        openrouter: {
          managementKeyEnv: MANAGEMENT_KEY_ENV,
          baseUrl: emulator.apiBaseUrl,
          key: { name: `${name} key` },
        },
        schedule: { intervalDays: 7 },
        gracePeriod: '1s',
        verify: { newKeyWindow: '5s' },
        destinations: files.map((file) => ({ type: 'file', path: join(dir, file) })),
        ...overrides,
      });
    },
    async worker(extra = {}) {
      const native = await NativeConnection.connect({ address });
      nativeConnections.push(native);
      return createRotationWorkers({
        connection: native,
        namespace,
        taskQueue,
        dataConverter,
        dependencies: createDefaultDependencies({
          sealer: new SecretSealer(sealingKeyring),
          env: workerEnv,
          policy,
        }),
        workflowBundle: await workflowBundle(),
        openRouterRequestsPerSecond: 50,
        ...extra,
      });
    },
    startRotation(rotation, options = {}) {
      return client.workflow.start(rotationWorkflow, {
        taskQueue,
        workflowId: rotationWorkflowId(rotation.name),
        args: [{ rotation, options }],
        typedSearchAttributes: [{ key: rotationNameKey, value: rotation.name }],
      });
    },
    async adoptKey(files) {
      const seeded = emulator.seedKey({
        name: 'created by hand',
        createdAt: new Date(Date.now() - 30 * 86_400_000),
      });
      for (const file of files) {
        await writeFile(join(dir, file), `# app settings\nOPENROUTER_API_KEY=${seeded.key}\nOTHER=1\n`, {
          mode: 0o600,
        });
      }
      return seeded;
    },
    liveKeys() {
      return emulator.snapshot().keys.filter((k) => !k.deleted);
    },
    async readKeyFrom(file) {
      const text = await readFile(join(dir, file), 'utf8');
      return /^OPENROUTER_API_KEY=(.*)$/m.exec(text)?.[1];
    },
    async close() {
      await connection.close();
      for (const native of nativeConnections) await native.close();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(policyDir, { recursive: true, force: true });
    },
  };
}
