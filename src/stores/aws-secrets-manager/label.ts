import type { AwsDestinationConfig } from './schema.js';

/** `aws-secrets-manager:<secretId>[#jsonField]` */
export function awsDestinationLabel(config: AwsDestinationConfig): string {
  return `aws-secrets-manager:${config.secretId}${config.jsonField ? `#${config.jsonField}` : ''}`;
}
