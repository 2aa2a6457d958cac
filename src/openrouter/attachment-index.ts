/**
 * One index of what OpenRouter attaches to keys, per worker process and management key, shared by
 * every rotation the worker runs at once: the carry-over's reads (guardrail assignments, one
 * guardrail, BYOK credentials and observability destinations of a workspace, a workspace) go
 * through it, so a fleet cycle reads each listing once per wave of rotations instead of once per
 * rotation.
 *
 * The staleness rule (docs/operations.md, "Carry-over reads in a fleet"): a read is answered only
 * by a listing that *began after the read was asked for*. A rotation asks when its preflight's
 * carry-over read starts, so anything attached to the old key before that (before the run started,
 * a fortiori) is in what it gets. Order is kept by a counter, not a clock: no skew, no resolution.
 * Single-flight: one listing of a kind in flight at a time; a read asked for while one is in
 * flight waits for it to end and joins the next, which serves every read that arrived meanwhile.
 * Bounded age: a finished listing is forgotten at once, so no answer is older than the listing
 * that made it.
 */
import { createHash } from 'node:crypto';

/** A point in the order of listings: what {@link AttachmentIndex.mark} returns. */
export type ReadMark = number;

interface Flight {
  /** The how-manieth listing this is (1, 2, …); it serves marks below it. */
  readonly seq: number;
  readonly result: Promise<unknown>;
}

/** The single-flight reads of one management key (one account). */
export class AttachmentIndex {
  #started = 0;
  readonly #flights = new Map<string, Flight>();
  /** Listings begun, by kind (for tests and the bench). */
  readonly begun = new Map<string, number>();
  /**
   * The account's default workspace, once a listing made without `workspace_id` showed it (a
   * fact of the account, not a listing: it does not go stale while the workspace exists).
   */
  defaultWorkspaceId: string | undefined;

  /** Now, in the order of listings: every listing begun after this call serves it. */
  mark(): ReadMark {
    return this.#started;
  }

  /**
   * The result of `load` for `kind` (e.g. `byok:<workspace>`), from a listing begun after `since`:
   * the one in flight if it began after `since`, else the next one (begun once the one in flight
   * ends). `load` must not depend on the asking rotation (it serves all of them): give it no
   * rotation's cancellation signal. A failed listing fails every read it serves.
   */
  async read<T>(kind: string, since: ReadMark, load: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      signal?.throwIfAborted();
      const flight = this.#flights.get(kind);
      if (flight && flight.seq > since) return abortable(flight.result as Promise<T>, signal);
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
      const entry: Flight = { seq: ++this.#started, result: Promise.resolve().then(load) };
      this.begun.set(kind, (this.begun.get(kind) ?? 0) + 1);
      this.#flights.set(kind, entry);
      const forget = () => {
        if (this.#flights.get(kind) === entry) this.#flights.delete(kind);
      };
      entry.result.then(forget, forget);
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
