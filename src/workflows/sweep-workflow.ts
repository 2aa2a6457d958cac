/**
 * `key-rotator sweep`: keys key-rotator created (their names: src/workflow-contract/key-settings.ts) that no
 * rotation's destinations hold and no running rotation owns — left by a crash outside any
 * workflow, or by a rotation taken out of the config. It runs on the worker, like rotations: the
 * management keys and the worker policy stay there, the CLI never needs them. A dry run unless
 * asked to delete; an orphan with traffic in the last 24 hours is never deleted (something still
 * uses it, e.g. the old key a traffic hold kept), nor one whose traffic could not be counted, and
 * nothing is deleted when a destination could not be read (a key it holds could look orphaned).
 *
 * Only the file's workspaces are searched, and only for keys of the file's rotations (unless
 * `allRotations`): another deployment sharing the management key keeps its keys, which this file's
 * destinations know nothing of.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { RotatorKey } from '../activities/activity-types.js';
import type { RotationConfig } from '../config/schema.js';
import { rotationActivities, type RotationActivities } from './activity-options.js';
import type { OrphanKey, SweepInput, SweepResult } from '../workflow-contract/messages.js';
import { reasonOf } from './rotation-failures.js';

const DAY_MS = 86_400_000;
/** `keyUsage` takes at most this many keys per call. */
const USAGE_BATCH = 10;

/**
 * Sweeps recorded before this searched every workspace for every rotation's keys and counted a key
 * whose requests could not be counted by today's USD usage; `patched()` is false when such a
 * history replays, so it replays those commands.
 */
export const SWEEP_SCOPED_TO_CONFIG_PATCH = 'sweep-scoped-to-config';

/** The file's rotations of one OpenRouter account (base URL and management key variable). */
interface Account {
  /** The first of them: its credentials search the account. */
  rotation: RotationConfig;
  /** The workspaces its rotations use (null: the default workspace). */
  workspaces: (string | null)[];
}

function accountsOf(rotations: RotationConfig[]): Account[] {
  const accounts = new Map<string, { rotation: RotationConfig; workspaces: Set<string | null> }>();
  for (const r of rotations) {
    const id = `${r.openrouter.baseUrl} ${r.openrouter.managementKeyEnv}`;
    const account = accounts.get(id) ?? { rotation: r, workspaces: new Set() };
    account.workspaces.add(r.openrouter.workspaceId ?? null);
    accounts.set(id, account);
  }
  return [...accounts.values()].map((a) => ({ rotation: a.rotation, workspaces: [...a.workspaces] }));
}

/** The keys' traffic in the last 24 hours, in words, for those that had any. */
async function recentTraffic(
  openRouter: RotationActivities['openRouter'],
  rotation: RotationConfig,
  keys: RotatorKey[],
  unknownCountsAsUse: boolean,
): Promise<Map<string, string>> {
  const inUse = new Map<string, string>();
  const requestsSince = new Date(Date.now() - DAY_MS).toISOString();
  for (let i = 0; i < keys.length; i += USAGE_BATCH) {
    const batch = keys.slice(i, i + USAGE_BATCH);
    const usages = await openRouter.keyUsage(
      rotation,
      batch.map((k) => k.hash),
      { requestsSince },
    );
    for (const [j, usage] of usages.entries()) {
      const key = batch[j]!;
      if (usage.requests) inUse.set(key.hash, `${usage.requests} request(s) in the last 24 hours`);
      else if (usage.requests === null && unknownCountsAsUse)
        // Today's USD usage misses yesterday's traffic, BYOK and free models: it cannot say "idle".
        inUse.set(
          key.hash,
          `its requests could not be counted (${usage.requestsUnavailable ?? 'analytics unavailable'})`,
        );
      else if (usage.requests === null && (key.usageDaily ?? 0) > 0)
        inUse.set(key.hash, `USD ${key.usageDaily} used today (request counts unavailable)`);
    }
  }
  return inUse;
}

export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  // Before any other command, so that it is recorded at the same place in every new history.
  const scoped = patched(SWEEP_SCOPED_TO_CONFIG_PATCH);
  const { openRouter, destinations } = rotationActivities(workflowInfo().taskQueue);
  const warnings: string[] = [];

  const held = new Set<string>();
  let destinationsKnown = true;
  for (const rotation of input.rotations) {
    try {
      const { readings } = await destinations.readDestinations(rotation);
      for (const reading of readings) if (reading.hash) held.add(reading.hash);
    } catch (err) {
      destinationsKnown = false;
      warnings.push(
        `could not read the destinations of ${rotation.name} (${reasonOf(err)}): nothing is deleted, ` +
          'as a key they hold could look orphaned',
      );
    }
  }

  const configured = new Set(input.rotations.map((r) => r.name));
  const accounts = accountsOf(input.rotations);
  const confirmed = input.deleteOnly ? new Set(input.deleteOnly) : undefined;
  const seen = new Set<string>();
  const orphans: OrphanKey[] = [];
  for (const { rotation, workspaces } of accounts) {
    const listing = await openRouter.listRotatorKeys(
      rotation,
      scoped
        ? {
            createdBefore: input.createdBefore,
            workspaces,
            ...(input.allRotations ? {} : { rotations: [...configured] }),
          }
        : { createdBefore: input.createdBefore },
    );
    warnings.push(...listing.warnings);
    const found = listing.keys.filter(
      (k) => !seen.has(k.hash) && !held.has(k.hash) && !input.runningRotations.includes(k.rotation),
    );
    for (const key of listing.keys) seen.add(key.hash);
    const inUse = await recentTraffic(openRouter, rotation, found, scoped);
    for (const key of found) {
      const orphan: OrphanKey = {
        hash: key.hash,
        label: key.label,
        name: key.name,
        rotation: key.rotation,
        configured: configured.has(key.rotation),
        workspaceId: key.workspaceId,
        createdAt: key.createdAt,
        ...(inUse.has(key.hash) ? { inUse: inUse.get(key.hash) } : {}),
        deleted: false,
      };
      const deletable = orphan.inUse === undefined && destinationsKnown && (confirmed?.has(key.hash) ?? true);
      if (input.delete && deletable) {
        try {
          await openRouter.deleteKey(rotation, key.hash);
          orphan.deleted = true;
        } catch (err) {
          warnings.push(`could not delete ${key.label}: ${reasonOf(err)}`);
        }
      }
      orphans.push(orphan);
    }
  }
  return {
    accounts: accounts.length,
    managedKeys: seen.size,
    orphans,
    dryRun: input.delete !== true,
    destinationsRead: destinationsKnown,
    warnings,
  };
}
