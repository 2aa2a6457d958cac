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

export interface KeyUsage {
  hash: string;
  /** null when the key is gone. */
  usage: number | null;
}
