/**
 * The carry-over's preflight reads, and what a failed one means under `openrouter.carryOver`:
 * a refused read (401/403) fails preflight in every mode, naming the call and the permission; a
 * feature the account lacks (its listing answers 404) is skipped with one line under `auto` and
 * fails preflight under `required`. Under `off` nothing here is called.
 */
import {
  type CarryOverMode,
  carryOverModeOf,
  guardrailSettingOf,
  type RotationConfig,
} from '../config/schema.js';
import { ConfigError, VerificationError } from '../errors/rotator-errors.js';
import type { AttachmentIndex, ReadMark } from '../openrouter/attachment-index.js';
import type {
  ByokKey,
  Guardrail,
  KeyAssignment,
  ObservabilityDestination,
  OpenRouterClient,
  Workspace,
} from '../openrouter/client.js';
import {
  type OpenRouterError,
  OpenRouterAuthError,
  OpenRouterNotFoundError,
  OpenRouterPermissionError,
} from '../openrouter/errors.js';
import type { AllowListRef, CarryOverPlan } from '../workflow-contract/carry-over-plan.js';

export interface ReadAttachmentsInput {
  /** The key being replaced, as preflight confirmed it (`describeKey`); null on a first rotation. */
  oldKey: {
    hash: string;
    workspaceId: string | null;
    creatorUserId: string | null;
    externalUser: string | null;
  } | null;
}

/** One kind of attachment the carry-over reads, in words. */
export interface CarryOverRead {
  /** What would be carried over, plural, e.g. `guardrails`. */
  feature: string;
  /** What the management key must be allowed to do, e.g. `read guardrail assignments`. */
  permission: string;
  /** What a refusal means for this rotation and what to do, e.g. `the old key's guardrail cannot…`. */
  consequence: string;
}

function answered(err: OpenRouterError): string {
  const message = err.apiMessage ? ` "${err.apiMessage}"` : '';
  return `${err.operation ?? 'a call to OpenRouter'} answered ${err.status ?? 'nothing'}${message}`;
}

/** A refused read (401/403) as the ConfigError that fails preflight; undefined for any other failure. */
function refusal(err: unknown, what: CarryOverRead): ConfigError | undefined {
  if (!(err instanceof OpenRouterPermissionError) && !(err instanceof OpenRouterAuthError)) return undefined;
  return new ConfigError(
    `${answered(err)}: the management key may not ${what.permission}, so ${what.consequence}. Nothing was created`,
    { cause: err },
  );
}

/** The reads of one preflight under one mode, and the lines saying what the account lacks. */
export class CarryOverReader {
  /** One line per feature the account lacks (auto only), for the plan's `notCarried`. */
  readonly missing: string[] = [];

  constructor(readonly mode: Exclude<CarryOverMode, 'off'>) {}

  /**
   * Runs `read`; `undefined` when the account lacks the feature and the mode is `auto` (one line
   * in {@link missing}). A refusal, or a missing feature under `required`, is a non-retryable
   * ConfigError before anything is created; any other failure is thrown as it is (retried).
   */
  async read<T>(what: CarryOverRead, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      const refused = refusal(err, what);
      if (refused) throw refused;
      if (!(err instanceof OpenRouterNotFoundError)) throw err;
      if (this.mode === 'required') {
        throw new ConfigError(
          `${answered(err)}: this account or API version has no ${what.feature}, and openrouter.carryOver is ` +
            `required (set it to auto to rotate without carrying ${what.feature} over). Nothing was created`,
          { cause: err },
        );
      }
      this.missing.push(
        `${what.feature}: ${answered(err)}, so this account or API version has none; none were carried over (openrouter.carryOver: auto)`,
      );
      return undefined;
    }
  }
}

const GUARDRAILS: CarryOverRead = {
  feature: 'guardrails',
  permission: 'read guardrails and their key assignments',
  consequence:
    "the old key's guardrail cannot be carried over; give it that permission, or set openrouter.guardrail " +
    'to the guardrail id the new key should get (none only if it should run without one)',
};
const CONFIGURED_GUARDRAIL: CarryOverRead = {
  ...GUARDRAILS,
  permission: 'read guardrails',
  consequence: 'the configured guardrail cannot be assigned; give it that permission',
};
const ALLOW_LIST_CONSEQUENCE =
  'the new key could not be added to the allow-lists that name the old one; give it that permission (or set openrouter.carryOver: off)';
const BYOK: CarryOverRead = {
  feature: 'BYOK credentials',
  permission: 'list BYOK credentials',
  consequence: ALLOW_LIST_CONSEQUENCE,
};
const OBSERVABILITY: CarryOverRead = {
  feature: 'observability destinations',
  permission: 'list observability destinations',
  consequence: ALLOW_LIST_CONSEQUENCE,
};
const WORKSPACE: CarryOverRead = {
  feature: 'workspace settings (its I/O logging filter)',
  permission: 'read workspaces',
  consequence: "the workspace's I/O logging filter cannot be checked; give it that permission",
};

function byokName(entry: { provider: string; name: string | null; label: string | null }): string {
  return `BYOK ${entry.provider} credential${entry.name ? ` "${entry.name}"` : ''}${entry.label ? ` (${entry.label})` : ''}`;
}

function observabilityName(entry: { type: string; name: string | null; id: string }): string {
  return `${entry.type} observability destination ${entry.name ? `"${entry.name}"` : entry.id}`;
}

/**
 * The carry-over reads of one preflight, through the worker's {@link AttachmentIndex}: each is
 * answered by a listing begun after this preflight attempt was scheduled (the staleness rule),
 * shared with every other rotation it serves. The listing runs without this rotation's cancellation
 * (it serves others too); this rotation stops waiting for it when cancelled.
 */
class SharedReads {
  readonly #since: ReadMark;

  constructor(
    readonly client: OpenRouterClient,
    readonly index: AttachmentIndex,
    readonly call: PreflightCall,
  ) {
    this.#since = index.mark(call.scheduledAtMs);
  }

  #read<T>(kind: string, load: () => Promise<T>): Promise<T> {
    return this.index.read(kind, this.#since, load, this.call.signal);
  }

  /** Every key assignment of the account, by key hash, and whether the listing joined up. */
  assignments(): Promise<{ byKey: Map<string, KeyAssignment>; settled: boolean }> {
    return this.#read('guardrail-assignments', async () => {
      const { items, settled } = await this.client.listKeyAssignmentsSettled();
      return { byKey: new Map(items.map((a) => [a.keyHash, a])), settled };
    });
  }

  guardrail(id: string): Promise<Guardrail> {
    return this.#read(`guardrail:${id}`, () => this.client.getGuardrail(id));
  }

  byok(workspaceId: string | undefined): Promise<ByokKey[]> {
    return this.#read(`byok:${workspaceId ?? ''}`, () => this.client.listByokKeys({ workspaceId }));
  }

  observability(workspaceId: string | undefined): Promise<ObservabilityDestination[]> {
    return this.#read(`observability:${workspaceId ?? ''}`, () =>
      this.client.listObservabilityDestinations({ workspaceId }),
    );
  }

  workspace(id: string): Promise<Workspace> {
    return this.#read(`workspace:${id}`, () => this.client.getWorkspace(id));
  }

  /**
   * Learns the default workspace's id from a listing made without `workspace_id` (its entries
   * name the workspace they belong to; global BYOK credentials name none).
   */
  learnDefaultWorkspace(entries: readonly { workspaceId: string | null }[]): void {
    this.index.defaultWorkspaceId ??= entries.find((e) => e.workspaceId !== null)?.workspaceId ?? undefined;
  }
}

/**
 * The workspaces whose allow-lists may name a key of `workspaceId`: the default one (listed
 * without `workspace_id`) and the key's own, unless it is the default one (known once a listing
 * showed its id).
 */
function otherWorkspace(reads: SharedReads, workspaceId: string | null): string | undefined {
  if (workspaceId === null || workspaceId === reads.index.defaultWorkspaceId) return undefined;
  return workspaceId;
}

/**
 * The allow-lists that name `keyHash`: BYOK credentials and observability destinations of the
 * key's workspace and of the default one (global BYOK credentials show in both), each once.
 */
async function allowListsNaming(
  reads: SharedReads,
  reader: CarryOverReader,
  keyHash: string,
  workspaceId: string | null,
): Promise<{ lists: AllowListRef[]; notes: string[] }> {
  const lists = new Map<string, AllowListRef>();
  const notes: string[] = [];

  // A feature the account lacks is not asked for again in the next workspace.
  const byokDefault = await reader.read(BYOK, () => reads.byok(undefined));
  if (byokDefault) reads.learnDefaultWorkspace(byokDefault);
  const byokOther = otherWorkspace(reads, workspaceId);
  const byok = [
    ...(byokDefault ?? []),
    ...((byokDefault && byokOther ? await reader.read(BYOK, () => reads.byok(byokOther)) : []) ?? []),
  ];
  for (const entry of byok.filter((b) => b.allowedApiKeyHashes?.includes(keyHash))) {
    lists.set(`byok:${entry.id}`, { kind: 'byok', id: entry.id, name: byokName(entry) });
  }

  const destinationsDefault = await reader.read(OBSERVABILITY, () => reads.observability(undefined));
  if (destinationsDefault) reads.learnDefaultWorkspace(destinationsDefault);
  const destinationsOther = otherWorkspace(reads, workspaceId);
  const destinations = [
    ...(destinationsDefault ?? []),
    ...((destinationsDefault && destinationsOther
      ? await reader.read(OBSERVABILITY, () => reads.observability(destinationsOther))
      : []) ?? []),
  ];
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
  return { lists: [...lists.values()], notes: [...new Set(notes)] };
}

/** Settings of the workspace that cannot follow a key: I/O logging names keys by a numeric id the API never shows. */
async function workspaceNotes(
  reads: SharedReads,
  reader: CarryOverReader,
  workspaceId: string | null,
): Promise<string[]> {
  if (workspaceId === null) return [];
  const workspace = await reader.read(WORKSPACE, () => reads.workspace(workspaceId));
  if (!workspace || workspace.ioLoggingApiKeyIds === null) return [];
  return [
    `workspace "${workspace.name}" logs I/O only for keys ${workspace.ioLoggingApiKeyIds.join(', ')} (by numeric id, ` +
      "which OpenRouter's API never shows for a key): add the new key in the workspace's I/O logging settings",
  ];
}

/** The guardrail the new key gets: the configured one, or the old key's under `inherit`. */
async function guardrailFor(
  reads: SharedReads,
  reader: CarryOverReader,
  setting: string,
  old: NonNullable<ReadAttachmentsInput['oldKey']> | undefined,
): Promise<CarryOverPlan['guardrail']> {
  if (setting === 'none') return null;
  if (setting !== 'inherit') {
    try {
      const found = await reads.guardrail(setting);
      return { id: found.id, name: found.name, source: 'configured' };
    } catch (err) {
      // The config named this guardrail: a 404 means there is no such guardrail, in every mode.
      if (err instanceof OpenRouterNotFoundError) {
        throw new ConfigError(
          `openrouter.guardrail: ${answered(err)}, so OpenRouter has no guardrail ${setting}; check the id (or use inherit or none). Nothing was created`,
          { cause: err },
        );
      }
      throw refusal(err, CONFIGURED_GUARDRAIL) ?? err;
    }
  }
  if (!old) return null;
  const assignments = await reader.read(GUARDRAILS, () => reads.assignments());
  if (!assignments) return null;
  const assigned = assignments.byKey.get(old.hash);
  if (!assigned) {
    // A key not in a listing whose pages did not join up may have been skipped: never conclude
    // "no guardrail" from it. The retry asks again, and gets a listing begun after it asked.
    if (!assignments.settled) {
      throw new VerificationError(
        "the account's guardrail assignments changed while they were listed, so whether the old key has a guardrail is not known; retrying",
        { retryable: true },
      );
    }
    return null;
  }
  const found = await reads.guardrail(assigned.guardrailId);
  return { id: found.id, name: found.name, source: 'inherited' };
}

/**
 * Preflight of the carry-over: what the new key takes over from the old key (its workspace,
 * creator, guardrail and the allow-lists that name it), with the config's overrides applied.
 * Only reads; under `off` not even those.
 */
/** The preflight attempt reading: its cancellation, and when Temporal scheduled it (server clock). */
export interface PreflightCall {
  signal: AbortSignal;
  /** Undefined: only listings begun after the read asked answer it. */
  scheduledAtMs?: number;
}

export async function readAttachments(
  client: OpenRouterClient,
  index: AttachmentIndex,
  rotation: RotationConfig,
  input: ReadAttachmentsInput,
  call: PreflightCall,
): Promise<CarryOverPlan> {
  const mode = carryOverModeOf(rotation);
  const configuredWorkspace = rotation.openrouter.workspaceId;
  const old = input.oldKey ?? undefined;
  const workspaceId = configuredWorkspace ?? old?.workspaceId ?? null;
  const notCarried: string[] = [];
  if (configuredWorkspace && old?.workspaceId && configuredWorkspace !== old.workspaceId) {
    notCarried.push(
      `the old key is in workspace ${old.workspaceId}; the new one is created in ${configuredWorkspace} (openrouter.workspaceId)`,
    );
  }
  const plan = {
    mode,
    workspaceId,
    workspaceConfigured: configuredWorkspace !== undefined,
    creatorUserId: old?.creatorUserId ?? null,
    externalUser: old?.externalUser ?? null,
  };
  if (mode === 'off') return { ...plan, guardrail: null, allowLists: [], notCarried };

  const reader = new CarryOverReader(mode);
  const reads = new SharedReads(client, index, call);
  const guardrail = await guardrailFor(reads, reader, guardrailSettingOf(rotation), old);
  const { lists, notes } = old
    ? await allowListsNaming(reads, reader, old.hash, old.workspaceId)
    : { lists: [], notes: [] };
  const workspace = await workspaceNotes(reads, reader, workspaceId);
  notCarried.push(...reader.missing, ...notes, ...workspace);
  return { ...plan, guardrail, allowLists: lists, notCarried };
}
