/**
 * The saga of a rotation: every change before the switch registers how to undo it, and a failure
 * before the switch runs the undos newest first. Undos use the persistent activities: a transient
 * outage must not leave a half-done rotation behind.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { AllowListRef, CarryOverPlan, CreatedKeyInfo } from '../activities/activity-types.js';
import type { SealedSecret } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import type { RotationActivities } from './activity-options.js';
import { reasonOf } from './rotation-failures.js';

export interface Compensation {
  kind: 'delete-new-key' | 'restore-destination' | 'unassign-guardrail' | 'remove-from-allow-list';
  /** What the undo does, for the failure message. */
  what: string;
  /** Undoes the change; resolves to why the change was kept on purpose, or undefined once undone. */
  undo(): Promise<string | undefined>;
}

/** Undoes the create step: the new key is deleted at OpenRouter. */
export function deleteNewKey(
  rotation: RotationConfig,
  newKey: CreatedKeyInfo,
  { persistentOpenRouter }: RotationActivities,
): Compensation {
  return {
    kind: 'delete-new-key',
    what: `delete new key ${newKey.label}`,
    async undo() {
      await persistentOpenRouter.deleteKey(rotation, newKey.hash);
      return undefined;
    },
  };
}

/** Undoes the guardrail carry-over: the new key leaves the guardrail again. */
export function unassignGuardrailFromNewKey(
  rotation: RotationConfig,
  guardrail: NonNullable<CarryOverPlan['guardrail']>,
  newKey: CreatedKeyInfo,
  { persistentOpenRouter }: RotationActivities,
): Compensation {
  return {
    kind: 'unassign-guardrail',
    what: `unassign guardrail "${guardrail.name}" from new key ${newKey.label}`,
    async undo() {
      await persistentOpenRouter.unassignGuardrail(rotation, {
        guardrailId: guardrail.id,
        keyHash: newKey.hash,
      });
      return undefined;
    },
  };
}

/** Undoes an allow-list carry-over: the new key's hash comes off the list again. */
export function removeNewKeyFromAllowList(
  rotation: RotationConfig,
  list: AllowListRef,
  newKey: CreatedKeyInfo,
  { persistentOpenRouter }: RotationActivities,
): Compensation {
  return {
    kind: 'remove-from-allow-list',
    what: `remove new key ${newKey.label} from ${list.name}`,
    async undo() {
      const { kept } = await persistentOpenRouter.removeFromAllowList(rotation, {
        list,
        keyHash: newKey.hash,
      });
      return kept;
    },
  };
}

/**
 * Undoes the write to destination `index`: it gets the old key back. A first rotation has no old
 * key to put back, so a destination that got the new key keeps it, and the new key must then stay
 * alive.
 */
export function restoreDestination(
  rotation: RotationConfig,
  index: number,
  sealedOldKey: SealedSecret | undefined,
  newKey: CreatedKeyInfo,
  { persistentDestinations }: RotationActivities,
): Compensation {
  return {
    kind: 'restore-destination',
    what: `restore destination #${index + 1} (${rotation.destinations[index]?.type})`,
    async undo() {
      if (sealedOldKey) {
        await persistentDestinations.writeDestination(rotation, index, sealedOldKey, 'restore');
        return undefined;
      }
      const { readings } = await persistentDestinations.readDestinations(rotation);
      const reading = readings[index];
      // A write-only destination cannot show what it holds: if it exists, it may hold the new key.
      return reading?.hash === newKey.hash || (reading?.writeOnly && reading.present)
        ? 'it held no key before, so it keeps the new one'
        : undefined;
    },
  };
}

/** The undo list of one rotation. */
export class Compensations {
  readonly #steps: Compensation[] = [];

  /** Registers the undo of a change that is about to be made (a lost reply may hide a success). */
  add(step: Compensation): void {
    this.#steps.unshift(step);
  }

  get isEmpty(): boolean {
    return this.#steps.length === 0;
  }

  /**
   * Runs the undos newest first, even if the workflow is being cancelled, and returns what could
   * not be undone. Once a destination could not be restored, the new key is kept: that
   * destination may still hand it out. (An allow-list or guardrail left behind does not keep it:
   * it names a key that is then gone.)
   */
  rollBack(): Promise<string[]> {
    return CancellationScope.nonCancellable(async () => {
      const problems: string[] = [];
      let destinationKeepsNewKey = false;
      for (const step of this.#steps) {
        if (step.kind === 'delete-new-key' && destinationKeepsNewKey) {
          problems.push('kept the new key because a destination may still hand it out');
          continue;
        }
        let problem: string | undefined;
        try {
          const kept = await step.undo();
          if (kept) problem = `${step.what}: ${kept}`;
        } catch (err) {
          if (isCancellation(err)) throw err;
          problem = `${step.what}: ${reasonOf(err)}`;
        }
        if (problem === undefined) continue;
        problems.push(problem);
        if (step.kind === 'restore-destination') destinationKeepsNewKey = true;
      }
      return problems;
    });
  }
}
