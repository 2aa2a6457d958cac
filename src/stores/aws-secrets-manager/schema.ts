/** The config of an `aws-secrets-manager` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { serviceUrl } from '../../fields/field-schemas.js';

export const awsSecretsManagerDestinationSchema = z
  .object({
    type: z.literal('aws-secrets-manager'),
    /** Secret name or ARN. */
    secretId: z.string().min(1),
    /** Region; otherwise the standard AWS provider chain decides. */
    region: z
      .string()
      // The SDK builds the endpoint's host name from it: one DNS label, nothing that could add a host.
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected an AWS region such as eu-west-1')
      .optional(),
    /** Endpoint override (LocalStack, moto, VPC endpoints). */
    endpoint: serviceUrl.optional(),
    /** When set, the secret is a JSON object and the key lives in this field; otherwise a plain string. */
    jsonField: z.string().min(1).optional(),
  })
  .strict();

export type AwsDestinationConfig = z.infer<typeof awsSecretsManagerDestinationSchema>;
