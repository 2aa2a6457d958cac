/**
 * What an OpenRouter account holds besides its API keys, as far as key rotation cares: workspaces,
 * guardrails and their key assignments (by key hash), BYOK provider credentials and observability
 * destinations with allow-lists of key hashes. Kept in memory only (the state file keeps keys).
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_WORKSPACE_ID } from './key-store.js';

export interface EmulatedWorkspace {
  readonly id: string;
  readonly name: string;
  readonly slug: string;
  readonly createdAt: Date;
  /** Keys by numeric id whose I/O is logged; null = every key (OpenRouter's `io_logging_api_key_ids`). */
  ioLoggingApiKeyIds: number[] | null;
}

export interface EmulatedGuardrail {
  readonly id: string;
  readonly name: string;
  readonly workspaceId: string | null;
  readonly createdAt: Date;
  allowedModels: string[] | null;
  limitUsd: number | null;
}

export interface EmulatedKeyAssignment {
  readonly id: string;
  readonly guardrailId: string;
  readonly keyHash: string;
  readonly createdAt: Date;
}

/** A provider credential (BYOK); `allowedApiKeyHashes` null = any key of the account may use it. */
export interface EmulatedByokKey {
  readonly id: string;
  readonly provider: string;
  readonly label: string;
  readonly name: string | null;
  /** null = global: usable from every workspace. */
  readonly workspaceId: string | null;
  readonly createdAt: Date;
  allowedApiKeyHashes: string[] | null;
  disabled: boolean;
}

/** A webhook observability destination; `apiKeyHashes` null = traffic of every key is sent. */
export interface EmulatedObservabilityDestination {
  readonly id: string;
  readonly name: string | null;
  readonly workspaceId: string;
  readonly url: string;
  readonly createdAt: Date;
  apiKeyHashes: string[] | null;
  enabled: boolean;
  updatedAt: Date;
}

/** A list of key hashes that names who may use (or is watched by) something. */
export type HashListOwner = EmulatedByokKey | EmulatedObservabilityDestination;

export class AccountStore {
  readonly #workspaces = new Map<string, EmulatedWorkspace>();
  readonly #guardrails = new Map<string, EmulatedGuardrail>();
  /** By key hash: a key holds at most one guardrail directly. */
  readonly #assignments = new Map<string, EmulatedKeyAssignment>();
  readonly #byok = new Map<string, EmulatedByokKey>();
  readonly #observability = new Map<string, EmulatedObservabilityDestination>();

  constructor(private readonly now: () => Date) {
    this.clear();
  }

  /** Forgets everything but the default workspace. */
  clear(): void {
    this.#workspaces.clear();
    this.#guardrails.clear();
    this.#assignments.clear();
    this.#byok.clear();
    this.#observability.clear();
    this.#workspaces.set(DEFAULT_WORKSPACE_ID, {
      id: DEFAULT_WORKSPACE_ID,
      name: 'Default',
      slug: 'default',
      createdAt: new Date(0),
      ioLoggingApiKeyIds: null,
    });
  }

  addWorkspace(params: { name: string; ioLoggingApiKeyIds?: number[] | null }): EmulatedWorkspace {
    const workspace: EmulatedWorkspace = {
      id: randomUUID(),
      name: params.name,
      slug: params.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      createdAt: this.now(),
      ioLoggingApiKeyIds: params.ioLoggingApiKeyIds ?? null,
    };
    this.#workspaces.set(workspace.id, workspace);
    return workspace;
  }

  workspaces(): EmulatedWorkspace[] {
    return [...this.#workspaces.values()];
  }

  workspace(id: string): EmulatedWorkspace | undefined {
    return this.#workspaces.get(id);
  }

  addGuardrail(params: {
    name: string;
    workspaceId?: string | null;
    allowedModels?: string[] | null;
    limitUsd?: number | null;
  }): EmulatedGuardrail {
    const guardrail: EmulatedGuardrail = {
      id: randomUUID(),
      name: params.name,
      workspaceId: params.workspaceId ?? DEFAULT_WORKSPACE_ID,
      createdAt: this.now(),
      allowedModels: params.allowedModels ?? null,
      limitUsd: params.limitUsd ?? null,
    };
    this.#guardrails.set(guardrail.id, guardrail);
    return guardrail;
  }

  guardrails(workspaceId?: string): EmulatedGuardrail[] {
    const all = [...this.#guardrails.values()];
    return workspaceId === undefined ? all : all.filter((g) => g.workspaceId === workspaceId);
  }

  guardrail(id: string): EmulatedGuardrail | undefined {
    return this.#guardrails.get(id);
  }

  /**
   * Every key assignment, or those of one guardrail, oldest first (the map keeps them in the order
   * they were made: {@link assign} moves a replaced one to the end), without sorting 10,000 of
   * them for every page.
   */
  assignments(guardrailId?: string): EmulatedKeyAssignment[] {
    const all = [...this.#assignments.values()];
    return guardrailId === undefined ? all : all.filter((a) => a.guardrailId === guardrailId);
  }

  /**
   * Assigns `guardrailId` to each key; a key holds at most one guardrail, so an assignment to
   * another guardrail is replaced. Returns how many keys were not assigned to it before.
   */
  assign(guardrailId: string, keyHashes: readonly string[]): number {
    let assigned = 0;
    for (const keyHash of new Set(keyHashes)) {
      if (this.#assignments.get(keyHash)?.guardrailId === guardrailId) continue;
      this.#assignments.delete(keyHash);
      this.#assignments.set(keyHash, { id: randomUUID(), guardrailId, keyHash, createdAt: this.now() });
      assigned++;
    }
    return assigned;
  }

  /** Removes the keys' assignments to `guardrailId`; returns how many there were. */
  unassign(guardrailId: string, keyHashes: readonly string[]): number {
    let unassigned = 0;
    for (const keyHash of new Set(keyHashes)) {
      if (this.#assignments.get(keyHash)?.guardrailId !== guardrailId) continue;
      this.#assignments.delete(keyHash);
      unassigned++;
    }
    return unassigned;
  }

  /** A deleted key loses its guardrail assignment (the assignment names a key that is gone). */
  keyDeleted(keyHash: string): void {
    this.#assignments.delete(keyHash);
  }

  addByokKey(params: {
    provider: string;
    name?: string | null;
    workspaceId?: string | null;
    allowedApiKeyHashes?: string[] | null;
  }): EmulatedByokKey {
    const entry: EmulatedByokKey = {
      id: randomUUID(),
      provider: params.provider,
      label: `sk-...${randomUUID().slice(0, 4)}`,
      name: params.name ?? null,
      workspaceId: params.workspaceId === undefined ? DEFAULT_WORKSPACE_ID : params.workspaceId,
      createdAt: this.now(),
      allowedApiKeyHashes: params.allowedApiKeyHashes ?? null,
      disabled: false,
    };
    this.#byok.set(entry.id, entry);
    return entry;
  }

  /** Credentials of one workspace (`*`: of all), global ones (usable everywhere) included. */
  byokKeys(workspaceId: string): EmulatedByokKey[] {
    return [...this.#byok.values()].filter(
      (b) => workspaceId === '*' || b.workspaceId === workspaceId || b.workspaceId === null,
    );
  }

  byokKey(id: string): EmulatedByokKey | undefined {
    return this.#byok.get(id);
  }

  addObservabilityDestination(params: {
    name?: string | null;
    workspaceId?: string;
    url: string;
    apiKeyHashes?: string[] | null;
  }): EmulatedObservabilityDestination {
    const destination: EmulatedObservabilityDestination = {
      id: randomUUID(),
      name: params.name ?? null,
      workspaceId: params.workspaceId ?? DEFAULT_WORKSPACE_ID,
      url: params.url,
      createdAt: this.now(),
      apiKeyHashes: params.apiKeyHashes ?? null,
      enabled: true,
      updatedAt: this.now(),
    };
    this.#observability.set(destination.id, destination);
    return destination;
  }

  observabilityDestinations(workspaceId: string): EmulatedObservabilityDestination[] {
    return [...this.#observability.values()].filter((d) => d.workspaceId === workspaceId);
  }

  allObservabilityDestinations(): EmulatedObservabilityDestination[] {
    return [...this.#observability.values()];
  }

  observabilityDestination(id: string): EmulatedObservabilityDestination | undefined {
    return this.#observability.get(id);
  }
}
