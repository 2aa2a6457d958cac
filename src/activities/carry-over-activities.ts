/**
 * The carry-over's activities: what OpenRouter attaches to the old key (guardrail, the BYOK and
 * observability allow-lists that name it, the workspace settings that cannot follow it) is read in
 * preflight, and set on the new key (and later taken off the old one) one idempotent change at a
 * time. They run on the OpenRouter task queue with the key activities, under the same rate limit.
 */
import { cancellationSignal } from '@temporalio/activity';
import { guardrailSettingOf, type RotationConfig } from '../config/schema.js';
import { ConfigError, VerificationError } from '../errors/rotator-errors.js';
import type { OpenRouterClient } from '../openrouter/client.js';
import { OpenRouterNotFoundError, OpenRouterPermissionError } from '../openrouter/errors.js';
import type { AllowListChange } from './activity-types.js';
import type { AllowListRef, CarryOverPlan } from '../workflow-contract/carry-over-plan.js';
import type { ActivityDependencies } from './dependencies.js';

export interface ReadAttachmentsInput {
  /** The key being replaced, as preflight confirmed it (`describeKey`); null on a first rotation. */
  oldKey: {
    hash: string;
    workspaceId: string | null;
    creatorUserId: string | null;
    externalUser: string | null;
  } | null;
}

export interface GuardrailAssignmentInput {
  guardrailId: string;
  keyHash: string;
}

export interface AllowListEntryInput {
  list: AllowListRef;
  keyHash: string;
}

/**
 * Runs a preflight read that needs a permission the management key may lack: a 403 becomes a
 * non-retryable ConfigError saying what could not be read and what to do, before anything exists.
 */
async function needingPermission<T>(what: string, advice: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof OpenRouterPermissionError)) throw err;
    throw new ConfigError(
      `the management key may not ${what} (OpenRouter answered 403${err.apiMessage ? ` "${err.apiMessage}"` : ''}), ` +
        `so ${advice}. Nothing was created`,
      { cause: err },
    );
  }
}

function byokName(entry: { provider: string; name: string | null; label: string | null }): string {
  return `BYOK ${entry.provider} credential${entry.name ? ` "${entry.name}"` : ''}${entry.label ? ` (${entry.label})` : ''}`;
}

function observabilityName(entry: { type: string; name: string | null; id: string }): string {
  return `${entry.type} observability destination ${entry.name ? `"${entry.name}"` : entry.id}`;
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

/**
 * The allow-lists that name `keyHash`: BYOK credentials and observability destinations of the
 * key's workspace and of the default one (global BYOK credentials show in both), each once.
 */
async function allowListsNaming(
  client: OpenRouterClient,
  keyHash: string,
  workspaceId: string | null,
  opts: { signal: AbortSignal },
): Promise<{ lists: AllowListRef[]; notes: string[] }> {
  const workspaces = [...new Set([workspaceId ?? undefined, undefined])];
  const lists = new Map<string, AllowListRef>();
  const notes: string[] = [];
  const advice =
    'the new key could not be added to the allow-lists that name the old one; give it that permission';
  for (const workspace of workspaces) {
    const byok = await needingPermission('list BYOK credentials', advice, () =>
      client.listByokKeys({ workspaceId: workspace, ...opts }),
    );
    for (const entry of byok.filter((b) => b.allowedApiKeyHashes?.includes(keyHash))) {
      lists.set(`byok:${entry.id}`, { kind: 'byok', id: entry.id, name: byokName(entry) });
    }
    const destinations = await needingPermission('list observability destinations', advice, () =>
      client.listObservabilityDestinations({ workspaceId: workspace, ...opts }),
    );
    for (const entry of destinations) {
      const name = observabilityName(entry);
      if (entry.apiKeyHashes?.includes(keyHash)) {
        lists.set(`observability:${entry.id}`, { kind: 'observability', id: entry.id, name });
      }
      if (entry.filtersOnKeyName) {
        notes.push(
          `${name} has filter rules on the key name (api_key_name); the new key has another name: check those rules`,
        );
      }
    }
  }
  return { lists: [...lists.values()], notes: [...new Set(notes)] };
}

/** Settings of the workspace that cannot follow a key: I/O logging names keys by a numeric id the API never shows. */
async function workspaceNotes(
  client: OpenRouterClient,
  workspaceId: string | null,
  opts: { signal: AbortSignal },
): Promise<string[]> {
  if (workspaceId === null) return [];
  try {
    const workspace = await client.getWorkspace(workspaceId, opts);
    if (workspace.ioLoggingApiKeyIds === null) return [];
    return [
      `workspace "${workspace.name}" logs I/O only for keys ${workspace.ioLoggingApiKeyIds.join(', ')} (by numeric id, ` +
        "which OpenRouter's API never shows for a key): add the new key in the workspace's I/O logging settings",
    ];
  } catch (err) {
    if (!(err instanceof OpenRouterPermissionError) && !(err instanceof OpenRouterNotFoundError)) throw err;
    return [
      `could not read the settings of workspace ${workspaceId} (${err.status}); its I/O logging filter was not checked`,
    ];
  }
}

export function createCarryOverActivities(deps: ActivityDependencies) {
  const call = () => ({ signal: cancellationSignal() });

  return {
    /**
     * Preflight of the carry-over: what the new key takes over from the old key (its workspace,
     * creator, guardrail and the allow-lists that name it), with the config's overrides applied.
     * Only reads; a management key that may not read what is needed fails here, before create.
     */
    async readAttachments(rotation: RotationConfig, input: ReadAttachmentsInput): Promise<CarryOverPlan> {
      const client = deps.openRouter(rotation);
      const configuredWorkspace = rotation.openrouter.workspaceId;
      const guardrailSetting = guardrailSettingOf(rotation);
      const old = input.oldKey ?? undefined;
      const workspaceId = configuredWorkspace ?? old?.workspaceId ?? null;
      const notCarried: string[] = [];
      if (configuredWorkspace && old?.workspaceId && configuredWorkspace !== old.workspaceId) {
        notCarried.push(
          `the old key is in workspace ${old.workspaceId}; the new one is created in ${configuredWorkspace} (openrouter.workspaceId)`,
        );
      }

      let guardrail: CarryOverPlan['guardrail'] = null;
      if (guardrailSetting !== 'inherit' && guardrailSetting !== 'none') {
        try {
          const found = await needingPermission(
            `read guardrail ${guardrailSetting}`,
            'the configured guardrail cannot be assigned; give it that permission',
            () => client.getGuardrail(guardrailSetting, call()),
          );
          guardrail = { id: found.id, name: found.name, source: 'configured' };
        } catch (err) {
          if (!(err instanceof OpenRouterNotFoundError)) throw err;
          throw new ConfigError(
            `openrouter.guardrail: OpenRouter has no guardrail ${guardrailSetting}; check the id (or use inherit or none). Nothing was created`,
          );
        }
      } else if (guardrailSetting === 'inherit' && old) {
        const assignments = await needingPermission(
          'read guardrail assignments',
          "the old key's guardrail cannot be carried over; give it that permission, or set openrouter.guardrail " +
            'to the guardrail id the new key should get (none only if it should run without one)',
          () => client.listKeyAssignments(call()),
        );
        const assigned = assignments.find((a) => a.keyHash === old.hash);
        if (assigned) {
          const found = await client.getGuardrail(assigned.guardrailId, call());
          guardrail = { id: found.id, name: found.name, source: 'inherited' };
        }
      }

      const { lists, notes } = old
        ? await allowListsNaming(client, old.hash, old.workspaceId, call())
        : { lists: [], notes: [] };
      notCarried.push(...notes, ...(await workspaceNotes(client, workspaceId, call())));
      return {
        workspaceId,
        workspaceConfigured: configuredWorkspace !== undefined,
        creatorUserId: old?.creatorUserId ?? null,
        externalUser: old?.externalUser ?? null,
        guardrail,
        allowLists: lists,
        notCarried,
      };
    },

    /** Assigns the guardrail to the key (idempotent: a key holds one guardrail), then checks it took. */
    async assignGuardrail(
      rotation: RotationConfig,
      input: GuardrailAssignmentInput,
    ): Promise<{ assigned: boolean }> {
      const client = deps.openRouter(rotation);
      const { assignedCount } = await client.assignGuardrail(input.guardrailId, [input.keyHash], call());
      const assignments = await client.listKeyAssignments({ guardrailId: input.guardrailId, ...call() });
      if (!assignments.some((a) => a.keyHash === input.keyHash)) {
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
