/**
 * Activities that talk to OpenRouter's management API. They run on their own task queue so the
 * worker can cap the request rate across all concurrent rotations.
 */
import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import type { SealedSecret } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import { ConfigError, VerificationError } from '../errors.js';
import { OpenRouterAuthError, OpenRouterNotFoundError } from '../openrouter/errors.js';
import { hashOfKey } from '../openrouter/hash.js';
import type { KeyRecord } from '../openrouter/schemas.js';
import type { CreatedKeyInfo, KeyInfo, KeyUsage } from './activity-types.js';
import type { ActivityDependencies } from './dependencies.js';
import { sealingFor } from './rotation-sealing.js';

export interface CreateKeyInput {
  /** Name that identifies this rotation run, so a retry can find a key whose response was lost. */
  keyName: string;
  /** Expiry backstop (ISO, UTC), or null for none. */
  expiresAt: string | null;
}

export interface VerifyNewKeyInput {
  /** The new key as `createKey` sealed it in this rotation run. */
  sealedKey: SealedSecret;
  /** How long a freshly created key may answer 401 before we call it broken. */
  windowMs: number;
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
  };
}

export function createOpenRouterActivities(deps: ActivityDependencies) {
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
      const sealing = sealingFor(deps.sealer, rotation);
      const client = deps.openRouter(rotation);
      const { key: keyConfig, workspaceId } = rotation.openrouter;
      let removedOrphans = 0;
      if (activityInfo().attempt > 1) {
        const existing = await client.listKeys({ includeDisabled: true, workspaceId, ...call() });
        for (const orphan of existing.filter((k) => k.name === input.keyName)) {
          log.warn('deleting a key left by an earlier attempt whose create response was lost', {
            rotation: rotation.name,
            label: orphan.label,
          });
          await client.deleteKey(orphan.hash, call());
          removedOrphans++;
        }
      }
      const created = await client.createKey(
        {
          name: input.keyName,
          limit: keyConfig.limit,
          limitReset: keyConfig.limitReset,
          includeByokInLimit: keyConfig.includeByokInLimit,
          ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
          ...(workspaceId ? { workspaceId } : {}),
        },
        call(),
      );
      log.info('created a new key', { rotation: rotation.name, label: created.data.label });
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
     * The new key answers OpenRouter. Fresh keys have been seen to answer 401 for a short while,
     * so 401 is retried here for a bounded window before it counts as a failure.
     */
    async verifyNewKey(rotation: RotationConfig, input: VerifyNewKeyInput): Promise<{ label: string }> {
      const key = sealingFor(deps.sealer, rotation).unseal('new-key', input.sealedKey);
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

    /** Usage counters of the given keys (null for a key that is gone). */
    async keyUsage(rotation: RotationConfig, hashes: string[]): Promise<KeyUsage[]> {
      const client = deps.openRouter(rotation);
      const out: KeyUsage[] = [];
      for (const hash of hashes) {
        try {
          out.push({ hash, usage: (await client.getKey(hash, call())).usage ?? 0 });
        } catch (err) {
          if (!(err instanceof OpenRouterNotFoundError)) throw err;
          out.push({ hash, usage: null });
        }
      }
      return out;
    },

    /** Deletes a key (404 = already gone), then confirms OpenRouter no longer knows it. */
    async deleteKey(rotation: RotationConfig, hash: string): Promise<{ alreadyGone: boolean }> {
      const client = deps.openRouter(rotation);
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

export type OpenRouterActivities = ReturnType<typeof createOpenRouterActivities>;
