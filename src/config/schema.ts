/**
 * The configuration contract: one zod schema, the single source of truth. Types are inferred from
 * it and the editor JSON Schema (`rotations.schema.json`) is generated from it.
 *
 * Credentials never appear here: only the names of environment variables or files that hold them.
 * This module has no Node built-ins so the workflow can import its types and helpers.
 */
import { z } from 'zod';
import { notificationsSchema } from '../events/sink-schemas.js';
import { hasNulByte } from '../fields/path-rules.js';
import { destinationSchema, isWriteOnlyDestination } from '../stores/destination-schemas.js';
import { durationString, envVarName, serviceUrl } from '../fields/field-schemas.js';

/** A rotation's name: also the schedule id, workflow id and key-name suffix built from it. */
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

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

/** How much of the old key's attachments a rotation carries over (see `openrouter.carryOver`). */
export const carryOverModeSchema = z.enum(['auto', 'required', 'off']);
export type CarryOverMode = z.infer<typeof carryOverModeSchema>;

export const openRouterSchema = z
  .object({
    /** Name of the environment variable that holds the management key. @default "OPENROUTER_MANAGEMENT_KEY" */
    managementKeyEnv: envVarName.default('OPENROUTER_MANAGEMENT_KEY'),
    /** API base URL (the emulator's for tests and the demo). @default "https://openrouter.ai/api/v1" */
    baseUrl: serviceUrl.default('https://openrouter.ai/api/v1'),
    /**
     * Workspace new keys are created in; omitted = the workspace of the key being replaced (the
     * default workspace on a first rotation).
     */
    workspaceId: z.uuid().optional(),
    /**
     * The guardrail the new key gets: `inherit` = the one assigned directly to the key being
     * replaced (if any), a guardrail id = that guardrail, `none` = none is assigned. Omitted =
     * `inherit` (see {@link guardrailSettingOf}). @default "inherit"
     */
    guardrail: z
      .union([
        z.literal('inherit'),
        z.literal('none'),
        z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected inherit, none or a guardrail id'),
      ])
      .optional(),
    /**
     * What of the old key's attachments (guardrail, BYOK and observability allow-lists, workspace
     * settings) the new key takes over: `auto` = whatever the account has (a feature whose listing
     * answers 404 is skipped, with a warning), `required` = every one, or preflight fails, `off` =
     * none is read or written (the new key is still created in the old key's workspace, for its
     * creator). Omitted = `defaults.openrouter.carryOver`, else `auto` (see {@link carryOverModeOf}).
     * @default "auto"
     */
    carryOver: carryOverModeSchema.optional(),
    key: openRouterKeySchema,
  })
  .strict()
  .superRefine((openrouter, ctx) => {
    const guardrail = openrouter.guardrail;
    if (openrouter.carryOver === 'off' && guardrail !== undefined && guardrail !== 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['guardrail'],
        message: `guardrail ${guardrail} would not be assigned with carryOver: off (no carry-over reads or writes); use carryOver: auto or required, or leave guardrail out`,
      });
    }
  });

/** The guardrail setting of a rotation, `inherit` when the config leaves it out. */
export function guardrailSettingOf(rotation: { openrouter: { guardrail?: string } }): string {
  return rotation.openrouter.guardrail ?? 'inherit';
}

/** The carry-over mode of a rotation, `auto` when neither it nor the file's defaults set one. */
export function carryOverModeOf(rotation: { openrouter: { carryOver?: CarryOverMode } }): CarryOverMode {
  return rotation.openrouter.carryOver ?? 'auto';
}

/** Settings every rotation of the file takes unless it sets its own. */
export const defaultsSchema = z
  .object({
    openrouter: z
      .object({
        /** The carry-over mode of every rotation without `openrouter.carryOver`. @default "auto" */
        carryOver: carryOverModeSchema.optional(),
      })
      .strict()
      .optional(),
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
    /**
     * Written in this order; a failure rolls back the ones already written. Each one's `type`
     * picks its schema (src/stores/destination-schemas.ts).
     */
    destinations: z.array(destinationSchema).min(1, 'at least one destination is required'),
    /**
     * Where this rotation's lifecycle events go (webhook, slack, log; see docs/events.md). Omitted
     * = the file's top-level `notifications`; `[]` = none.
     */
    notifications: notificationsSchema.optional(),
  })
  .strict()
  .superRefine((rotation, ctx) => {
    for (const path of stringsWithNulByte(rotation, [])) {
      ctx.addIssue({ code: 'custom', path, message: 'must not contain a NUL byte' });
    }
    // Write-only destinations cannot say which key is current, nor give it back for a rollback.
    if (rotation.destinations.every(isWriteOnlyDestination)) {
      ctx.addIssue({
        code: 'custom',
        path: ['destinations'],
        message:
          `rotation "${rotation.name}" has only write-only destinations (GitHub Actions secrets, Vercel sensitive ` +
          'variables); add one that can be read back (file, vault, aws-secrets-manager, aws-ssm-parameter, gcp-secret-manager, azure-key-vault, ' +
          'infisical, kubernetes-secret, or vercel-env with variableType: encrypted): it tells which key is current and ' +
          'holds the value a rollback writes back',
      });
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
    /** Where the lifecycle events of every rotation without its own `notifications` go. @default [] */
    notifications: notificationsSchema.optional(),
    /** Settings every rotation takes unless it sets its own (today: `openrouter.carryOver`). */
    defaults: defaultsSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.defaults?.openrouter?.carryOver !== 'off') return;
    config.rotations.forEach((r, i) => {
      const guardrail = r.openrouter.guardrail;
      if (r.openrouter.carryOver === undefined && guardrail !== undefined && guardrail !== 'none') {
        ctx.addIssue({
          code: 'custom',
          path: ['rotations', i, 'openrouter', 'guardrail'],
          message: `guardrail ${guardrail} would not be assigned with defaults.openrouter.carryOver: off; set this rotation's openrouter.carryOver to auto or required, or leave guardrail out`,
        });
      }
    });
  })
  // Each rotation carries its sinks and defaults itself (the schedule's snapshot is the workflow's input).
  .transform((config) => ({
    ...config,
    rotations: config.rotations.map((rotation) => withDefaults(rotation, config)),
  }));

function withDefaults(
  rotation: RotationConfig,
  config: { notifications?: RotationConfig['notifications']; defaults?: z.infer<typeof defaultsSchema> },
): RotationConfig {
  const carryOver = config.defaults?.openrouter?.carryOver;
  return {
    ...rotation,
    ...(rotation.notifications === undefined && config.notifications !== undefined
      ? { notifications: config.notifications }
      : {}),
    ...(rotation.openrouter.carryOver === undefined && carryOver !== undefined
      ? { openrouter: { ...rotation.openrouter, carryOver } }
      : {}),
  };
}

export type RotationsConfig = z.infer<typeof configSchema>;
export type RotationConfig = z.infer<typeof rotationSchema>;
export type OpenRouterKeyConfig = z.infer<typeof openRouterKeySchema>;
