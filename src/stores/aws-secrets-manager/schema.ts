/** The config of an `aws-secrets-manager` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { awsEndpoint, awsRegion } from '../aws-fields.js';

export const awsSecretsManagerDestinationSchema = z
  .object({
    type: z.literal('aws-secrets-manager'),
    /** Secret name or ARN. */
    secretId: z.string().min(1),
    /** Region; otherwise the standard AWS provider chain decides. */
    region: awsRegion.optional(),
    /** Endpoint override (LocalStack, moto, VPC endpoints). */
    endpoint: awsEndpoint.optional(),
    /** When set, the secret is a JSON object and the key lives in this field; otherwise a plain string. */
    jsonField: z.string().min(1).optional(),
  })
  .strict();

export type AwsDestinationConfig = z.infer<typeof awsSecretsManagerDestinationSchema>;
