/** A destination named for people, without any credential: `vault:secret/apps/checkout#OPENROUTER_API_KEY`. */
import type { DestinationConfig } from '../../config/schema.js';

export function destinationLabel(destination: DestinationConfig): string {
  switch (destination.type) {
    case 'file':
      return `file:${destination.path}#${destination.field}`;
    case 'aws-secrets-manager':
      return `aws-secrets-manager:${destination.secretId}${destination.jsonField ? `#${destination.jsonField}` : ''}`;
    case 'vault':
      return `vault:${destination.mount}/${destination.path}#${destination.field}`;
    case 'infisical':
      return `infisical:${destination.projectId}/${destination.environment}${destination.secretPath.replace(/\/$/, '')}/${destination.secretName}`;
  }
}
