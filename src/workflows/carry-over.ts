/**
 * The carry-over: a new key is a drop-in replacement for the old one. What OpenRouter attaches to
 * a key's hash (its guardrail, the BYOK and observability allow-lists that name it) and where it
 * lives (workspace, creator) is read in preflight, set on the new key after create and before any
 * destination hands it out (each change with its undo in the saga), and the old hash is taken off
 * the allow-lists once the old key is deleted.
 */
import type { CreatedKeyInfo, KeyInfo } from '../activities/activity-types.js';
import type { AllowListRef, CarryOverPlan } from '../workflow-contract/carry-over-plan.js';
import type { CreateKeyInput } from '../activities/key-activities.js';
import type { RotationConfig } from '../config/schema.js';
import type { RotationActivities } from './activity-options.js';
import type { Compensation, Compensations } from './compensations.js';
import { reasonOf } from './rotation-failures.js';
import type { RotationState } from './rotation-state.js';

/**
 * The patch id of the carry-over. Runs recorded before it existed never called these activities;
 * `patched()` is false when such a history replays, so they replay the old command sequence.
 */
export const CARRY_OVER_PATCH = 'carry-over-attachments';

/** Preflight: what the new key will take over (only reads; a missing permission fails here). */
export async function planCarryOver(
  rotation: RotationConfig,
  oldKey: KeyInfo | undefined,
  { carryOver }: RotationActivities,
  state: RotationState,
): Promise<CarryOverPlan> {
  const plan = await carryOver.readAttachments(rotation, {
    oldKey: oldKey
      ? {
          hash: oldKey.hash,
          workspaceId: oldKey.workspaceId ?? null,
          creatorUserId: oldKey.creatorUserId ?? null,
          externalUser: oldKey.externalUser ?? null,
        }
      : null,
  });
  state.carryOverPlanned(plan);
  return plan;
}

/** What the create call takes from the plan: the workspace, the creator and the partner user. */
export function createdLike(
  plan: CarryOverPlan,
): Pick<CreateKeyInput, 'workspaceId' | 'creatorUserId' | 'externalUser'> {
  return {
    ...(plan.workspaceId ? { workspaceId: plan.workspaceId } : {}),
    ...(plan.creatorUserId ? { creatorUserId: plan.creatorUserId } : {}),
    ...(plan.externalUser ? { externalUser: plan.externalUser } : {}),
  };
}

/** Whether the new key gets anything after create: a guardrail, or a place on an allow-list. */
export function hasAttachments(plan: CarryOverPlan): boolean {
  return plan.guardrail !== null || plan.allowLists.length > 0;
}

/**
 * After create, before the switch: the guardrail is assigned to the new key and its hash added
 * to every allow-list that names the old key. Each undo is registered before its change (a lost
 * reply may hide a success), so a rollback takes them all back off.
 */
export async function carryOverToNewKey(
  rotation: RotationConfig,
  plan: CarryOverPlan,
  newKey: CreatedKeyInfo,
  activities: RotationActivities,
  saga: Compensations,
): Promise<void> {
  const { carryOver } = activities;
  if (plan.guardrail) {
    saga.add(unassignGuardrailFromNewKey(rotation, plan.guardrail, newKey, activities));
    await carryOver.assignGuardrail(rotation, { guardrailId: plan.guardrail.id, keyHash: newKey.hash });
  }
  for (const list of plan.allowLists) {
    saga.add(removeNewKeyFromAllowList(rotation, list, newKey, activities));
    await carryOver.addToAllowList(rotation, { list, keyHash: newKey.hash });
  }
}

/**
 * After the old key is deleted: its hash comes off the allow-lists. The rotation has succeeded by
 * then, so a failure here is a warning that names the list to clean up by hand.
 */
export async function releaseOldKey(
  rotation: RotationConfig,
  plan: CarryOverPlan,
  oldKey: KeyInfo,
  { carryOver }: RotationActivities,
  state: RotationState,
): Promise<void> {
  for (const list of plan.allowLists) {
    try {
      const { kept } = await carryOver.removeFromAllowList(rotation, { list, keyHash: oldKey.hash });
      if (kept) state.warn(`the deleted old key ${oldKey.label} stays on ${list.name}: ${kept}`);
    } catch (err) {
      state.warn(
        `the deleted old key ${oldKey.label} is still on ${list.name} (${reasonOf(err)}); remove its hash there by hand`,
      );
    }
  }
}

/** Undoes the guardrail carry-over: the new key leaves the guardrail again. */
export function unassignGuardrailFromNewKey(
  rotation: RotationConfig,
  guardrail: NonNullable<CarryOverPlan['guardrail']>,
  newKey: CreatedKeyInfo,
  { persistentCarryOver }: RotationActivities,
): Compensation {
  return {
    kind: 'unassign-guardrail',
    what: `unassign guardrail "${guardrail.name}" from new key ${newKey.label}`,
    async undo() {
      await persistentCarryOver.unassignGuardrail(rotation, {
        guardrailId: guardrail.id,
        keyHash: newKey.hash,
      });
      return { done: `the new key was taken off guardrail "${guardrail.name}"` };
    },
  };
}

/** Undoes an allow-list carry-over: the new key's hash comes off the list again. */
export function removeNewKeyFromAllowList(
  rotation: RotationConfig,
  list: AllowListRef,
  newKey: CreatedKeyInfo,
  { persistentCarryOver }: RotationActivities,
): Compensation {
  return {
    kind: 'remove-from-allow-list',
    what: `remove new key ${newKey.label} from ${list.name}`,
    async undo() {
      const { kept } = await persistentCarryOver.removeFromAllowList(rotation, {
        list,
        keyHash: newKey.hash,
      });
      return kept ? { kept } : { done: `the new key was removed from ${list.name}` };
    },
  };
}
