/**
 * The `github-actions-secret` destination: a repository, environment or organisation secret of
 * GitHub Actions. Write-only (GitHub never hands a secret's value back): see ../README.md,
 * "Write-only destinations".
 */
import type { Destination } from '../destination.js';
import { githubActionsSecretDestinationLabel } from './label.js';
import { githubActionsSecretPolicyHooks } from './policy.js';
import type { GithubActionsSecretDestinationConfig } from './schema.js';
import { GithubActionsSecretStore } from './store.js';

export const githubActionsSecretDestination: Destination<GithubActionsSecretDestinationConfig> = {
  createStore: (config, context) => new GithubActionsSecretStore(config, context),
  label: githubActionsSecretDestinationLabel,
  ...githubActionsSecretPolicyHooks,
};

export { githubActionsSecretDestinationLabel } from './label.js';
export {
  DEFAULT_GITHUB_API_URL,
  githubActionsSecretDestinationSchema,
  type GithubActionsSecretDestinationConfig,
} from './schema.js';
export { GithubActionsSecretStore, type GithubStoreDeps } from './store.js';
