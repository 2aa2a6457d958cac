/** The config of an `aws-ssm-parameter` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { awsEndpoint, awsRegion } from '../aws-fields.js';

/** The KMS key Parameter Store encrypts SecureString parameters with when none is named. */
export const DEFAULT_SSM_KMS_KEY = 'alias/aws/ssm';
export const DEFAULT_SSM_LABEL = 'current';

/** Parameter Store's own rules for a parameter name, as AWS documents them. */
export function ssmParameterNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(name)) return 'expected letters, digits and _ . - / only';
  if (name.includes('/') && !name.startsWith('/'))
    return 'a hierarchical name must start with / (e.g. /apps/checkout/OPENROUTER_API_KEY)';
  if (/^\/?(aws|ssm)/i.test(name)) return 'must not start with "aws" or "ssm" (reserved by AWS)';
  if (name.split('/').length - 1 > 15) return 'at most 15 levels of hierarchy';
  return undefined;
}

/** A parameter label: AWS's rules (letters, digits, . - _, up to 100, not starting with a digit, aws or ssm). */
const ssmLabel = z
  .string()
  .regex(
    /^[A-Za-z_.-][A-Za-z0-9_.-]{0,99}$/,
    'expected a label of letters, digits, . - _ (up to 100, not starting with a digit)',
  )
  .refine(
    (label) => !/^(aws|ssm)/i.test(label),
    'a label must not start with "aws" or "ssm" (reserved by AWS)',
  );

export const awsSsmParameterDestinationSchema = z
  .object({
    type: z.literal('aws-ssm-parameter'),
    /** Parameter name, e.g. `/apps/checkout/OPENROUTER_API_KEY`. Created on the first write if missing. */
    name: z
      .string()
      .min(1)
      .max(1011)
      .superRefine((name, ctx) => {
        const problem = ssmParameterNameProblem(name);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** Region; otherwise the standard AWS provider chain decides. */
    region: awsRegion.optional(),
    /** Endpoint override (VPC endpoints, LocalStack, moto). */
    endpoint: awsEndpoint.optional(),
    /** KMS key the SecureString is encrypted with (id, ARN or alias). @default "alias/aws/ssm" */
    kmsKeyId: z.string().min(1).max(2048).default(DEFAULT_SSM_KMS_KEY),
    /**
     * Label moved to the version each rotation writes, so consumers may read `NAME:LABEL`; the
     * version before it stays in the parameter's history as the rollback target. @default "current"
     */
    label: ssmLabel.default(DEFAULT_SSM_LABEL),
  })
  .strict();

export type AwsSsmParameterDestinationConfig = z.infer<typeof awsSsmParameterDestinationSchema>;
