/**
 * The one small interface every secret destination implements. The rotation workflow only ever
 * talks to destinations through it; adding a backend = its folder, a registry line and a test
 * (README.md in this folder).
 *
 * Values never leave the activity that handles them: callers compare hashes, not values.
 */
export interface StoredSecret {
  /** The key as the destination hands it out now. */
  value: string;
  /** The destination's own version id (file: content hash prefix; AWS: VersionId; Vault/Infisical: version number). */
  version: string;
}

/**
 * What a write-only destination (README.md, "Write-only destinations") tells about its secret in
 * place of the value: that it exists, and when it was last written.
 */
export interface WriteOnlyState {
  /** When the destination says the secret was last written (ISO 8601, the destination's clock). */
  updatedAt: string;
  /** The destination's version id (GitHub: `updated_at`; Vercel: the variable's `updatedAt`). */
  version: string;
}

export interface WriteOptions {
  /**
   * Stable id of this logical write (derived from the workflow run and the step), so a retried
   * activity repeats the same write instead of making another version (AWS ClientRequestToken).
   * 32–64 characters of [A-Za-z0-9-].
   */
  idempotencyToken: string;
  /** The rotation writing (its `name`): stores that tag or label secrets as managed name it. */
  rotation?: string;
  /**
   * The expiry at OpenRouter of the key being written (ISO 8601), or undefined when it has none.
   * Looked up only when called (one request to OpenRouter): stores that give a version an expiry
   * (Azure Key Vault) call it, the others never do.
   */
  keyExpiresAt?: () => Promise<string | undefined>;
}

export interface WriteResult {
  /** Version id of the value now current in the destination. */
  version: string;
}

export interface SecretStore {
  /** Human-readable name of the destination for messages: kind and target, never a value. */
  readonly description: string;
  /**
   * Reads the value the destination hands out now, or null if the field/secret does not exist.
   * Errors: DestinationAuthError (non-retryable), DestinationError with retryable=true when the
   * server cannot be reached.
   */
  read(): Promise<StoredSecret | null>;
  /**
   * Makes `value` the current value as a new version, keeping the previous version available.
   * Idempotent: if the destination already holds `value` (a retry after a lost reply), succeed
   * without another version. Throws DestinationConflictError when someone else changed the
   * secret concurrently, DestinationApprovalPendingError when a write awaits approval.
   */
  write(value: string, options: WriteOptions): Promise<WriteResult>;
  /**
   * Makes `previousValue` current again (rollback after a failed rotation). Idempotent, and
   * never deletes history: backends with versions write it as a new version or move the
   * current-version pointer back.
   */
  restore(previousValue: string, options: WriteOptions): Promise<WriteResult>;
  /**
   * Present only on write-only destinations, which cannot hand the value back (GitHub Actions
   * secrets, Vercel `sensitive` variables); their `read()` always returns null. Null when the
   * secret does not exist. The rotation never takes the old key from them nor compares their
   * value: see README.md, "Write-only destinations".
   */
  readWriteOnlyState?(): Promise<WriteOnlyState | null>;
  /**
   * Optional: waits until what the last write started has taken effect for the destination's
   * consumers (Kubernetes: the rollouts of the restarted workloads; Vercel: the redeployment).
   * The verify step calls it before reading. Waits a bounded time per call, then throws a
   * retryable DestinationError, so the verify activity's retries keep waiting and a change that
   * never takes effect fails the verification.
   */
  settle?(): Promise<void>;
  /**
   * Optional: retires the versions that hold `retiredValue`, a key just deleted at OpenRouter, so
   * that no one takes a dead key from the history (Key Vault disables them; Secret Manager
   * disables them, or destroys them with `destroyPrevious`). Never the version consumers read.
   * Idempotent: a retired version is not retired again. Called after the delete step, best effort.
   * @returns the ids of the versions it retired now
   */
  retirePrevious?(retiredValue: string): Promise<string[]>;
}
