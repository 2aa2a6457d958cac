/**
 * The saga of a rotation: every change before the switch registers how to undo it, and a failure
 * before the switch runs the undos newest first. Undos use the persistent activities: a transient
 * outage must not leave a half-done rotation behind.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { CreatedKeyInfo, RestoredDestination, RunBinding } from '../activities/activity-types.js';
import type { DeleteKeysOfRunInput } from '../activities/key-activities.js';
import type { SealedSecret } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import type { RotationActivities } from './activity-options.js';
import { reasonOf } from './rotation-failures.js';

/**
 * What an undo did: `kept` says why the change was kept on purpose (a destination may then hand
 * out the new key, so it stays alive); `left` says why something another change made was left as
 * it is (not ours to undo: reported, but the new key need not stay); `done` says what was undone,
 * in words for the failure message (undefined when there was nothing to undo, e.g. a write that
 * never happened).
 */
export type UndoResult = { kept: string } | { left: string } | { done: string | undefined };

export interface Compensation {
  kind: 'delete-new-key' | 'restore-destination' | 'unassign-guardrail' | 'remove-from-allow-list';
  /** What the undo does, for the failure message. */
  what: string;
  /** Undoes the change. */
  undo(): Promise<UndoResult>;
  /**
   * For `delete-new-key`: the part of the undo that is still due when the new key must be kept
   * (a destination may hand it out), e.g. deleting keys that lost creates made.
   */
  undoKeepingNewKey?(): Promise<UndoResult>;
}

/** Undoes the create step: the new key is deleted at OpenRouter. */
export function deleteNewKey(
  rotation: RotationConfig,
  newKey: CreatedKeyInfo,
  run: RunBinding,
  { persistentOpenRouter }: RotationActivities,
): Compensation {
  return {
    kind: 'delete-new-key',
    what: `delete new key ${newKey.label}`,
    async undo() {
      await persistentOpenRouter.deleteKey(rotation, newKey.hash, run);
      return { done: `the new key ${newKey.label} was deleted` };
    },
  };
}

/** Marks runs that register {@link deleteKeysOfRun} before the create (see rotation-workflow.ts). */
export const UNDO_LOST_CREATES_PATCH = 'undo-lost-creates';

/**
 * Undoes the create step, registered before it: deletes every key with the run's name, so also a
 * key made by an attempt whose answer was lost (the create's own retry deletes those too, but its
 * attempts may run out first). `created` gives the new key once the create has returned.
 */
export function deleteKeysOfRun(
  rotation: RotationConfig,
  run: DeleteKeysOfRunInput,
  created: () => CreatedKeyInfo | undefined,
  { persistentOpenRouter }: RotationActivities,
): Compensation {
  const described = (deleted: string[]): UndoResult => {
    const newKey = created();
    const others = deleted.filter((label) => label !== newKey?.label);
    const parts = [
      ...(newKey && deleted.includes(newKey.label) ? [`the new key ${newKey.label} was deleted`] : []),
      ...(others.length > 0
        ? [
            `${others.length} key(s) made by creates whose answer was lost were deleted (${others.join(', ')})`,
          ]
        : []),
    ];
    return { done: parts.length > 0 ? parts.join('; ') : undefined };
  };
  return {
    kind: 'delete-new-key',
    get what() {
      const newKey = created();
      return `delete the keys this run created${newKey ? ` (new key ${newKey.label})` : ''}`;
    },
    async undo() {
      return described((await persistentOpenRouter.deleteKeysOfRun(rotation, run)).deleted);
    },
    async undoKeepingNewKey() {
      const keepHash = created()?.hash;
      const { deleted } = await persistentOpenRouter.deleteKeysOfRun(rotation, {
        ...run,
        ...(keepHash ? { keepHash } : {}),
      });
      return described(deleted);
    },
  };
}

/**
 * Undoes the write to destination `index`, as a compare-and-set: the old key goes back only where
 * the destination still holds this run's new key, and only while the old key is alive (the
 * activity checks both); whatever else it holds is left and named. A first rotation has no old key
 * to put back, so a destination that got the new key keeps it, and the new key must then stay
 * alive; one that never got it is untouched, and the message says so rather than "restored".
 */
export function restoreDestination(
  rotation: RotationConfig,
  index: number,
  sealedOldKey: SealedSecret | undefined,
  newKey: CreatedKeyInfo,
  run: RunBinding,
  { persistentDestinations }: RotationActivities,
): Compensation {
  return {
    kind: 'restore-destination',
    what: `restore destination #${index + 1} (${rotation.destinations[index]?.type})`,
    async undo() {
      if (sealedOldKey) {
        const written = await persistentDestinations.writeDestination(
          rotation,
          index,
          sealedOldKey,
          'restore',
          {
            ...run,
            replacing: { hash: newKey.hash, createdAt: newKey.createdAt },
          },
        );
        // Not "again": a destination that held no key before is given the old key too.
        return 'outcome' in written
          ? undoOfRestore(written, newKey)
          : { done: `${written.destination} holds the old key` };
      }
      const { readings } = await persistentDestinations.readDestinations(rotation, run);
      const reading = readings[index];
      // A write-only destination cannot show what it holds: if it exists, it may hold the new key.
      if (reading?.hash === newKey.hash || (reading?.writeOnly && reading.present))
        return { kept: 'it held no key before, so it keeps the new one' };
      // A first rotation: nothing to restore, and this destination never got the new key.
      return {
        done: `${reading?.destination ?? `destination #${index + 1}`} never received the new key (it held none before)`,
      };
    },
  };
}

/** What a compare-and-set restore found and did, as an undo result. */
function undoOfRestore(
  { destination, outcome, found }: RestoredDestination,
  newKey: CreatedKeyInfo,
): UndoResult {
  switch (outcome) {
    case 'restored':
      return { done: `${destination} holds the old key` };
    case 'held-old-key':
      return { done: `${destination} already held the old key` };
    case 'held-nothing':
      return { done: `${destination} holds no key and was left so` };
    case 'not-written-by-run':
      return { done: `${destination} was not written by this run and was left as it is` };
    case 'held-other-key':
      return {
        left: `it holds another key (${found ?? 'unknown'}), not this run's new key ${newKey.label}: left as it is`,
      };
    case 'held-non-key':
      return {
        left: `it holds a value that is not an OpenRouter key, not this run's new key: left as it is`,
      };
    case 'old-key-dead':
      return {
        kept: `the old key no longer answers OpenRouter, so it was not written back; it keeps the new key ${newKey.label}`,
      };
  }
}

/** The undo list of one rotation. */
export class Compensations {
  readonly #steps: Compensation[] = [];
  readonly #done: string[] = [];
  #keptNewKey = false;

  /** Registers the undo of a change that is about to be made (a lost reply may hide a success). */
  add(step: Compensation): void {
    this.#steps.unshift(step);
  }

  get isEmpty(): boolean {
    return this.#steps.length === 0;
  }

  /**
   * What the last {@link rollBack} actually undid, in words for the failure message: which
   * destinations hold the old key, which never received the new one, that the new key was deleted.
   */
  /** Whether the last {@link rollBack} kept the new key because a destination may hand it out. */
  get keptNewKey(): boolean {
    return this.#keptNewKey;
  }

  get undoneSummary(): string {
    if (this.#done.length === 0) return 'nothing had been changed';
    return this.#done.join('; ');
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
        const keepingNewKey = step.kind === 'delete-new-key' && destinationKeepsNewKey;
        if (keepingNewKey) {
          this.#keptNewKey = true;
          problems.push('kept the new key because a destination may still hand it out');
        }
        const undo = keepingNewKey ? step.undoKeepingNewKey?.bind(step) : step.undo.bind(step);
        if (!undo) continue;
        let problem: string | undefined;
        try {
          const result = await undo();
          if ('kept' in result) problem = `${step.what}: ${result.kept}`;
          else if ('left' in result) {
            // Not this run's change: reported, and it does not make the new key stay.
            problems.push(`${step.what}: ${result.left}`);
            continue;
          } else if (result.done) this.#done.push(result.done);
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
