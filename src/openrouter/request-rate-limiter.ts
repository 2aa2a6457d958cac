/**
 * Request rate to OpenRouter, counted in HTTP requests as the server sees them: at most
 * `floor(rate)` requests arrive in any one-second window. Every OpenRouter client of a worker
 * process shares one, so however many rotations run and however many calls each activity makes,
 * the process never exceeds the rate.
 *
 * How: `floor(rate)` slots; a request holds a slot from when it is sent until its response
 * arrives, and the slot is free again one window after that. A request reaches the server after it
 * was sent and before its response comes back, so two requests of one slot always arrive a full
 * window apart, whatever the network delay (a window counted from the send time alone is not:
 * measured on a loaded machine, 8 requests arrived within one second at a limit of 4). The price
 * is one round trip per slot and window (≈ 1 % on loopback, 13 % at 150 ms).
 *
 * Why not only Temporal's task-queue limit (`maxTaskQueueActivitiesPerSecond`): it counts
 * activities, which make one to three HTTP calls, and the matching service's token bucket lets a
 * second's worth of tokens burst on top of the steady rate (measured: 30–34 activities and up to
 * 42 requests in one second at a setting of 20). It stays as the bound across worker processes.
 */
export class RequestRateLimiter {
  /** The window in ms: one second, longer for rates below one per second. */
  readonly #windowMs: number;
  /** Per slot: when it may be used again (ms since the epoch); Infinity while its request is out. */
  readonly #freeAt: number[];
  /** Waiters take their turn in order. */
  #tail: Promise<unknown> = Promise.resolve();
  /** Resolved (and replaced) whenever a request settles and frees its slot. */
  #settled = deferred();

  /** @param requestsPerSecond a positive number; below 1, one request per `1 / rate` seconds. */
  constructor(requestsPerSecond: number) {
    if (!(requestsPerSecond > 0))
      throw new RangeError(`requests per second must be a positive number, not ${requestsPerSecond}`);
    const slots = Math.max(1, Math.floor(requestsPerSecond));
    this.#windowMs = Math.max(1000, (slots / requestsPerSecond) * 1000);
    this.#freeAt = new Array<number>(slots).fill(0);
  }

  /**
   * Sends one request (`send` resolves once its response has arrived) when its turn comes. A wait
   * cancelled through `signal` rejects with the signal's reason and sends nothing.
   */
  async run<T>(send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const turn = this.#tail.then(() => this.#takeSlot(signal));
    this.#tail = turn.catch(() => undefined);
    const slot = await turn;
    try {
      return await send();
    } finally {
      this.#freeAt[slot] = Date.now() + this.#windowMs;
      const settled = this.#settled;
      this.#settled = deferred();
      settled.resolve();
    }
  }

  async #takeSlot(signal: AbortSignal | undefined): Promise<number> {
    for (;;) {
      signal?.throwIfAborted();
      const soonest = this.#freeAt.reduce((best, at, i) => (at < this.#freeAt[best]! ? i : best), 0);
      const waitMs = this.#freeAt[soonest]! - Date.now();
      if (waitMs <= 0) {
        this.#freeAt[soonest] = Infinity;
        return soonest;
      }
      // Every slot is out: wait for a response. Otherwise wait for the soonest slot's window.
      await waitFor(waitMs === Infinity ? this.#settled.promise : delay(waitMs), signal);
    }
  }
}

/** Promise.withResolvers, which Node 20 lacks. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or the signal's reason once it aborts. */
function waitFor(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => reject(err),
    );
  });
}
