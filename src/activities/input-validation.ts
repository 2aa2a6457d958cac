/**
 * Every activity validates its input again before any I/O: workflow input is not authenticated
 * (anyone who can start a workflow chooses it), so the worker trusts only its own checks. The
 * rotation must match the config schema and the worker policy; every other argument its own small
 * schema. A refusal is a non-retryable PolicyViolationError naming the field and the rule.
 */
import { z } from 'zod';
import type { SealedSecret } from '../codec/secret-sealer.js';
import { formatConfigPath } from '../config-files/config-file-error.js';
import { toConfigIssues } from '../config-files/config-issues.js';
import { rotationSchema, type RotationConfig } from '../config/schema.js';
import { PolicyViolationError } from '../errors/rotator-errors.js';
import type { RotationAdmission } from '../policy/rotation-admission.js';
import type { CarryOverActivities } from './carry-over-activities.js';
import type { DestinationActivities, WritePurpose } from './destination-activities.js';
import type { KeyActivities } from './key-activities.js';
import type { UsageActivities } from './usage-activities.js';
import { creatorOfKeyName } from '../workflow-contract/key-settings.js';

type Activity = (rotation: RotationConfig, ...rest: never[]) => Promise<unknown>;

/** The arguments after the rotation. */
type RestOf<F> = F extends (rotation: RotationConfig, ...rest: infer R) => Promise<unknown> ? R : never;

/** For each activity, the schema of its arguments after the rotation (which may bound them). */
export type ActivityInputSchemas<T> = {
  [K in keyof T]-?: (rotation: RotationConfig) => z.ZodType<RestOf<T[K]>>;
};

/** OpenRouter's key hash: sha256, 64 lowercase hex digits. */
const keyHash = z.string().regex(/^[0-9a-f]{64}$/, 'expected a key hash (64 lowercase hex digits)');

/** A key as the sealer hands it between activities; what is inside is the sealer's to judge. */
const sealedSecret = z.custom<SealedSecret>(
  (value) => typeof value === 'string' && value.length <= 16_384 && /^sealed:v\d+:\S+$/.test(value),
  'expected a sealed key (sealed:v4:...)',
);

/** A run's token (src/workflows/run-token.ts): a uuid4 of the workflow's randomness. */
const runToken = z.uuid('expected a run token (a UUID)');

/** Which run an activity acts for (absent in runs started before the run token). */
const runBinding = z.object({ runToken: runToken.optional() }).strict();

/** A restore's binding: the key it may replace (this run's new key). */
const restoreBinding = z
  .object({
    runToken: runToken.optional(),
    replacing: z.object({ hash: keyHash, createdAt: z.iso.datetime({ offset: true }) }).strict(),
  })
  .strict();

/** An OpenRouter id of a workspace, guardrail, BYOK credential or observability destination. */
const attachmentId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected an OpenRouter id (letters, digits, - and _)');

const allowListRef = z
  .object({
    kind: z.enum(['byok', 'observability']),
    id: attachmentId,
    name: z.string().max(500),
  })
  .strict();

const writePurpose = z.enum(['store', 'restore'] satisfies WritePurpose[]);

/** The index of one of the rotation's destinations. */
const destinationIndex = (rotation: RotationConfig) =>
  z
    .number()
    .int()
    .min(0)
    .max(rotation.destinations.length - 1, 'expected the index of one of the rotation destinations');

export const openRouterActivityInputs = {
  checkManagementKey: () => z.tuple([]),
  describeKey: () => z.tuple([keyHash]),
  createKey: () =>
    z.tuple([
      z
        .object({
          keyName: z.string().min(1).max(200),
          expiresAt: z.iso.datetime().nullable(),
          workspaceId: attachmentId.optional(),
          creatorUserId: z.string().min(1).max(200).optional(),
          externalUser: z.string().min(1).max(500).optional(),
          runToken: runToken.optional(),
        })
        .strict(),
    ]),
  deleteKeysOfRun: (rotation) =>
    z.tuple([
      z
        .object({
          // Only a name this rotation gives its own keys: the call deletes every key so named.
          keyName: z
            .string()
            .max(200)
            .refine((name) => creatorOfKeyName(name)?.rotation === rotation.name, {
              message: `not a name key-rotator gives the keys of rotation "${rotation.name}"`,
            }),
          workspaceId: attachmentId.optional(),
          keepHash: keyHash.optional(),
          runToken: runToken.optional(),
        })
        .strict(),
    ]),
  verifyNewKey: () =>
    z.tuple([
      z
        .object({
          sealedKey: sealedSecret,
          windowMs: z.number().int().nonnegative(),
          runToken: runToken.optional(),
        })
        .strict(),
    ]),
  keyUsage: () =>
    z.tuple([
      z.array(keyHash).min(1).max(10),
      z.object({ requestsSince: z.iso.datetime().optional() }).strict().optional(),
    ]),
  deleteKey: () =>
    z.tuple([
      keyHash,
      z.object({ runToken: runToken.optional(), sealedOldKey: sealedSecret.optional() }).strict().optional(),
    ]),
  listRotatorKeys: () =>
    z.tuple([
      z
        .object({
          createdBefore: z.iso.datetime(),
          rotations: z.array(z.string().min(1)).optional(),
          workspaces: z.array(z.uuid().nullable()).optional(),
        })
        .strict(),
    ]),
} satisfies ActivityInputSchemas<KeyActivities & UsageActivities>;

export const carryOverActivityInputs = {
  readAttachments: () =>
    z.tuple([
      z
        .object({
          oldKey: z
            .object({
              hash: keyHash,
              workspaceId: attachmentId.nullable(),
              creatorUserId: z.string().min(1).max(200).nullable(),
              externalUser: z.string().min(1).max(500).nullable(),
            })
            .strict()
            .nullable(),
        })
        .strict(),
    ]),
  assignGuardrail: () => z.tuple([z.object({ guardrailId: attachmentId, keyHash }).strict()]),
  unassignGuardrail: () => z.tuple([z.object({ guardrailId: attachmentId, keyHash }).strict()]),
  addToAllowList: () => z.tuple([z.object({ list: allowListRef, keyHash }).strict()]),
  removeFromAllowList: () => z.tuple([z.object({ list: allowListRef, keyHash }).strict()]),
} satisfies ActivityInputSchemas<CarryOverActivities>;

export const destinationActivityInputs = {
  readDestinations: () => z.tuple([runBinding.optional()]),
  writeDestination: (rotation) =>
    z.tuple([
      destinationIndex(rotation),
      sealedSecret,
      writePurpose,
      z.union([restoreBinding, runBinding]).optional(),
    ]),
  verifyDestinations: () => z.tuple([keyHash]),
  retirePreviousVersions: () => z.tuple([sealedSecret, runBinding.optional()]),
} satisfies ActivityInputSchemas<DestinationActivities>;

export interface InputValidationOptions {
  /** The worker policy's admission: the parsed rotation is admitted here, before anything else. */
  admission: RotationAdmission;
}

function refuse(activity: string, what: string, problems: string[]): PolicyViolationError {
  return new PolicyViolationError(
    `${activity} refused its input (${what}): ${problems.join('; ')}. ` +
      'Nothing was sent or written; start the rotation from a valid rotations file',
  );
}

/**
 * Wraps every activity of `activities` so that it runs only on input that passes its schema and
 * the worker policy, and runs on the parsed input (no field the schema does not know survives).
 */
export function withInputValidation<T extends Record<string, Activity>>(
  activities: T,
  inputs: ActivityInputSchemas<T>,
  options: InputValidationOptions,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities)) {
    const restSchema = inputs[name as keyof T];
    wrapped[name] = async (rotationInput: unknown, ...restInput: unknown[]) => {
      const rotation = rotationSchema.safeParse(rotationInput);
      if (!rotation.success) {
        const issues = toConfigIssues(rotation.error, rotationSchema, rotationInput);
        throw refuse(
          name,
          'the rotation',
          issues.map((issue) => `${issue.path || '(the rotation)'}: ${issue.message}`),
        );
      }
      options.admission.admit(rotation.data);
      const rest = restSchema(rotation.data).safeParse(restInput);
      if (!rest.success) {
        throw refuse(
          name,
          'its arguments',
          rest.error.issues.map((issue) => {
            if (issue.path.length === 0 && (issue.code === 'too_big' || issue.code === 'too_small')) {
              return `takes ${Number(issue.code === 'too_big' ? issue.maximum : issue.minimum) + 1} argument(s), got ${restInput.length + 1}`;
            }
            const [position, ...inside] = issue.path;
            // Argument 1 is the rotation; the issue path starts at the argument after it.
            const argument = `argument ${Number(position ?? 0) + 2}`;
            return `${inside.length > 0 ? `${argument} ${formatConfigPath(inside)}` : argument}: ${issue.message}`;
          }),
        );
      }
      return activity(rotation.data, ...(rest.data as never[]));
    };
  }
  return wrapped as T;
}
