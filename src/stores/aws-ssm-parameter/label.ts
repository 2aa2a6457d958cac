import type { AwsSsmParameterDestinationConfig } from './schema.js';

/** `aws-ssm-parameter:<name>` */
export function awsSsmParameterDestinationLabel(config: AwsSsmParameterDestinationConfig): string {
  return `aws-ssm-parameter:${config.name}`;
}
