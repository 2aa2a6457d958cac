/**
 * The real dependencies: an OpenRouter client per rotation with the management key from the
 * worker's environment, and the rotation's destinations (cached, so logins and tokens are reused).
 * Nothing is built for a rotation the worker policy refuses: the activities admit each rotation
 * before anything else, and these builders build only for an admitted one (one they are handed
 * unadmitted is judged then), so a credential never reaches a client the policy did not allow.
 */
import type { SecretSealer } from '../codec/secret-sealer.js';
import { readEnvOrFile } from '../fields/env-or-file.js';
import type { RotationConfig } from '../config/schema.js';
import { ConfigError } from '../errors/rotator-errors.js';
import { createOpenRouterClient } from '../openrouter/client.js';
import { RequestRateLimiter } from '../openrouter/request-rate-limiter.js';
import { secretRefViolation, writtenPathViolation } from '../policy/check-rotation.js';
import { RotationAdmission } from '../policy/rotation-admission.js';
import type { WorkerPolicy } from '../policy/worker-policy-schema.js';
import { createSecretStore } from '../stores/create-secret-store.js';
import type { SecretStore } from '../stores/secret-store.js';
import type { ActivityDependencies } from './dependencies.js';

export interface DefaultDependencyOptions {
  sealer: SecretSealer;
  /** What rotations may ask of this worker (loaded by the worker from its operator's file). */
  policy: WorkerPolicy;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Folder that relative paths in rotations resolve from. @default process.cwd() */
  cwd?: string;
  /**
   * HTTP requests per second to OpenRouter from this process, over all rotations (one
   * RequestRateLimiter shared by every client). @default undefined: no limit in the process
   */
  openRouterRequestsPerSecond?: number;
}

/**
 * The management key from `$NAME`, or from the file named by `$NAME_FILE` (Docker/Kubernetes
 * secrets). Never from the config; `name` comes from an admitted rotation, so the worker policy
 * allows it.
 * @throws ConfigError when neither is set.
 */
export function managementKeyFromEnvironment(name: string, env: NodeJS.ProcessEnv): string {
  const key = readEnvOrFile(name, env, 'the OpenRouter management key');
  if (!key) {
    throw new ConfigError(`the worker's environment has no management key: set ${name} (or ${name}_FILE)`);
  }
  return key.value;
}

export function createDefaultDependencies(options: DefaultDependencyOptions): ActivityDependencies {
  const env = options.env ?? process.env;
  const { policy } = options;
  const cwd = options.cwd ?? process.cwd();
  const admission = new RotationAdmission(policy, cwd);
  const stores = new Map<string, SecretStore>();
  const rateLimiter =
    options.openRouterRequestsPerSecond === undefined
      ? undefined
      : new RequestRateLimiter(options.openRouterRequestsPerSecond);
  const webUiUrl = env.KEY_ROTATOR_WEB_UI_URL?.trim();
  return {
    sealer: options.sealer,
    admission,
    notifications: { env, cwd, ...(webUiUrl ? { webUiUrl } : {}) },
    openRouter(rotation: RotationConfig) {
      admission.admit(rotation);
      const { baseUrl, managementKeyEnv } = rotation.openrouter;
      return createOpenRouterClient({
        baseUrl,
        managementKey: managementKeyFromEnvironment(managementKeyEnv, env),
        rateLimiter,
      });
    },
    stores(rotation: RotationConfig) {
      admission.admit(rotation);
      return rotation.destinations.map((destination) => {
        const id = JSON.stringify(destination);
        let store = stores.get(id);
        if (!store) {
          store = createSecretStore(destination, {
            env,
            cwd,
            // What a store finds as it reads (the files a kubeconfig names) is judged when it is read.
            refuseSecretRef: (ref) => secretRefViolation(ref, policy, cwd, destination.type),
            // A file destination's folder is judged again as the store opens it (a swapped folder).
            refuseWrittenPath: (file) => writtenPathViolation(file, policy),
          });
          stores.set(id, store);
        }
        return store;
      });
    },
  };
}
