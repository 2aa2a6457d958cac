/**
 * Fault injection for the emulator: latency and latency spikes, random 429/5xx at seeded rates,
 * creates that succeed but drop their answer or answer 500, fresh keys that answer 401 for a
 * while, deleted keys that are still visible for a few reads, and scripted one-shot failures for
 * precise tests. Every injected fault is counted by kind. Faults only touch `/api/v1`, never the
 * control API.
 */
import { z } from 'zod';
import { seededRandom } from './prng.js';

export const scriptedFaultSchema = z.object({
  /** HTTP method to match, or `*` for any. @default "*" */
  method: z.string().min(1).default('*'),
  /** Regular expression tested against the request path (no query), e.g. `^/api/v1/keys$`. */
  path: z.string().min(1),
  /** Status to answer with. */
  status: z.number().int().min(400).max(599),
  /** How many matching requests fail before the fault is used up. @default 1 */
  count: z.number().int().positive().default(1),
  /** Sent as `Retry-After` (seconds) when given. */
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  /** Error message in the body. @default a message for the status */
  message: z.string().optional(),
});

/** The carry-over's features and the API paths of each, as an account without the feature lacks them. */
export const FEATURE_PATHS = {
  guardrails: /^\/api\/v1\/guardrails(\/|$)/,
  byok: /^\/api\/v1\/byok(\/|$)/,
  observability: /^\/api\/v1\/observability(\/|$)/,
  workspaces: /^\/api\/v1\/workspaces(\/|$)/,
} as const;
export type AccountFeature = keyof typeof FEATURE_PATHS;

export const faultConfigSchema = z.object({
  /**
   * Features this account (or API version) lacks: every endpoint of each answers 404 `Resource not
   * found`, listings included, as OpenRouter does for a path it does not have. @default []
   */
  missingFeatures: z
    .array(z.enum(Object.keys(FEATURE_PATHS) as [AccountFeature, ...AccountFeature[]]))
    .default([]),
  /** Delay before every API answer, in milliseconds. @default 0 */
  latencyMs: z.number().int().nonnegative().default(0),
  /**
   * Delay after the request was handled and before the answer goes out, in milliseconds: the
   * change has happened, the client has not heard yet (a worker can die in between). @default 0
   */
  responseDelayMs: z.number().int().nonnegative().default(0),
  /** Share of API requests (0–1) that fail with `serverErrorStatus`. @default 0 */
  serverErrorRate: z.number().min(0).max(1).default(0),
  /** Status of the injected server errors. @default 500 */
  serverErrorStatus: z.number().int().min(500).max(599).default(500),
  /** Share of API requests (0–1) that fail with 429. @default 0 */
  rateLimitRate: z.number().min(0).max(1).default(0),
  /** `Retry-After` (seconds) sent with injected 429s. @default 1 */
  retryAfterSeconds: z.number().int().nonnegative().default(1),
  /** The next N `POST /keys` create the key, then drop the connection without answering. @default 0 */
  dropCreateResponses: z.number().int().nonnegative().default(0),
  /**
   * The next N `POST /keys` create the key, then answer with its secret cut short (not the shape of
   * an OpenRouter key), as a broken proxy or a changed key format would. @default 0
   */
  malformedCreateKeys: z.number().int().nonnegative().default(0),
  /** Share of `POST /keys` (0–1) that create the key, then drop the connection without answering. @default 0 */
  dropCreateRate: z.number().min(0).max(1).default(0),
  /**
   * Share of `POST /keys` (0–1) that create the key, then answer 500: the change happened, the
   * caller is told it did not (its secret is lost with the answer). @default 0
   */
  createCommittedErrorRate: z.number().min(0).max(1).default(0),
  /** Share of API requests (0–1) delayed by `latencySpikeMs` on top of `latencyMs`. @default 0 */
  latencySpikeRate: z.number().min(0).max(1).default(0),
  /** Extra delay of a latency spike, in milliseconds. @default 2000 */
  latencySpikeMs: z.number().int().nonnegative().default(2_000),
  /** Keys younger than this answer 401 on `GET /key` and completions, in milliseconds. @default 0 */
  freshKeyUnauthorizedMs: z.number().int().nonnegative().default(0),
  /**
   * A deleted key still answers the next N `GET /keys/{hash}` of it with 200, as a read that lags
   * behind the delete would. @default 0
   */
  visibleAfterDeleteGets: z.number().int().nonnegative().default(0),
  /** One-shot failures, checked in order before the random ones. @default [] */
  scripted: z.array(scriptedFaultSchema).default([]),
});

/** Faults as given (every field optional). */
export type FaultConfig = z.input<typeof faultConfigSchema>;
/** Faults with defaults applied; scripted `count`s show what is left. */
export type ActiveFaults = z.output<typeof faultConfigSchema>;

export interface InjectedError {
  status: number;
  message: string;
  retryAfterSeconds?: number;
}

/** The kinds of fault the injector counts (see {@link FaultInjector.injected}). */
export type InjectedFaultKind =
  | 'scripted'
  | 'missing-feature'
  | 'rate-limit-429'
  | 'server-error-5xx'
  | 'create-dropped'
  | 'create-500-after-commit'
  | 'latency-spike'
  | 'visible-after-delete';

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Invalid request parameters',
  401: 'Missing Authentication header',
  402: 'Insufficient credits',
  403: 'Only management keys can perform this operation',
  404: 'Resource not found',
  408: 'Request timeout',
  429: 'Rate limit exceeded',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function defaultMessageFor(status: number): string {
  return DEFAULT_MESSAGES[status] ?? `Injected error ${status}`;
}

export class FaultInjector {
  #faults: ActiveFaults = faultConfigSchema.parse({});
  #random: () => number;
  /** Deleted keys (by hash) that still show up, with the number of reads left. */
  #visibleAfterDelete = new Map<string, number>();
  /** How many faults of each kind were injected since the start or the last reset. */
  #injected = new Map<InjectedFaultKind, number>();

  #count(kind: InjectedFaultKind): void {
    this.#injected.set(kind, (this.#injected.get(kind) ?? 0) + 1);
  }

  /** Faults injected so far, by kind (a chaos run reports them). */
  get injected(): Partial<Record<InjectedFaultKind, number>> {
    return Object.fromEntries(this.#injected);
  }

  constructor(private readonly seed: number) {
    this.#random = seededRandom(seed);
  }

  /** Replaces every fault (throws a ZodError on a bad config). */
  set(config: FaultConfig): void {
    const faults = faultConfigSchema.parse(config);
    for (const fault of faults.scripted) new RegExp(fault.path); // fail now on a bad pattern, not per request
    this.#faults = faults;
    this.#visibleAfterDelete.clear();
  }

  /** Clears every fault and restarts the random sequence from the seed. */
  reset(): void {
    this.#faults = faultConfigSchema.parse({});
    this.#random = seededRandom(this.seed);
    this.#visibleAfterDelete.clear();
    this.#injected.clear();
  }

  get current(): ActiveFaults {
    return structuredClone(this.#faults);
  }

  get latencyMs(): number {
    return this.#faults.latencyMs;
  }

  get responseDelayMs(): number {
    return this.#faults.responseDelayMs;
  }

  /** The failure to answer this request with, if any (uses up scripted faults). */
  errorFor(method: string, path: string): InjectedError | undefined {
    if (this.#faults.missingFeatures.some((feature) => FEATURE_PATHS[feature].test(path))) {
      this.#count('missing-feature');
      return { status: 404, message: defaultMessageFor(404) };
    }
    const scripted = this.#faults.scripted.find(
      (f) =>
        f.count > 0 &&
        (f.method === '*' || f.method.toUpperCase() === method) &&
        new RegExp(f.path).test(path),
    );
    if (scripted) {
      scripted.count -= 1;
      this.#faults.scripted = this.#faults.scripted.filter((f) => f.count > 0);
      this.#count('scripted');
      return {
        status: scripted.status,
        message: scripted.message ?? defaultMessageFor(scripted.status),
        retryAfterSeconds: scripted.retryAfterSeconds,
      };
    }
    const { rateLimitRate, serverErrorRate, serverErrorStatus, retryAfterSeconds } = this.#faults;
    // Draw only for active rates, so a config's sequence does not depend on inactive ones.
    if (rateLimitRate > 0 && this.#random() < rateLimitRate) {
      this.#count('rate-limit-429');
      return { status: 429, message: defaultMessageFor(429), retryAfterSeconds };
    }
    if (serverErrorRate > 0 && this.#random() < serverErrorRate) {
      this.#count('server-error-5xx');
      return { status: serverErrorStatus, message: defaultMessageFor(serverErrorStatus) };
    }
    return undefined;
  }

  /** Whether this create must drop its connection after creating the key (uses one up). */
  takeCreateDrop(): boolean {
    if (this.#faults.dropCreateResponses > 0) {
      this.#faults.dropCreateResponses -= 1;
    } else if (!this.#draw(this.#faults.dropCreateRate)) return false;
    this.#count('create-dropped');
    return true;
  }

  /** Whether this create, already done, must answer 500 (the caller loses the new key's secret). */
  takeCreateCommittedError(): boolean {
    if (!this.#draw(this.#faults.createCommittedErrorRate)) return false;
    this.#count('create-500-after-commit');
    return true;
  }

  /** Extra delay for this request: `latencySpikeMs` at `latencySpikeRate`, otherwise 0. */
  takeLatencySpike(): number {
    if (!this.#draw(this.#faults.latencySpikeRate)) return 0;
    this.#count('latency-spike');
    return this.#faults.latencySpikeMs;
  }

  /** True with probability `rate`; draws only for an active rate (see `errorFor`). */
  #draw(rate: number): boolean {
    return rate > 0 && this.#random() < rate;
  }

  /** Notes a delete, so the key stays visible for `visibleAfterDeleteGets` reads. */
  keyDeleted(hash: string): void {
    const reads = this.#faults.visibleAfterDeleteGets;
    if (reads > 0) this.#visibleAfterDelete.set(hash, reads);
  }

  /** Whether this read of a deleted key must still find it (uses one read up). */
  takeVisibleAfterDelete(hash: string): boolean {
    const left = this.#visibleAfterDelete.get(hash) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.#visibleAfterDelete.delete(hash);
    else this.#visibleAfterDelete.set(hash, left - 1);
    this.#count('visible-after-delete');
    return true;
  }

  /** Whether this create must answer with a malformed secret (uses one up). */
  takeMalformedCreateKey(): boolean {
    if (this.#faults.malformedCreateKeys <= 0) return false;
    this.#faults.malformedCreateKeys -= 1;
    return true;
  }

  isTooFresh(createdAt: Date, now: Date): boolean {
    return now.getTime() - createdAt.getTime() < this.#faults.freshKeyUnauthorizedMs;
  }
}
