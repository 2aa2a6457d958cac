/**
 * Builds the SecretStore for a destination from its config, through the registry. Credentials are
 * resolved lazily (at the first request), so building a store never fails on a missing variable
 * and a rotated token file is picked up.
 */
import type { DestinationConfig } from './destination-schemas.js';
import type { SecretRefDeps } from '../fields/secret-ref.js';
import type { StoreContext } from './destination.js';
import { destinationOf } from './registry.js';
import type { SecretStore } from './secret-store.js';

export interface CreateSecretStoreDeps {
  /** Environment that credential references (`{env: NAME}`) are read from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Folder that relative paths (file destinations, `{file: PATH}` references) resolve from. @default process.cwd() */
  cwd?: string;
  /** Refuses credential references the worker policy does not allow. @default allows all */
  refuseSecretRef?: SecretRefDeps['refuse'];
  /** Refuses a file the worker policy does not let a destination write (see StoreContext). @default allows all */
  refuseWrittenPath?: StoreContext['refuseWrittenPath'];
}

export function createSecretStore(config: DestinationConfig, deps: CreateSecretStoreDeps = {}): SecretStore {
  return destinationOf(config).createStore(config, {
    env: deps.env ?? process.env,
    cwd: deps.cwd ?? process.cwd(),
    refuse: deps.refuseSecretRef,
    refuseWrittenPath: deps.refuseWrittenPath,
  });
}
