/**
 * `key-rotator worker`: builds the dependencies from the environment and runs the rotation workers
 * until SIGINT/SIGTERM (or the given signal).
 *
 * Environment:
 * - Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings and
 *   profiles, as every Temporal tool reads them. @default DEFAULT_TEMPORAL_ADDRESS (src/temporal/connection.ts)
 * - KEY_ROTATOR_CONNECT_TIMEOUT: how long to wait for Temporal at start-up, e.g. 5m. @default 60s
 * - KEY_ROTATOR_CODEC_KEY / KEY_ROTATOR_CODEC_KEY_FILE: payload codec keyring (required, except
 *   for the local dev keyring, see src/codec/keyring.ts).
 * - KEY_ROTATOR_SEALING_KEY / KEY_ROTATOR_SEALING_KEY_FILE: the sealing keyring, for API keys passed
 *   between activities; the worker's alone, sharing no key with the codec keyring (required, as above).
 * - KEY_ROTATOR_OPENROUTER_RPS: OpenRouter HTTP requests per second: never more from one worker
 *   process in any one-second window, and the activity rate of the task queue across all workers. @default 5
 * - KEY_ROTATOR_TASK_QUEUE: @default "openrouter-key-rotation"
 * - KEY_ROTATOR_WORKFLOW_BUNDLE: path of a prebuilt workflow bundle. @default dist/workflow-bundle.js
 *   beside the compiled worker, when there is one
 * - KEY_ROTATOR_METRICS_ADDRESS: host:port for Prometheus metrics, e.g. 0.0.0.0:9464.
 * - KEY_ROTATOR_LOG_FORMAT: `text` or `json` (one JSON record per line: the worker's own lines, the
 *   SDK's, and the activity and workflow loggers', see src/logging/). @default text
 * - KEY_ROTATOR_POLICY: the worker policy file (what rotations may do with this worker's
 *   credentials, see src/policy/); `--policy` wins over it. @default the default policy
 * - Worker Versioning (see src/worker/worker-deployment.ts and docs/operations.md):
 *   KEY_ROTATOR_WORKER_VERSIONING (`false` = an unversioned worker) @default true;
 *   KEY_ROTATOR_DEPLOYMENT_NAME @default "key-rotator";
 *   KEY_ROTATOR_BUILD_ID @default `<package.json version>-<sha256 of the workflow bundle>`;
 *   KEY_ROTATOR_SET_CURRENT_VERSION (`false` for a staged roll-out) @default true.
 * - The management keys: the variables the rotations' `managementKeyEnv` name (or `<NAME>_FILE`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@temporalio/worker';
import { createDefaultDependencies } from '../activities/default-dependencies.js';
import { assertSeparateKeyrings, loadKeyring, SEALING_KEYRING } from '../codec/keyring.js';
import { createRotatorDataConverter } from '../codec/data-converter.js';
import { SecretSealer } from '../codec/secret-sealer.js';
import { ConfigError } from '../errors/rotator-errors.js';
import { Logger } from '../logging/logger.js';
import { describeWorkerPolicy, loadWorkerPolicy } from '../policy/load-worker-policy.js';
import { createRotationWorkers, type RotationWorkerOptions } from './rotation-workers.js';
import { runUntilSignal } from '../process/run-until-signal.js';
import { connectTimeoutFrom, connectWorker, temporalSettings } from '../temporal/connection.js';
import { DEFAULT_DEPLOYMENT_NAME } from './worker-deployment.js';
import { runtimeLogger } from './runtime-logger.js';
import { ROTATION_TASK_QUEUE } from '../workflow-contract/messages.js';

export interface RunWorkerOptions {
  /** Stops the worker gracefully when aborted. @default SIGINT/SIGTERM of this process (src/process/run-until-signal.ts) */
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

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name}=${env[name]}: expected true or false`);
}

/** The version in package.json: it prefixes the derived build id. */
async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  const version: unknown = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}

/** The Worker Deployment this worker joins, or undefined for an unversioned worker. */
async function versioningFrom(env: NodeJS.ProcessEnv): Promise<RotationWorkerOptions['versioning']> {
  if (!flag(env, 'KEY_ROTATOR_WORKER_VERSIONING', true)) return undefined;
  const setCurrent = flag(env, 'KEY_ROTATOR_SET_CURRENT_VERSION', true);
  const buildId = env.KEY_ROTATOR_BUILD_ID?.trim();
  return {
    deploymentName: env.KEY_ROTATOR_DEPLOYMENT_NAME?.trim() || DEFAULT_DEPLOYMENT_NAME,
    ...(buildId ? { buildId } : { packageVersion: await packageVersion() }),
    setCurrent,
  };
}

/**
 * The prebuilt workflow bundle: KEY_ROTATOR_WORKFLOW_BUNDLE, else the one `npm run build` writes
 * at the top of the compiled product (dist/workflow-bundle.js, beside this file's folder;
 * bin/key-rotator.js runs dist/ only while it is current). From the sources, the workflows are bundled at start-up (about 1.3 s and 100 MB more).
 */
function workflowBundleFrom(env: NodeJS.ProcessEnv): Pick<RotationWorkerOptions, 'workflowBundle'> {
  if (env.KEY_ROTATOR_WORKFLOW_BUNDLE)
    return { workflowBundle: { codePath: env.KEY_ROTATOR_WORKFLOW_BUNDLE } };
  const beside = new URL('../workflow-bundle.js', import.meta.url);
  const compiled = import.meta.url.endsWith('.js');
  return compiled && existsSync(beside) ? { workflowBundle: { codePath: fileURLToPath(beside) } } : {};
}

export function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  return runUntilSignal((signal) => serveRotations(signal, options), { signal: options.signal });
}

async function serveRotations(signal: AbortSignal, options: RunWorkerOptions): Promise<void> {
  const env = options.env ?? process.env;
  // First: a bad policy or setting stops the worker before it connects anywhere.
  const log = Logger.fromEnv(env);
  const policy = await loadWorkerPolicy({ file: options.policyFile, env });
  log.info(`key-rotator ${describeWorkerPolicy(policy)}`);
  const openRouterRequestsPerSecond = positiveNumber(env, 'KEY_ROTATOR_OPENROUTER_RPS', 5);
  const settings = temporalSettings(env);
  const connectTimeoutMs = connectTimeoutFrom(env);
  const versioning = await versioningFrom(env);
  const metricsAddress = env.KEY_ROTATOR_METRICS_ADDRESS;
  const logger = runtimeLogger(log.format);
  if (metricsAddress || logger) {
    Runtime.install({
      ...(logger ? { logger } : {}),
      ...(metricsAddress
        ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } }
        : {}),
    });
  }
  const keyring = await loadKeyring({ env, allowDevKey: options.allowDevKey });
  const sealingKeyring = await loadKeyring({
    source: SEALING_KEYRING,
    env,
    allowDevKey: options.allowDevKey,
  });
  assertSeparateKeyrings(keyring, sealingKeyring);
  const dataConverter = await createRotatorDataConverter({ keyring });
  const connection = await connectWorker(settings, {
    timeoutMs: connectTimeoutMs,
    signal,
    onWait: (line) => log.warn(line),
  });
  if (!connection) return; // stopped while waiting for Temporal
  const taskQueue = env.KEY_ROTATOR_TASK_QUEUE || ROTATION_TASK_QUEUE;
  try {
    const workers = await createRotationWorkers({
      connection,
      namespace: settings.namespace,
      taskQueue,
      dataConverter,
      dependencies: createDefaultDependencies({
        sealer: new SecretSealer(sealingKeyring),
        env,
        policy,
        // Counted per HTTP request in this process; the task-queue limit below bounds all workers.
        openRouterRequestsPerSecond,
      }),
      openRouterRequestsPerSecond,
      ...workflowBundleFrom(env),
      versioning,
      log,
    });
    if (signal.aborted) return;
    signal.addEventListener('abort', () => workers.shutdown(), { once: true });
    const version = workers.deployment
      ? `worker deployment ${workers.deployment.deploymentName} build ${workers.deployment.buildId}` +
        (versioning?.setCurrent ? ' (becomes current)' : ' (not made current)')
      : 'unversioned';
    const polling =
      `key-rotator worker polling task queue ${taskQueue} on ${settings.address}` +
      ` (namespace ${settings.namespace}, ${version}, OpenRouter ≤ ${openRouterRequestsPerSecond} req/s` +
      `${metricsAddress ? `, metrics on http://${metricsAddress}/metrics` : ''})`;
    // Timestamped: in a terminal or a plain log, it says when this worker started serving (a JSON record has its time).
    log.info(log.format === 'text' ? `${new Date().toISOString()} ${polling}` : polling, { taskQueue });
    await workers.run();
  } finally {
    await connection.close();
  }
}
