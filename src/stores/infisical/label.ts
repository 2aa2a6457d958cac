import type { InfisicalDestinationConfig } from './schema.js';

/** `infisical:<projectId>/<environment><secretPath>/#<secretName>` */
export function infisicalDestinationLabel(config: InfisicalDestinationConfig): string {
  const secretPath = config.secretPath.endsWith('/') ? config.secretPath : `${config.secretPath}/`;
  return `infisical:${config.projectId}/${config.environment}${secretPath}#${config.secretName}`;
}
