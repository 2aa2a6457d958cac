import type { GithubActionsSecretDestinationConfig } from './schema.js';

/** `github-actions-secret:<owner/repo>[/environments/<env>]#<name>` or `github-actions-secret:orgs/<org>#<name>` */
export function githubActionsSecretDestinationLabel(config: GithubActionsSecretDestinationConfig): string {
  const where = config.organization
    ? `orgs/${config.organization}`
    : `${config.repository}${config.environment ? `/environments/${config.environment}` : ''}`;
  return `github-actions-secret:${where}#${config.secretName}`;
}
