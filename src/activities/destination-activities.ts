/**
 * Activities that read and write the rotation's secret destinations. Values stay inside these
 * functions: the workflow sees hashes, labels and versions, and keys only as sealed blobs.
 */
import { createHash } from 'node:crypto';
import { activityInfo, cancellationSignal, log } from '@temporalio/activity';
import type { SealedSecret, SealPurpose } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import { DestinationError, NotAnOpenRouterKeyError, VerificationError } from '../errors/rotator-errors.js';
import { OpenRouterAuthError } from '../openrouter/errors.js';
import { hashOfKey } from '../openrouter/hash.js';
import { describeFoundValue, isOpenRouterApiKey, NOT_AN_OPENROUTER_KEY } from '../openrouter/key-shape.js';
import { labelOfKey } from '../errors/redact.js';
import type { SecretStore, WriteOnlyState, WriteOptions } from '../stores/secret-store.js';
import type {
  DestinationReading,
  DestinationsSnapshot,
  RestoreBinding,
  RestoredDestination,
  RunBinding,
  WrittenVersion,
} from './activity-types.js';
import type { ActivityDependencies } from './dependencies.js';
import { sealingFor } from './rotation-sealing.js';

export type WritePurpose = 'store' | 'restore';

/** What retirePreviousVersions did: the versions retired per destination, and what it could not do. */
export interface RetiredVersions {
  retired: { destination: string; versions: string[] }[];
  warnings: string[];
}

/** Which sealed key each write accepts: a rollback can never be fed the new key, nor a store the old one. */
const SEALED_KEY_FOR: Record<WritePurpose, SealPurpose> = { store: 'new-key', restore: 'old-key' };

/**
 * A token that is the same for every attempt of one logical write (this run, this destination,
 * this purpose) and different for any other: AWS ClientRequestToken and friends.
 */
function idempotencyToken(purpose: WritePurpose, index: number): string {
  const { workflowExecution, activityId } = activityInfo();
  const run = workflowExecution ? `${workflowExecution.workflowId}\n${workflowExecution.runId}` : activityId;
  return createHash('sha256').update(`${run}\n${purpose}\n${index}`).digest('hex').slice(0, 48);
}

function storeAt(stores: SecretStore[], index: number): SecretStore {
  const store = stores[index];
  if (!store) throw new DestinationError(`destination #${index + 1}`, 'not in the configuration');
  return store;
}

export function createDestinationActivities(deps: ActivityDependencies) {
  return {
    /**
     * What every destination holds now. When the present values agree, the value is returned
     * sealed as the rollback target; when they disagree, only hashes and labels come back and
     * the workflow refuses to go on. A value that is not an OpenRouter key stops the read: no
     * hash or label of it is made (they would show part of another secret), nothing is sealed.
     * @throws NotAnOpenRouterKeyError naming the destination, never the value.
     */
    async readDestinations(rotation: RotationConfig, run: RunBinding = {}): Promise<DestinationsSnapshot> {
      const readings: DestinationReading[] = [];
      const values = new Set<string>();
      for (const store of deps.stores(rotation)) {
        if (store.readWriteOnlyState) {
          // No value to compare or roll back to: the readable destinations speak for the key.
          const state = await store.readWriteOnlyState();
          readings.push({
            destination: store.description,
            present: state !== null,
            writeOnly: true,
            ...(state ? { version: state.version } : {}),
          });
          continue;
        }
        const current = await store.read();
        if (!current) {
          readings.push({ destination: store.description, present: false });
          continue;
        }
        if (!isOpenRouterApiKey(current.value)) {
          throw new NotAnOpenRouterKeyError(
            store.description,
            `holds ${NOT_AN_OPENROUTER_KEY}; nothing was created or written. key-rotator replaces only an ` +
              'OpenRouter key (or fills an empty destination): check that the destination names the right ' +
              'secret and field, or empty it',
          );
        }
        values.add(current.value);
        readings.push({
          destination: store.description,
          present: true,
          hash: hashOfKey(current.value),
          label: labelOfKey(current.value),
          version: current.version,
        });
      }
      const [only] = values;
      return values.size === 1 && only !== undefined
        ? { readings, sealedCurrent: sealingFor(deps.sealer, rotation, run.runToken).seal('old-key', only) }
        : { readings };
    },

    /**
     * Writes a sealed key to the destination at `index` (new key on store, old key on restore).
     * A restore that names the key it replaces (`run.replacing`, this run's new key) is a
     * compare-and-set: see {@link restoreOverOwnNewKey}.
     */
    async writeDestination(
      rotation: RotationConfig,
      index: number,
      sealedValue: SealedSecret,
      purpose: WritePurpose,
      run: RunBinding | RestoreBinding = {},
    ): Promise<WrittenVersion | RestoredDestination> {
      const value = sealingFor(deps.sealer, rotation, run.runToken).unseal(
        SEALED_KEY_FOR[purpose],
        sealedValue,
      );
      const store = storeAt(deps.stores(rotation), index);
      const options = {
        idempotencyToken: idempotencyToken(purpose, index),
        rotation: rotation.name,
        keyExpiresAt: async () =>
          (await deps.openRouter(rotation).getKey(hashOfKey(value))).expiresAt ?? undefined,
      };
      if (purpose === 'restore' && 'replacing' in run) {
        const restored = await restoreOverOwnNewKey(deps, rotation, store, value, run.replacing, options);
        log.info(`restore of ${store.description}: ${restored.outcome}`, {
          rotation: rotation.name,
          step: 'rollback',
          destination: store.description,
          ...(restored.version ? { version: restored.version } : {}),
        });
        return restored;
      }
      const { version } =
        purpose === 'store' ? await store.write(value, options) : await store.restore(value, options);
      log.info(
        `${purpose === 'store' ? 'stored new key in' : 'restored previous key in'} ${store.description}`,
        {
          rotation: rotation.name,
          step: purpose === 'store' ? 'store' : 'rollback',
          destination: store.description,
          label: labelOfKey(value),
          version,
        },
      );
      return { destination: store.description, version };
    },

    /**
     * After the old key was deleted: every destination that keeps versions retires those holding
     * it (SecretStore.retirePrevious). Each destination is tried; a retryable failure of any makes
     * the activity retry (retiring is idempotent), the others come back as warnings.
     */
    async retirePreviousVersions(
      rotation: RotationConfig,
      sealedOldKey: SealedSecret,
      run: RunBinding = {},
    ): Promise<RetiredVersions> {
      const oldKey = sealingFor(deps.sealer, rotation, run.runToken).unseal('old-key', sealedOldKey);
      const result: RetiredVersions = { retired: [], warnings: [] };
      let retry: DestinationError | undefined;
      for (const store of deps.stores(rotation)) {
        if (!store.retirePrevious) continue;
        try {
          const versions = await store.retirePrevious(oldKey);
          if (versions.length > 0) {
            result.retired.push({ destination: store.description, versions });
            log.info(`retired the versions holding the deleted key in ${store.description}`, {
              rotation: rotation.name,
              label: labelOfKey(oldKey),
              versions,
            });
          }
        } catch (err) {
          if (err instanceof DestinationError && err.retryable) retry ??= err;
          const reason =
            err instanceof DestinationError ? err.message : `${store.description}: ${String(err)}`;
          result.warnings.push(
            `the versions holding the deleted key ${labelOfKey(oldKey)} were not retired (${reason})`,
          );
        }
      }
      if (retry) throw retry;
      return result;
    },

    /**
     * Every destination hands out the key with `expectedHash`; compares hashes, returns versions.
     * A write-only destination cannot be compared: it passes when it was written no earlier than
     * the new key's creation at OpenRouter (less a clock slack), i.e. during this rotation.
     * A store with `settle()` is read only once it settled.
     */
    async verifyDestinations(rotation: RotationConfig, expectedHash: string): Promise<WrittenVersion[]> {
      const versions: WrittenVersion[] = [];
      const wrong: string[] = [];
      let newKeyCreatedAt: string | undefined;
      const stores = deps.stores(rotation);
      // Rollouts and redeployments the writes started must finish before the old key may go. All
      // at once: each waits up to its own bound, and together they must fit the activity's timeout.
      await Promise.all(stores.map((store) => store.settle?.()));
      for (const store of stores) {
        if (store.readWriteOnlyState) {
          newKeyCreatedAt ??= (await deps.openRouter(rotation).getKey(expectedHash)).createdAt;
          const state = await store.readWriteOnlyState();
          const problem = writeOnlyProblem(state, newKeyCreatedAt);
          if (problem) wrong.push(`${store.description} ${problem}`);
          else if (state) versions.push({ destination: store.description, version: state.version });
          continue;
        }
        const current = await store.read();
        if (!current) wrong.push(`${store.description} holds no key`);
        else if (hashOfKey(current.value) !== expectedHash) {
          wrong.push(`${store.description} holds ${describeFoundValue(current.value)}`);
        } else versions.push({ destination: store.description, version: current.version });
      }
      if (wrong.length > 0) {
        throw new VerificationError(`destinations do not hand out the new key: ${wrong.join('; ')}`);
      }
      return versions;
    },
  };
}

/**
 * How far a write-only destination's clock may lag OpenRouter's: its `updated_at` for our write may
 * read up to this much before the new key's `created_at`.
 */
export const WRITE_ONLY_CLOCK_SLACK_MS = 5 * 60_000;

/**
 * A rollback's restore as a compare-and-set: the old key goes back only where the destination
 * still holds this run's new key (a write-only destination: was written during this run), and only
 * while the old key still answers OpenRouter (`GET /key` with it, as verify does); a dead key is
 * never written back. Anything else is left as it is and named in the outcome, a value that is not
 * an OpenRouter key by no part of it. (A write landing between the read and the restore is not
 * caught here; the stores' own version checks catch what they can.)
 */
async function restoreOverOwnNewKey(
  deps: ActivityDependencies,
  rotation: RotationConfig,
  store: SecretStore,
  oldKey: string,
  replacing: RestoreBinding['replacing'],
  options: WriteOptions,
): Promise<RestoredDestination> {
  const destination = store.description;
  if (store.readWriteOnlyState) {
    const state = await store.readWriteOnlyState();
    if (!state) return { destination, outcome: 'held-nothing' };
    if (writeOnlyProblem(state, replacing.createdAt))
      return { destination, outcome: 'not-written-by-run', version: state.version };
  } else {
    const current = await store.read();
    if (!current) return { destination, outcome: 'held-nothing' };
    const { value, version } = current;
    if (!isOpenRouterApiKey(value)) return { destination, outcome: 'held-non-key', version };
    const hash = hashOfKey(value);
    if (hash === hashOfKey(oldKey)) return { destination, outcome: 'held-old-key', version };
    if (hash !== replacing.hash)
      return { destination, outcome: 'held-other-key', version, found: labelOfKey(value) };
  }
  try {
    await deps.openRouter(rotation).currentKey({ key: oldKey, signal: cancellationSignal() });
  } catch (err) {
    if (err instanceof OpenRouterAuthError) return { destination, outcome: 'old-key-dead' };
    throw err;
  }
  const { version } = await store.restore(oldKey, options);
  return { destination, outcome: 'restored', version };
}

/** Why a write-only destination does not show our write, or undefined when it does. */
function writeOnlyProblem(state: WriteOnlyState | null, newKeyCreatedAt: string): string | undefined {
  if (!state) return 'holds no secret';
  const writtenAt = Date.parse(state.updatedAt);
  const createdAt = Date.parse(newKeyCreatedAt);
  if (Number.isNaN(writtenAt)) return `gave no readable write time (${state.updatedAt})`;
  if (!Number.isNaN(createdAt) && writtenAt < createdAt - WRITE_ONLY_CLOCK_SLACK_MS) {
    return `was last written ${state.updatedAt}, before the new key was created (${newKeyCreatedAt})`;
  }
  return undefined;
}

export type DestinationActivities = ReturnType<typeof createDestinationActivities>;
