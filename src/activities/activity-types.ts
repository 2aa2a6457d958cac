/**
 * What activities hand back to the workflow. Never a key in clear: hashes, labels, versions, and
 * keys that must travel between steps only as sealed blobs (see src/codec/secret-sealer.ts).
 */
import type { SealedSecret } from '../codec/secret-sealer.js';

/** A key as OpenRouter describes it (from `GET /keys/{hash}`). */
export interface KeyInfo {
  hash: string;
  label: string;
  name: string;
  createdAt: string;
  disabled: boolean;
  /** Total usage in USD (null when OpenRouter does not say). */
  usage: number | null;
  expiresAt: string | null;
  /** Where the key lives and who it is for: what a replacement is created with (absent in older histories). */
  workspaceId?: string | null;
  creatorUserId?: string | null;
  externalUser?: string | null;
}

export interface CreatedKeyInfo {
  hash: string;
  label: string;
  createdAt: string;
  expiresAt: string | null;
  /** The new key, sealed for the store and verify steps. */
  sealedKey: SealedSecret;
  /** Keys of earlier attempts of this run whose create response was lost, deleted before creating. */
  removedOrphans: number;
  /**
   * Whether OpenRouter's hash of the new key is sha256 of the key, as its docs imply. Later
   * rotations find the active key's record by that hash; false means they cannot.
   */
  hashIsSha256OfKey: boolean;
}

/** What one destination holds now. */
export interface DestinationReading {
  destination: string;
  present: boolean;
  hash?: string;
  label?: string;
  version?: string;
  /**
   * A write-only destination (GitHub Actions secret, Vercel sensitive variable): `present` says
   * the secret exists, and there is never a hash or label (absent in older histories).
   */
  writeOnly?: boolean;
}

export interface DestinationsSnapshot {
  readings: DestinationReading[];
  /** The value the destinations hold (when they agree), sealed: the rollback target. */
  sealedCurrent?: SealedSecret;
}

export interface WrittenVersion {
  destination: string;
  version: string;
}

/** Which run an activity acts for. */
export interface RunBinding {
  /** The run's token (src/workflows/run-token.ts); absent in runs started before it. */
  runToken?: string;
}

/** What a restore is to replace: this run's new key. Only a destination holding it gets the old key back. */
export interface RestoreBinding extends RunBinding {
  replacing: { hash: string; createdAt: string };
}

/**
 * What a restore found at a destination, and so what it did (a compare-and-set on this run's new key):
 * - `restored`: it held this run's new key (or, write-only, was written during this run): it holds the old key now;
 * - `held-old-key`: it already held the old key (the write never happened, or a retry): untouched;
 * - `held-other-key`: another OpenRouter key (someone else, or a later run, wrote it): untouched;
 * - `held-non-key`: a value that is not an OpenRouter key: untouched;
 * - `held-nothing`: no key at all: untouched;
 * - `not-written-by-run`: a write-only destination last written before this run's new key was made: untouched;
 * - `old-key-dead`: it holds this run's new key, but the old key no longer answers OpenRouter, so
 *   writing it back would break the destination: it keeps the new key.
 */
export type RestoreOutcome =
  | 'restored'
  | 'held-old-key'
  | 'held-other-key'
  | 'held-non-key'
  | 'held-nothing'
  | 'not-written-by-run'
  | 'old-key-dead';

export interface RestoredDestination {
  destination: string;
  outcome: RestoreOutcome;
  /** The version written (`restored`) or found. */
  version?: string;
  /** `held-other-key`: the label of the key it holds (an OpenRouter key's label, never part of a non-key). */
  found?: string;
}

export interface KeyUsage {
  hash: string;
  /** USD usage; null when the key is gone. */
  usage: number | null;
  /**
   * Requests since `requestsSince` from OpenRouter's analytics API (free-model and BYOK traffic
   * included); null when they could not be counted (see `requestsUnavailable`). Absent when they
   * were not asked for (and in histories recorded before request counts existed).
   */
  requests?: number | null;
  /** Why `requests` is null, in words. */
  requestsUnavailable?: string;
}

/** What a change to an allow-list did: `kept` says why it was left as it was. */
export interface AllowListChange {
  changed: boolean;
  kept?: string;
}

/** A key at OpenRouter whose name says key-rotator created it (for `sweep`). */
export interface RotatorKey {
  hash: string;
  label: string;
  name: string;
  /** The rotation its name names (which may no longer be configured). */
  rotation: string;
  /** The start of the id of the run that created it. */
  runPrefix: string;
  workspaceId: string | null;
  createdAt: string;
  disabled: boolean;
  /** USD usage today (UTC), from the key record. */
  usageDaily: number | null;
}

export interface RotatorKeyListing {
  keys: RotatorKey[];
  /** Workspaces that could not be searched, and similar, in words. */
  warnings: string[];
}
