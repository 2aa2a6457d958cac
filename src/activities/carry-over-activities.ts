/**
 * The carry-over's activities: what OpenRouter attaches to the old key (guardrail, the BYOK and
 * observability allow-lists that name it, the workspace settings that cannot follow it) is read in
 * preflight, and set on the new key (and later taken off the old one) one idempotent change at a
 * time. They run on the OpenRouter task queue with the key activities, under the same rate limit.
 */
import { activityInfo, cancellationSignal } from '@temporalio/activity';
import type { RotationConfig } from '../config/schema.js';
import { VerificationError } from '../errors/rotator-errors.js';
import type { OpenRouterClient } from '../openrouter/client.js';
import { OpenRouterNotFoundError } from '../openrouter/errors.js';
import { AttachmentIndexes } from '../openrouter/attachment-index.js';
import { readAttachments, type ReadAttachmentsInput } from './carry-over-reads.js';
import type { AllowListChange } from './activity-types.js';
import type { AllowListRef, CarryOverPlan } from '../workflow-contract/carry-over-plan.js';
import type { ActivityDependencies } from './dependencies.js';

export type { ReadAttachmentsInput } from './carry-over-reads.js';

export interface GuardrailAssignmentInput {
  guardrailId: string;
  keyHash: string;
}

export interface AllowListEntryInput {
  list: AllowListRef;
  keyHash: string;
}

/** The key hashes on an allow-list now; null when it no longer restricts keys, undefined when it is gone. */
async function hashesOn(
  client: OpenRouterClient,
  list: AllowListRef,
  opts: { signal: AbortSignal },
): Promise<string[] | null | undefined> {
  try {
    return list.kind === 'byok'
      ? (await client.getByokKey(list.id, opts)).allowedApiKeyHashes
      : (await client.getObservabilityDestination(list.id, opts)).apiKeyHashes;
  } catch (err) {
    if (err instanceof OpenRouterNotFoundError) return undefined;
    throw err;
  }
}

async function setHashesOn(
  client: OpenRouterClient,
  list: AllowListRef,
  hashes: string[],
  opts: { signal: AbortSignal },
): Promise<void> {
  if (list.kind === 'byok') await client.setByokAllowedKeys(list.id, hashes, opts);
  else await client.setObservabilityKeys(list.id, hashes, opts);
}

export function createCarryOverActivities(deps: ActivityDependencies) {
  const call = () => ({ signal: cancellationSignal() });
  // One per worker process and account, shared by every rotation this worker runs.
  const indexes = new AttachmentIndexes();

  return {
    /**
     * Preflight of the carry-over: what the new key takes over from the old key (its workspace,
     * creator, guardrail and the allow-lists that name it), with the config's overrides applied.
     * Only reads; a management key that may not read what is needed fails here, before create.
     */
    async readAttachments(rotation: RotationConfig, input: ReadAttachmentsInput): Promise<CarryOverPlan> {
      const client = deps.openRouter(rotation);
      // This attempt's schedule time, not the first attempt's: a retry (e.g. after a listing that
      // did not join up) must not be answered by the listing that failed it.
      const scheduledAtMs = activityInfo().currentAttemptScheduledTimestampMs;
      return readAttachments(client, indexes.of(client.account), rotation, input, {
        signal: cancellationSignal(),
        scheduledAtMs,
      });
    },

    /**
     * Assigns the guardrail to the key (idempotent: a key holds one guardrail), then checks it
     * took: an `assigned_count` of 1 for the one key sent is OpenRouter's own word that it did; 0
     * (it was already assigned, e.g. by an attempt whose reply was lost) is checked at the two ends
     * of the guardrail's assignments (one or two pages, whatever the guardrail's size).
     */
    async assignGuardrail(
      rotation: RotationConfig,
      input: GuardrailAssignmentInput,
    ): Promise<{ assigned: boolean }> {
      const client = deps.openRouter(rotation);
      const { assignedCount } = await client.assignGuardrail(input.guardrailId, [input.keyHash], call());
      if (assignedCount === 1) return { assigned: true };
      if (!(await client.isAssignedRecently(input.guardrailId, input.keyHash, call()))) {
        throw new VerificationError(
          `guardrail ${input.guardrailId} does not list the new key after assigning it; retrying`,
          { retryable: true },
        );
      }
      return { assigned: assignedCount > 0 };
    },

    /** Undoes {@link assignGuardrail} (idempotent: a key not assigned to it is left alone). */
    async unassignGuardrail(
      rotation: RotationConfig,
      input: GuardrailAssignmentInput,
    ): Promise<{ unassigned: boolean }> {
      const client = deps.openRouter(rotation);
      const { unassignedCount } = await client.unassignGuardrail(input.guardrailId, [input.keyHash], call());
      return { unassigned: unassignedCount > 0 };
    },

    /**
     * Adds the key's hash to an allow-list (idempotent: read, then write only what is missing). A
     * list that is gone, or that no longer restricts keys, is left as it is.
     */
    async addToAllowList(rotation: RotationConfig, input: AllowListEntryInput): Promise<AllowListChange> {
      const client = deps.openRouter(rotation);
      const current = await hashesOn(client, input.list, call());
      if (current === undefined) return { changed: false, kept: `${input.list.name} no longer exists` };
      if (current === null) return { changed: false, kept: `${input.list.name} no longer restricts keys` };
      if (current.includes(input.keyHash)) return { changed: false };
      await setHashesOn(client, input.list, [...current, input.keyHash], call());
      return { changed: true };
    },

    /**
     * Removes the key's hash from an allow-list (idempotent). The last hash is never removed:
     * OpenRouter refuses an empty list, and lifting the restriction would let every key in.
     */
    async removeFromAllowList(
      rotation: RotationConfig,
      input: AllowListEntryInput,
    ): Promise<AllowListChange> {
      const client = deps.openRouter(rotation);
      const current = await hashesOn(client, input.list, call());
      if (!current?.includes(input.keyHash)) return { changed: false };
      const rest = current.filter((h) => h !== input.keyHash);
      if (rest.length === 0) {
        return {
          changed: false,
          kept: `it is the only key left on ${input.list.name} (an empty list is refused, and no list would allow every key)`,
        };
      }
      await setHashesOn(client, input.list, rest, call());
      return { changed: true };
    },
  };
}

export type CarryOverActivities = ReturnType<typeof createCarryOverActivities>;
