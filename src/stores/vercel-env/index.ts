/**
 * The `vercel-env` destination: an environment variable of a Vercel project. A new value reaches
 * the site with the next deployment; `redeploy: true` triggers one and verify waits for it.
 */
import type { Destination } from '../destination.js';
import { vercelEnvDestinationLabel } from './label.js';
import { vercelEnvPolicyHooks } from './policy.js';
import type { VercelEnvDestinationConfig } from './schema.js';
import { VercelEnvStore } from './store.js';

export const vercelEnvDestination: Destination<VercelEnvDestinationConfig> = {
  createStore: (config, context) => new VercelEnvStore(config, context),
  label: vercelEnvDestinationLabel,
  ...vercelEnvPolicyHooks,
};

export { vercelEnvDestinationLabel } from './label.js';
export {
  DEFAULT_VERCEL_API_URL,
  vercelEnvDestinationSchema,
  vercelEnvIsWriteOnly,
  type VercelEnvDestinationConfig,
} from './schema.js';
export { VercelEnvStore, type VercelStoreDeps } from './store.js';
