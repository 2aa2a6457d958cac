/**
 * The real dependencies: an OpenRouter client per rotation with the management key from the
 * worker's environment, and the rotation's destinations (cached, so logins and tokens are reused).
 */
import { readFileSync } from 'node:fs';
import type { SecretSealer } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { OpenRouterClient } from '../openrouter/client.js';
import { registerSecret } from '../redact.js';
import { createSecretStore } from '../stores/create-secret-store.js';
import type { SecretStore } from '../stores/secret-store.js';
import type { ActivityDependencies } from './dependencies.js';

export interface DefaultDependencyOptions {
  sealer: SecretSealer;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * The management key from `$NAME`, or from the file named by `$NAME_FILE` (Docker/Kubernetes
 * secrets). Never from the config.
 */
export function managementKeyFromEnvironment(name: string, env: NodeJS.ProcessEnv): string {
  let key = env[name]?.trim();
  const file = env[`${name}_FILE`];
  if (!key && file) {
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `cannot read the management key file ${name}_FILE=${file} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (!key) {
    throw new ConfigError(`the worker's environment has no management key: set ${name} (or ${name}_FILE)`);
  }
  registerSecret(key);
  return key;
}

export function createDefaultDependencies(options: DefaultDependencyOptions): ActivityDependencies {
  const env = options.env ?? process.env;
  const stores = new Map<string, SecretStore>();
  return {
    sealer: options.sealer,
    openRouter(rotation: RotationConfig) {
      const { baseUrl, managementKeyEnv } = rotation.openrouter;
      return new OpenRouterClient({
        baseUrl,
        managementKey: managementKeyFromEnvironment(managementKeyEnv, env),
      });
    },
    stores(rotation: RotationConfig) {
      return rotation.destinations.map((destination) => {
        const id = JSON.stringify(destination);
        let store = stores.get(id);
        if (!store) {
          store = createSecretStore(destination, { env });
          stores.set(id, store);
        }
        return store;
      });
    },
  };
}
