/**
 * `key-rotator worker`: builds the dependencies from the environment and runs the rotation workers
 * until SIGINT/SIGTERM (or the given signal).
 *
 * Environment:
 * - Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings and
 *   profiles, as every Temporal tool reads them (@temporalio/envconfig). @default 127.0.0.1:7233
 * - KEY_ROTATOR_CODEC_KEY / KEY_ROTATOR_CODEC_KEY_FILE: payload codec keyring (required, except
 *   for the local dev keyring, see src/codec/keyring.ts).
 * - KEY_ROTATOR_OPENROUTER_RPS: OpenRouter calls per second across the task queue. @default 5
 * - KEY_ROTATOR_TASK_QUEUE: @default "openrouter-key-rotation"
 * - KEY_ROTATOR_WORKFLOW_BUNDLE: path of a prebuilt workflow bundle (Docker image).
 * - KEY_ROTATOR_METRICS_ADDRESS: host:port for Prometheus metrics, e.g. 0.0.0.0:9464.
 * - KEY_ROTATOR_POLICY: the worker policy file (what rotations may do with this worker's
 *   credentials, see src/policy/); `--policy` wins over it. @default the default policy
 * - The management keys: the variables the rotations' `managementKeyEnv` name (or `<NAME>_FILE`).
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createDefaultDependencies } from './activities/default-dependencies.js';
import { loadKeyring } from './codec/keyring.js';
import { createRotatorDataConverter } from './codec/data-converter.js';
import { SecretSealer } from './codec/secret-sealer.js';
import { ConfigError } from './errors.js';
import { describeWorkerPolicy, loadWorkerPolicy } from './policy/load-worker-policy.js';
import { createRotationWorkers } from './rotation-worker.js';
import { ROTATION_TASK_QUEUE } from './workflows/messages.js';

export interface RunWorkerOptions {
  /** Stops the worker gracefully when aborted. */
  signal?: AbortSignal;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Generate a local dev codec keyring if none is configured (`npm start` only). @default false */
  allowDevKey?: boolean;
  /** The worker policy file (`key-rotator worker --policy`). @default $KEY_ROTATOR_POLICY, else the default policy */
  policyFile?: string;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigError(`${name}=${raw}: expected a positive number`);
  return value;
}

export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  // First: a bad policy stops the worker before it connects anywhere.
  const policy = await loadWorkerPolicy({ file: options.policyFile, env });
  console.log(`key-rotator ${describeWorkerPolicy(policy)}`);
  const openRouterRequestsPerSecond = positiveNumber(env, 'KEY_ROTATOR_OPENROUTER_RPS', 5);
  const metricsAddress = env.KEY_ROTATOR_METRICS_ADDRESS;
  if (metricsAddress) {
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } });
  }
  const keyring = await loadKeyring({ env, allowDevKey: options.allowDevKey });
  const dataConverter = await createRotatorDataConverter({ keyring });
  const { connectionOptions, namespace } = loadClientConnectConfig({
    overrideEnvVars: Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  });
  const connection = await NativeConnection.connect({
    ...connectionOptions,
    address: connectionOptions.address ?? '127.0.0.1:7233',
  });
  const taskQueue = env.KEY_ROTATOR_TASK_QUEUE || ROTATION_TASK_QUEUE;
  try {
    const workers = await createRotationWorkers({
      connection,
      namespace: namespace ?? 'default',
      taskQueue,
      dataConverter,
      dependencies: createDefaultDependencies({ sealer: new SecretSealer(keyring), env, policy }),
      openRouterRequestsPerSecond,
      ...(env.KEY_ROTATOR_WORKFLOW_BUNDLE
        ? { workflowBundle: { codePath: env.KEY_ROTATOR_WORKFLOW_BUNDLE } }
        : {}),
    });
    if (options.signal?.aborted) return;
    options.signal?.addEventListener('abort', () => workers.shutdown(), { once: true });
    console.log(
      `key-rotator worker polling task queue ${taskQueue} on ${connectionOptions.address ?? '127.0.0.1:7233'}` +
        ` (namespace ${namespace ?? 'default'}, OpenRouter ≤ ${openRouterRequestsPerSecond} req/s` +
        `${metricsAddress ? `, metrics on http://${metricsAddress}/metrics` : ''})`,
    );
    await workers.run();
  } finally {
    await connection.close();
  }
}
