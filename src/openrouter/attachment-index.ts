/**
 * One index of what OpenRouter attaches to keys, per worker process and management key, shared by
 * every rotation the worker runs at once: the carry-over's reads (guardrail assignments, one
 * guardrail, BYOK credentials and observability destinations of a workspace, a workspace) go
 * through it, so a fleet cycle reads each listing once per wave of rotations instead of once per
 * rotation.
 *
 * The staleness rule (docs/operations.md, "Carry-over reads in a fleet"): a read is answered only
 * by a listing that began after the asking preflight attempt was scheduled by Temporal (which is
 * after the run started), so anything attached to the old key before the run started is in what
 * it gets. Two ways to know: the listing began after the read was asked for on this worker (a
 * counter: no clock involved), or it began, on this worker's clock, more than
 * CLOCK_SKEW_ALLOWANCE_MS after the attempt's scheduled time (the server's clock). Single-flight:
 * one listing of a kind in flight at a time; a read it cannot serve waits for it to end and joins
 * the next. Bounded age: a finished listing answers reads for MAX_LISTING_AGE_MS at most.
 */
import { createHash } from 'node:crypto';

/** How much a worker's clock may run ahead of the Temporal server's for the time rule to hold. */
export const CLOCK_SKEW_ALLOWANCE_MS = 2000;
/** How long a finished listing may answer reads. */
export const MAX_LISTING_AGE_MS = 60_000;

/** When a read was asked for: what {@link AttachmentIndex.mark} returns. */
export interface ReadMark {
  /** Listings begun so far: every listing begun after the mark serves it (causal, no clock). */
  readonly seq: number;
  /**
   * The worker-clock time after which a listing must have begun to serve the read by time: when
   * Temporal scheduled the asking preflight attempt, plus {@link CLOCK_SKEW_ALLOWANCE_MS}.
   */
  readonly notBeforeMs: number | undefined;
}

interface Flight {
  /** The how-manieth listing this is (1, 2, …). */
  readonly seq: number;
  /** When it began, on this worker's clock. */
  readonly begunAtMs: number;
  readonly result: Promise<unknown>;
}

export interface AttachmentIndexOptions {
  /** The worker's clock. @default Date.now */
  now?: () => number;
}

/** The single-flight reads of one management key (one account). */
export class AttachmentIndex {
  #started = 0;
  readonly #now: () => number;
  readonly #flights = new Map<string, Flight>();
  /** The last listing of each kind that succeeded, while it may still answer reads. */
  readonly #finished = new Map<string, Flight>();
  /** Listings begun, by kind (for tests and the bench). */
  readonly begun = new Map<string, number>();
  /**
   * The account's default workspace, once a listing made without `workspace_id` showed it (a
   * fact of the account, not a listing: it does not go stale while the workspace exists).
   */
  defaultWorkspaceId: string | undefined;

  constructor(options: AttachmentIndexOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * Now, for a read: listings begun from now on serve it, and so do listings begun (on this
   * worker's clock) more than {@link CLOCK_SKEW_ALLOWANCE_MS} after `scheduledAtMs`, the
   * Temporal server's time when the asking preflight attempt was scheduled.
   */
  mark(scheduledAtMs?: number): ReadMark {
    return {
      seq: this.#started,
      notBeforeMs: scheduledAtMs === undefined ? undefined : scheduledAtMs + CLOCK_SKEW_ALLOWANCE_MS,
    };
  }

  #serves(flight: Flight, mark: ReadMark): boolean {
    return flight.seq > mark.seq || (mark.notBeforeMs !== undefined && flight.begunAtMs > mark.notBeforeMs);
  }

  /**
   * The result of `load` for `kind` (e.g. `byok:<workspace>`) from a listing that serves `mark`:
   * the last finished one if it does and is at most {@link MAX_LISTING_AGE_MS} old, else the one
   * in flight if it does, else the next one (begun once the one in flight ends). `load` must not
   * depend on the asking rotation (it serves all of them): give it no rotation's cancellation
   * signal. A failed listing fails the reads it serves and is not kept.
   */
  async read<T>(kind: string, mark: ReadMark, load: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      signal?.throwIfAborted();
      const finished = this.#finished.get(kind);
      if (
        finished &&
        this.#now() - finished.begunAtMs <= MAX_LISTING_AGE_MS &&
        this.#serves(finished, mark)
      ) {
        return finished.result as Promise<T>;
      }
      const flight = this.#flights.get(kind);
      if (flight && this.#serves(flight, mark)) return abortable(flight.result as Promise<T>, signal);
      if (flight) {
        await abortable(
          flight.result.then(
            () => undefined,
            () => undefined,
          ),
          signal,
        );
        continue;
      }
      const entry: Flight = {
        seq: ++this.#started,
        begunAtMs: this.#now(),
        result: Promise.resolve().then(load),
      };
      this.begun.set(kind, (this.begun.get(kind) ?? 0) + 1);
      this.#flights.set(kind, entry);
      const landed = (ok: boolean) => () => {
        if (this.#flights.get(kind) === entry) this.#flights.delete(kind);
        const last = this.#finished.get(kind);
        if (ok && (!last || last.seq < entry.seq)) this.#finished.set(kind, entry);
      };
      entry.result.then(landed(true), landed(false));
      return abortable(entry.result as Promise<T>, signal);
    }
  }
}

/** `promise`, or the signal's reason as soon as it aborts (the promise itself goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

/** The indexes of one worker process, one per OpenRouter base URL and management key. */
export class AttachmentIndexes {
  readonly #byAccount = new Map<string, AttachmentIndex>();

  /** The index of `account` ({@link accountOf}). */
  of(account: string): AttachmentIndex {
    let index = this.#byAccount.get(account);
    if (!index) this.#byAccount.set(account, (index = new AttachmentIndex()));
    return index;
  }
}

/** Who an index belongs to: the base URL and a digest of the management key (never the key). */
export function accountOf(baseUrl: string, managementKey: string): string {
  return createHash('sha256').update(`${baseUrl}\n${managementKey}`).digest('hex');
}
