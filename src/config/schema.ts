/**
 * The configuration contract: one zod schema, the single source of truth. Types are inferred from
 * it and the editor JSON Schema (`rotations.schema.json`) is generated from it.
 *
 * Credentials never appear here: only the names of environment variables or files that hold them.
 * This module has no Node built-ins so the workflow can import its types and helpers.
 */
import { z } from 'zod';
import { workerOwnVariableProblem } from '../policy/env-name-rules.js';
import { hasNulByte, pathProblem } from '../policy/path-rules.js';
import { serviceUrlProblem } from '../policy/url-rules.js';
import { DURATION_PATTERN, tryParseDuration } from './duration.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export const durationString = z
  .string()
  .regex(DURATION_PATTERN, 'expected a duration such as 24h, 30m, 1h30m or 0s')
  .refine((s) => !DURATION_PATTERN.test(s) || tryParseDuration(s) !== undefined, 'duration is too large');

/** Adds the issue `problem` finds, if any (one message per rule, written where the rule lives). */
function rule(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.core.$RefinementCtx<string>) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };
}

export const envVarName = z
  .string()
  .regex(ENV_NAME, 'expected the NAME of an environment variable (letters, digits, _), not a secret')
  // Never the worker's own secrets (codec keyring, Temporal API key), whatever the worker policy says.
  .superRefine(rule((name) => (ENV_NAME.test(name) ? workerOwnVariableProblem(name) : undefined)));

/**
 * A URL the worker sends credentials to: https (http only to a loopback host), no user:pass@, no
 * query or fragment. Which hosts are allowed at all is the worker policy's decision.
 */
export const serviceUrl = z
  .url()
  .superRefine(rule((url) => (URL.canParse(url) ? serviceUrlProblem(url) : undefined)));

/** A path the worker reads or writes, in normal form (no `.`, `..` or empty segments). */
export const normalisedPath = z.string().min(1).superRefine(rule(pathProblem));

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A credential reference: the name of an environment variable or the path of a file, never the value. */
export const secretRef = z
  .object({
    /** Name of the environment variable holding the value. */
    env: envVarName.optional(),
    /** Path of a file holding the value (trailing newline ignored). */
    file: normalisedPath.optional(),
  })
  .strict()
  .refine((r) => (r.env === undefined) !== (r.file === undefined), 'set exactly one of env or file');
export type SecretRef = z.infer<typeof secretRef>;

export const openRouterKeySchema = z
  .object({
    /** Display name prefix of keys this rotation creates; each key gets a suffix naming the run. */
    name: z.string().min(1).max(80),
    /** Spending limit in USD; null = no limit. @default null */
    limit: z.number().nonnegative('limit must be zero or more (USD)').nullable().default(null),
    /** When the limit resets (midnight UTC; weeks Mon–Sun); null = never. @default null */
    limitReset: z.enum(['daily', 'weekly', 'monthly']).nullable().default(null),
    /** Count BYOK usage against the limit. @default false */
    includeByokInLimit: z.boolean().default(false),
    /**
     * Expiry backstop: `auto` = interval + grace period + 7 days, a duration, or `none`.
     * A key that rotation failed to replace then still dies eventually. @default "none"
     */
    expiresAfter: z.union([z.literal('auto'), z.literal('none'), durationString]).default('none'),
  })
  .strict();

export const openRouterSchema = z
  .object({
    /** Name of the environment variable that holds the management key. @default "OPENROUTER_MANAGEMENT_KEY" */
    managementKeyEnv: envVarName.default('OPENROUTER_MANAGEMENT_KEY'),
    /** API base URL (the emulator's for tests and the demo). @default "https://openrouter.ai/api/v1" */
    baseUrl: serviceUrl.default('https://openrouter.ai/api/v1'),
    /** Workspace the keys live in; omitted = the default workspace. */
    workspaceId: z.uuid().optional(),
    key: openRouterKeySchema,
  })
  .strict();

export const scheduleSchema = z
  .object({
    /** Rotate once this many days have passed since the last successful rotation. */
    intervalDays: z.number().int().min(1).max(3650),
    /** Local time of day to rotate, HH:MM (24 h). @default "03:00" */
    rotateAt: z.string().regex(HH_MM, 'expected HH:MM, 24-hour clock, e.g. 03:00').default('03:00'),
    /** IANA time zone for rotateAt. @default "UTC" */
    timezone: z
      .string()
      .refine(isValidTimeZone, 'expected an IANA time zone such as Europe/Berlin or UTC')
      .default('UTC'),
    /** false = the schedule exists but is paused. @default true */
    enabled: z.boolean().default(true),
  })
  .strict();

export const verifySchema = z
  .object({
    /** How long a freshly created key may answer 401 before verification fails. @default "2m" */
    newKeyWindow: durationString.default('2m'),
    /** Require the new key to show usage and the old key's usage to stop growing before deleting. @default false */
    requireTrafficMoved: z.boolean().default(false),
    /** How long to hold (both keys live) waiting for traffic to move before failing. @default "24h" */
    trafficHoldTimeout: durationString.default('24h'),
  })
  .strict();

const fileDestination = z
  .object({
    type: z.literal('file'),
    /** Path of the file (relative paths resolve from the worker's working directory). */
    path: normalisedPath,
    /** dotenv (`NAME=value` lines) or json (`{"NAME": "value"}`). @default "dotenv" */
    format: z.enum(['dotenv', 'json']).default('dotenv'),
    /** Variable / field name that holds the key. @default "OPENROUTER_API_KEY" */
    field: z
      .string()
      .regex(ENV_NAME, 'expected a variable name (letters, digits, _; no leading digit)')
      .default('OPENROUTER_API_KEY'),
  })
  .strict();

const awsDestination = z
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

const vaultAuth = z.discriminatedUnion('method', [
  z.object({ method: z.literal('token'), token: secretRef }).strict(),
  z
    .object({
      method: z.literal('approle'),
      roleId: secretRef,
      secretId: secretRef,
      /** Mount path of the AppRole auth method. @default "approle" */
      mount: z.string().min(1).default('approle'),
    })
    .strict(),
]);

const vaultDestination = z
  .object({
    type: z.literal('vault'),
    /** Vault / OpenBao address, e.g. https://vault.example.com:8200 */
    address: serviceUrl,
    /** KV v2 mount. @default "secret" */
    mount: z.string().min(1).default('secret'),
    /** Secret path inside the mount, e.g. apps/checkout */
    path: z.string().min(1),
    /** Field of the secret that holds the key; other fields are kept. @default "OPENROUTER_API_KEY" */
    field: z.string().min(1).default('OPENROUTER_API_KEY'),
    /** Vault Enterprise / HCP namespace. */
    namespace: z.string().min(1).optional(),
    auth: vaultAuth,
  })
  .strict();

const infisicalDestination = z
  .object({
    type: z.literal('infisical'),
    /** Infisical instance. @default "https://app.infisical.com" */
    siteUrl: serviceUrl.default('https://app.infisical.com'),
    projectId: z.string().min(1),
    /** Environment slug, e.g. prod. */
    environment: z.string().min(1),
    /** @default "/" */
    secretPath: z.string().startsWith('/').default('/'),
    /** @default "OPENROUTER_API_KEY" */
    secretName: z.string().min(1).default('OPENROUTER_API_KEY'),
    /** Universal-auth machine identity credentials. */
    auth: z.object({ clientId: secretRef, clientSecret: secretRef }).strict(),
  })
  .strict();

export const destinationSchema = z.discriminatedUnion('type', [
  fileDestination,
  awsDestination,
  vaultDestination,
  infisicalDestination,
]);

export const rotationSchema = z
  .object({
    /** Unique slug naming this managed key (lowercase letters, digits, dashes). */
    name: z.string().regex(SLUG, 'expected a slug: lowercase letters, digits and dashes, e.g. checkout-prod'),
    description: z.string().max(500).default(''),
    openrouter: openRouterSchema,
    schedule: scheduleSchema,
    /** How long both keys stay live before the old one is deleted. @default "24h" */
    gracePeriod: durationString.default('24h'),
    verify: verifySchema.default(verifySchema.parse({})),
    /** Written in this order; a failure rolls back the ones already written. */
    destinations: z.array(destinationSchema).min(1, 'at least one destination is required'),
  })
  .strict()
  .superRefine((rotation, ctx) => {
    for (const path of stringsWithNulByte(rotation, [])) {
      ctx.addIssue({ code: 'custom', path, message: 'must not contain a NUL byte' });
    }
  });

/** Paths of the strings inside `value` that hold a NUL byte (C code would cut them short). */
function stringsWithNulByte(value: unknown, at: PropertyKey[]): PropertyKey[][] {
  if (typeof value === 'string') return hasNulByte(value) ? [at] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsWithNulByte(item, [...at, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, child]) => stringsWithNulByte(child, [...at, key]));
  }
  return [];
}

export const configSchema = z
  .object({
    /** Schema version of this file. @default 1 */
    version: z.literal(1).default(1),
    rotations: z.array(rotationSchema).superRefine((rotations, ctx) => {
      const seen = new Map<string, number>();
      rotations.forEach((r, i) => {
        const first = seen.get(r.name);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'name'],
            message: `duplicate rotation name "${r.name}" (first used at rotations[${first}])`,
          });
        } else seen.set(r.name, i);
      });
    }),
  })
  .strict();

export type RotationsConfig = z.infer<typeof configSchema>;
export type RotationConfig = z.infer<typeof rotationSchema>;
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type FileDestinationConfig = z.infer<typeof fileDestination>;
export type AwsDestinationConfig = z.infer<typeof awsDestination>;
export type VaultDestinationConfig = z.infer<typeof vaultDestination>;
export type InfisicalDestinationConfig = z.infer<typeof infisicalDestination>;
export type OpenRouterKeyConfig = z.infer<typeof openRouterKeySchema>;
