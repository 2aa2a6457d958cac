/**
 * Activities that make, check and delete keys through OpenRouter's management API (their usage is
 * read in usage-activities.ts, the carry-over's in carry-over-activities.ts). They run on their
 * own task queue so the worker can cap the request rate across all concurrent rotations.
 */
import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import type { SealedSecret } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import { ConfigError, PolicyViolationError, VerificationError } from '../errors/rotator-errors.js';
import {
  OpenRouterAuthError,
  OpenRouterNotFoundError,
  OpenRouterPermissionError,
} from '../openrouter/errors.js';
import { hashOfKey } from '../openrouter/hash.js';
import { labelOfKey } from '../errors/redact.js';
import type { KeyRecord } from '../openrouter/schemas.js';
import type { CreatedKeyInfo, KeyInfo, RotatorKey, RotatorKeyListing } from './activity-types.js';
import { creatorOfKeyName } from '../workflow-contract/key-settings.js';
import type { ActivityDependencies } from './dependencies.js';
import { sealingFor } from './rotation-sealing.js';
import { deletingWorkflow, keysHeldByDestinations, ownKeyName } from './run-authority.js';

export interface CreateKeyInput {
  /** Name that identifies this rotation run, so a retry can find a key whose response was lost. */
  keyName: string;
  /** Expiry backstop (ISO, UTC), or null for none. */
  expiresAt: string | null;
  /** Workspace to create the key in (the carry-over plan's). @default `openrouter.workspaceId`, else the default workspace */
  workspaceId?: string;
  /** Organisation member to create the key for (the old key's creator). */
  creatorUserId?: string;
  /** Partner end user to attribute the key to (the old key's). */
  externalUser?: string;
  /** The run's token (src/workflows/run-token.ts); absent in runs started before it. */
  runToken?: string;
}

export interface DeleteKeysOfRunInput {
  /** The run's key name (see `keyNameForRun`): every key with it was made by this run's creates. */
  keyName: string;
  /** Workspace the run creates its key in. @default `openrouter.workspaceId`, else the default workspace */
  workspaceId?: string;
  /** A key of the run to leave alive: the new key, while a destination may still hand it out. */
  keepHash?: string;
  /** The run's token; `keyName` must be the name it gives. Absent in runs started before it. */
  runToken?: string;
}

/** What entitles a run to delete a key (see `deleteKey`). */
export interface DeleteAuthority {
  /** The run's token; absent in runs started before it. */
  runToken?: string;
  /** The old key as this run's preflight read and sealed it: the one key not named after the run it may delete. */
  sealedOldKey?: SealedSecret;
}

export interface ListRotatorKeysInput {
  /** Keys created at or after this time (ISO) are left out: a rotation may have just made them. */
  createdBefore: string;
  /**
   * Only keys whose name names one of these rotations; the keys of other deployments sharing the
   * management key never leave the activity. @default every rotation's
   */
  rotations?: string[];
  /**
   * Only these workspaces (null: the default workspace), without listing the account's
   * workspaces. @default every workspace the management key may list
   */
  workspaces?: (string | null)[];
}

export interface VerifyNewKeyInput {
  /** The new key as `createKey` sealed it in this rotation run. */
  sealedKey: SealedSecret;
  /** How long a freshly created key may answer 401 before we call it broken. */
  windowMs: number;
  /** The run's token the key was sealed with; absent in runs started before it. */
  runToken?: string;
}

function keyInfo(record: KeyRecord): KeyInfo {
  return {
    hash: record.hash,
    label: record.label,
    name: record.name,
    createdAt: record.createdAt,
    disabled: record.disabled,
    usage: record.usage,
    expiresAt: record.expiresAt,
    workspaceId: record.workspaceId,
    creatorUserId: record.creatorUserId,
    externalUser: record.externalUser,
  };
}

/**
 * Deletes every key named `keyName` but `keepHash` and the keys a destination holds, and returns
 * their labels. Only a rotation run's own creates give its name (see `keyNameForRun`), so a key
 * found here whose secret the run does not hold was made by a create whose answer was lost. The
 * name must be the one this run gives (its token's, or its own run id's): a name copied from
 * another run is refused. A destination that holds a key so named (a reset run replaying an
 * older run's name) keeps it.
 */
async function deleteKeysNamed(
  deps: ActivityDependencies,
  rotation: RotationConfig,
  run: {
    keyName: string;
    runToken?: string | undefined;
    workspaceId?: string | undefined;
    keepHash?: string | undefined;
  },
  opts: { signal: AbortSignal; step: 'create' | 'rollback' },
): Promise<string[]> {
  const { keyName, workspaceId, keepHash } = run;
  const { step, signal } = opts;
  deletingWorkflow(rotation, 'deleting the keys of a run');
  if (keyName !== ownKeyName(rotation, run.runToken)) {
    throw new PolicyViolationError(
      `refusing to delete keys named ${JSON.stringify(keyName)}: this run names its keys ` +
        `${JSON.stringify(ownKeyName(rotation, run.runToken))}; nothing was deleted`,
    );
  }
  const client = deps.openRouter(rotation);
  const existing = await client.listKeys({ includeDisabled: true, workspaceId, signal });
  const named = existing.filter((k) => k.name === keyName && k.hash !== keepHash);
  const held = named.length > 0 ? await keysHeldByDestinations(deps, rotation) : new Map<string, string>();
  const deleted: string[] = [];
  for (const key of named) {
    if (held.has(key.hash)) {
      log.warn('not deleting a key of this rotation run: a destination holds it', {
        rotation: rotation.name,
        step,
        label: key.label,
        destination: held.get(key.hash),
      });
      continue;
    }
    log.warn('deleting a key of this rotation run', { rotation: rotation.name, step, label: key.label });
    // A key already gone (e.g. deleted by an attempt whose answer was lost) counts as deleted.
    await client.deleteKey(key.hash, { signal });
    deleted.push(key.label);
  }
  return deleted;
}

function refusedDelete(label: string, why: string): PolicyViolationError {
  return new PolicyViolationError(`refusing to delete key ${label}: ${why}; nothing was deleted`);
}

export function createKeyActivities(deps: ActivityDependencies) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const call = () => ({ signal: cancellationSignal() });

  return {
    /** Preflight: the configured key must be a management key, or nothing else can work. */
    async checkManagementKey(rotation: RotationConfig): Promise<void> {
      const current = await deps.openRouter(rotation).currentKey(call());
      if (!current.isManagementKey) {
        throw new ConfigError(
          `the key in $${rotation.openrouter.managementKeyEnv} (${current.label}) is not a management key; ` +
            'create one at OpenRouter (Settings → Management keys)',
        );
      }
    },

    /** The key with this hash as OpenRouter knows it, or null when OpenRouter does not know it. */
    async describeKey(rotation: RotationConfig, hash: string): Promise<KeyInfo | null> {
      try {
        return keyInfo(await deps.openRouter(rotation).getKey(hash, call()));
      } catch (err) {
        if (err instanceof OpenRouterNotFoundError) return null;
        throw err;
      }
    },

    /**
     * Creates the new key. Creating is the one call that is not idempotent, so first delete any
     * key this run created in an earlier attempt whose response never arrived: its secret can
     * never be read again, and leaving it would be an orphan.
     */
    async createKey(rotation: RotationConfig, input: CreateKeyInput): Promise<CreatedKeyInfo> {
      // Before creating: a key we could not seal would be an orphan.
      const sealing = sealingFor(deps.sealer, rotation, input.runToken);
      const client = deps.openRouter(rotation);
      const keyConfig = rotation.openrouter.key;
      const workspaceId = input.workspaceId ?? rotation.openrouter.workspaceId;
      const removedOrphans =
        activityInfo().attempt > 1
          ? (await deleteKeysNamed(deps, rotation, { ...input, workspaceId }, { ...call(), step: 'create' }))
              .length
          : 0;
      const created = await client.createKey(
        {
          name: input.keyName,
          limit: keyConfig.limit,
          limitReset: keyConfig.limitReset,
          includeByokInLimit: keyConfig.includeByokInLimit,
          ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
          ...(workspaceId ? { workspaceId } : {}),
          ...(input.creatorUserId ? { creatorUserId: input.creatorUserId } : {}),
          ...(input.externalUser ? { externalUser: input.externalUser } : {}),
        },
        call(),
      );
      log.info('created a new key', { rotation: rotation.name, step: 'create', label: created.data.label });
      return {
        hash: created.data.hash,
        label: created.data.label,
        createdAt: created.data.createdAt,
        expiresAt: created.data.expiresAt,
        sealedKey: sealing.seal('new-key', created.key),
        removedOrphans,
        hashIsSha256OfKey: hashOfKey(created.key) === created.data.hash,
      };
    },

    /**
     * Undoes the create step, whatever its attempts did: deletes every key with this run's name,
     * including one made by a create whose answer was lost (its secret is gone, so it can only be
     * an orphan), except `keepHash`. Safe to repeat; returns the labels it deleted.
     */
    async deleteKeysOfRun(
      rotation: RotationConfig,
      input: DeleteKeysOfRunInput,
    ): Promise<{ deleted: string[] }> {
      const workspaceId = input.workspaceId ?? rotation.openrouter.workspaceId;
      return {
        deleted: await deleteKeysNamed(
          deps,
          rotation,
          { ...input, workspaceId },
          { ...call(), step: 'rollback' },
        ),
      };
    },

    /**
     * The new key answers OpenRouter. Fresh keys have been seen to answer 401 for a short while,
     * so 401 is retried here for a bounded window before it counts as a failure.
     */
    async verifyNewKey(rotation: RotationConfig, input: VerifyNewKeyInput): Promise<{ label: string }> {
      const key = sealingFor(deps.sealer, rotation, input.runToken).unseal('new-key', input.sealedKey);
      const client = deps.openRouter(rotation);
      const deadline = Date.now() + input.windowMs;
      for (;;) {
        try {
          const current = await client.currentKey({ key, ...call() });
          return { label: current.label };
        } catch (err) {
          if (!(err instanceof OpenRouterAuthError)) throw err;
          if (Date.now() >= deadline) {
            throw new VerificationError(
              `the new key is still refused by OpenRouter (401) after ${Math.round(input.windowMs / 1000)} s`,
              { cause: err },
            );
          }
        }
        heartbeat();
        await sleep(Math.min(2_000, Math.max(0, deadline - Date.now())));
      }
    },

    /**
     * The keys of the rotation's OpenRouter account, disabled ones included, whose name says
     * key-rotator created them, created before `createdBefore`: of the rotations and in the
     * workspaces `input` names, or (an older sweep) of every rotation in every workspace. A
     * management key that may not list workspaces then searches the default workspace and the
     * configured one, and says so.
     */
    async listRotatorKeys(rotation: RotationConfig, input: ListRotatorKeysInput): Promise<RotatorKeyListing> {
      const client = deps.openRouter(rotation);
      const warnings: string[] = [];
      let workspaces: (string | undefined)[];
      if (input.workspaces) workspaces = [...new Set(input.workspaces.map((w) => w ?? undefined))];
      else {
        try {
          workspaces = (await client.listWorkspaces(call())).map((w) => w.id);
        } catch (err) {
          if (!(err instanceof OpenRouterPermissionError)) throw err;
          workspaces = [...new Set([undefined, rotation.openrouter.workspaceId])];
          warnings.push(
            'the management key may not list workspaces: only the default workspace' +
              `${rotation.openrouter.workspaceId ? ` and ${rotation.openrouter.workspaceId}` : ''} were searched`,
          );
        }
      }
      const rotations = input.rotations ? new Set(input.rotations) : undefined;
      const before = Date.parse(input.createdBefore);
      const keys = new Map<string, RotatorKey>();
      for (const workspaceId of workspaces) {
        for (const record of await client.listKeys({ includeDisabled: true, workspaceId, ...call() })) {
          const creator = creatorOfKeyName(record.name);
          if (!creator || !(Date.parse(record.createdAt) < before)) continue;
          if (rotations && !rotations.has(creator.rotation)) continue;
          keys.set(record.hash, {
            hash: record.hash,
            label: record.label,
            name: record.name,
            ...creator,
            workspaceId: record.workspaceId,
            createdAt: record.createdAt,
            disabled: record.disabled,
            usageDaily: record.usageDaily,
          });
        }
        heartbeat();
      }
      return { keys: [...keys.values()], warnings };
    },

    /**
     * Deletes a key (404 = already gone), then confirms OpenRouter no longer knows it. Only a key
     * no readable destination of the rotation holds (an unreadable one means not now, retryable),
     * and, for a rotation run, only a key named after this run or the old key this run read
     * (`authority.sealedOldKey`, sealed for this run); for a sweep, only a key named by key-rotator
     * after this rotation.
     * @throws PolicyViolationError when the key is not the caller's to delete; nothing is deleted
     */
    async deleteKey(
      rotation: RotationConfig,
      hash: string,
      authority?: DeleteAuthority,
    ): Promise<{ alreadyGone: boolean }> {
      const client = deps.openRouter(rotation);
      const caller = deletingWorkflow(rotation, 'deleteKey');
      // The old key this run sealed in preflight proves itself: no lookup (the rotation's usual path).
      const sealedOld = caller === 'rotation' ? authority?.sealedOldKey : undefined;
      const old =
        sealedOld && sealingFor(deps.sealer, rotation, authority?.runToken).unseal('old-key', sealedOld);
      let label = old && hashOfKey(old) === hash ? labelOfKey(old) : undefined;
      if (!label) {
        let record: KeyRecord;
        try {
          record = await client.getKey(hash, call());
        } catch (err) {
          if (err instanceof OpenRouterNotFoundError) return { alreadyGone: true };
          throw err;
        }
        label = record.label;
        const named =
          caller === 'sweep'
            ? creatorOfKeyName(record.name) !== undefined
            : record.name === ownKeyName(rotation, authority?.runToken);
        if (!named)
          throw refusedDelete(
            label,
            caller === 'sweep'
              ? 'a sweep deletes only keys whose name says key-rotator created them'
              : "it is neither a key this run created (its name is another run's) nor the old key this run read from its destinations",
          );
      }
      const holder = (await keysHeldByDestinations(deps, rotation)).get(hash);
      if (holder) throw refusedDelete(label, `${holder} holds it`);
      const { alreadyGone } = await client.deleteKey(hash, call());
      try {
        const still = await client.getKey(hash, call());
        throw new VerificationError(`key ${still.label} still exists at OpenRouter after delete`, {
          retryable: true,
        });
      } catch (err) {
        if (!(err instanceof OpenRouterNotFoundError)) throw err;
      }
      return { alreadyGone };
    },
  };
}

export type KeyActivities = ReturnType<typeof createKeyActivities>;
