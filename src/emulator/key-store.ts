/**
 * The emulator's accounts: normal API keys with OpenRouter's semantics (hash = sha256 of the key,
 * masked label, newest-first listing, workspaces, spending windows, expiry). Deleted keys are kept
 * (flagged) so tests can see what happened to them.
 *
 * The secret itself is never kept: it is handed out once, at creation, and callers are recognised
 * by the sha256 hash of their bearer (as OpenRouter identifies keys), so the state can be saved to
 * disk without holding a usable key.
 */
import { randomBytes } from 'node:crypto';
import { hashOfKey } from '../openrouter/hash.js';
import { labelOfKey } from '../errors/redact.js';
import { type UsageCounters, type UsageWindow, addUsage, emptyUsage, usageIn } from './usage-windows.js';

/** The workspace keys land in when none is given. */
export const DEFAULT_WORKSPACE_ID = '00000000-0000-4000-8000-000000000000';

export type LimitReset = UsageWindow;

/** A new OpenRouter-shaped secret: `sk-or-v1-` and 64 hex characters. */
export function generateOpenRouterKey(): string {
  return `sk-or-v1-${randomBytes(32).toString('hex')}`;
}

export interface EmulatedKey {
  /** sha256 hex of the full key string: the only trace of the secret the emulator keeps. */
  readonly hash: string;
  readonly label: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly workspaceId: string;
  readonly creatorUserId: string | null;
  /** A partner's end-user id the key is attributed to (`external.user` on create); absent in old state files. */
  readonly externalUser?: string | null;
  /** Creation order; breaks ties between keys created in the same millisecond. */
  readonly sequence: number;
  name: string;
  disabled: boolean;
  limit: number | null;
  limitReset: LimitReset | null;
  includeByokInLimit: boolean;
  usage: UsageCounters;
  requestCount: number;
  updatedAt: Date | null;
  deletedAt: Date | null;
}

export interface NewKeyParams {
  name: string;
  limit?: number | null;
  limitReset?: LimitReset | null;
  includeByokInLimit?: boolean;
  expiresAt?: Date | null;
  workspaceId?: string;
  creatorUserId?: string | null;
  externalUser?: string | null;
  disabled?: boolean;
  createdAt?: Date;
}

export interface KeyPatch {
  name?: string;
  disabled?: boolean;
  limit?: number | null;
  limitReset?: LimitReset | null;
  includeByokInLimit?: boolean;
}

/** Why a key cannot be used right now, or `undefined` when it can. */
export type KeyRefusal = 'deleted' | 'disabled' | 'expired';

/** Width of the buckets the request log counts in: analytics granularities are multiples of it. */
export const REQUEST_BUCKET_MS = 60_000;

export class KeyStore {
  readonly #byHash = new Map<string, EmulatedKey>();
  /** Completions per key hash and minute (bucket start in ms), for the analytics API; not saved. */
  readonly #requestsByMinute = new Map<string, Map<number, number>>();
  #sequence = 0;

  /**
   * `onChange` runs after every change to a key (to persist the state); `onKeyIssued` gets the
   * secret of every key created (see `EmulatorOptions.onKeyIssued`).
   */
  constructor(
    private readonly now: () => Date,
    private readonly onChange: () => void = () => undefined,
    private readonly onKeyIssued: (key: string) => void = () => undefined,
  ) {}

  /** Creates a key; its secret is returned here and nowhere else. */
  create(params: NewKeyParams): { record: EmulatedKey; key: string } {
    const key = generateOpenRouterKey();
    const record: EmulatedKey = {
      hash: hashOfKey(key),
      label: labelOfKey(key),
      createdAt: params.createdAt ?? this.now(),
      expiresAt: params.expiresAt ?? null,
      workspaceId: params.workspaceId ?? DEFAULT_WORKSPACE_ID,
      creatorUserId: params.creatorUserId ?? null,
      externalUser: params.externalUser ?? null,
      sequence: ++this.#sequence,
      name: params.name,
      disabled: params.disabled ?? false,
      limit: params.limit ?? null,
      limitReset: params.limitReset ?? null,
      includeByokInLimit: params.includeByokInLimit ?? true,
      usage: emptyUsage(this.now()),
      requestCount: 0,
      updatedAt: null,
      deletedAt: null,
    };
    this.#byHash.set(record.hash, record);
    this.onKeyIssued(key);
    this.onChange();
    return { record, key };
  }

  /** Replaces every key with `records` (a saved state); no change notification. */
  load(records: readonly EmulatedKey[]): void {
    this.#byHash.clear();
    for (const record of records) this.#byHash.set(record.hash, record);
    this.#sequence = Math.max(0, ...records.map((r) => r.sequence));
  }

  /** A key by its hash, deleted ones included (a map lookup: the account may hold 10,000 keys). */
  find(hash: string): EmulatedKey | undefined {
    return this.#byHash.get(hash);
  }

  /** A key that has not been deleted. */
  findLive(hash: string): EmulatedKey | undefined {
    const record = this.#byHash.get(hash);
    return record && record.deletedAt === null ? record : undefined;
  }

  /** The key whose secret is `secret` (deleted ones included), by its hash as OpenRouter does. */
  findBySecret(secret: string): EmulatedKey | undefined {
    return this.#byHash.get(hashOfKey(secret));
  }

  refusalOf(record: EmulatedKey): KeyRefusal | undefined {
    if (record.deletedAt !== null) return 'deleted';
    if (record.disabled) return 'disabled';
    if (record.expiresAt !== null && record.expiresAt.getTime() <= this.now().getTime()) return 'expired';
    return undefined;
  }

  /** Live keys of one workspace, newest first. */
  listLive(opts: { workspaceId: string; includeDisabled: boolean }): EmulatedKey[] {
    return [...this.#byHash.values()]
      .filter((k) => k.deletedAt === null && k.workspaceId === opts.workspaceId)
      .filter((k) => opts.includeDisabled || !k.disabled)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.sequence - a.sequence);
  }

  /** Every key ever created, deleted ones included, oldest first. */
  all(): EmulatedKey[] {
    return [...this.#byHash.values()].sort((a, b) => a.sequence - b.sequence);
  }

  update(record: EmulatedKey, patch: KeyPatch): void {
    if (patch.name !== undefined) record.name = patch.name;
    if (patch.disabled !== undefined) record.disabled = patch.disabled;
    if (patch.limit !== undefined) record.limit = patch.limit;
    if (patch.limitReset !== undefined) record.limitReset = patch.limitReset;
    if (patch.includeByokInLimit !== undefined) record.includeByokInLimit = patch.includeByokInLimit;
    record.updatedAt = this.now();
    this.onChange();
  }

  delete(record: EmulatedKey): void {
    record.deletedAt = this.now();
    this.onChange();
  }

  /** Counts one completion on the key: its cost (0 for a free model) and the request itself. */
  recordUsage(record: EmulatedKey, costUsd: number): void {
    const now = this.now();
    addUsage(record.usage, costUsd, now);
    record.requestCount += 1;
    const bucket = Math.floor(now.getTime() / REQUEST_BUCKET_MS) * REQUEST_BUCKET_MS;
    let buckets = this.#requestsByMinute.get(record.hash);
    if (!buckets) this.#requestsByMinute.set(record.hash, (buckets = new Map()));
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    this.onChange();
  }

  /** Completions of the key in `[startMs, endMs)` by minute bucket (start in ms → count). */
  requestsByMinute(hash: string, startMs: number, endMs: number): Map<number, number> {
    const out = new Map<number, number>();
    for (const [bucket, count] of this.#requestsByMinute.get(hash) ?? []) {
      if (bucket >= startMs && bucket < endMs) out.set(bucket, count);
    }
    return out;
  }

  usageOf(record: EmulatedKey, window: UsageWindow | null): number {
    return usageIn(record.usage, window, this.now());
  }

  /** What is left of the limit in the current reset window; `null` without a limit. */
  limitRemaining(record: EmulatedKey): number | null {
    if (record.limit === null) return null;
    return Math.max(0, Math.round((record.limit - this.usageOf(record, record.limitReset)) * 1e9) / 1e9);
  }

  clear(): void {
    this.#byHash.clear();
    this.#requestsByMinute.clear();
    this.onChange();
  }
}
