/**
 * What a chaos run must never see, by kind, with a short secret-free detail of each occurrence
 * (rotation names, destination descriptions and key labels only).
 */

export const VIOLATION_KINDS = {
  'dead-key-held': 'a destination held a deleted, disabled or expired key',
  'unknown-key-held': 'a destination held a key the emulator never issued',
  'empty-destination': 'a destination held no key',
  'rotation-unfinished': 'a rotation was still running at the end',
  'rotation-not-succeeded': 'a rotation ended rolled back, failed or skipped',
  shortfall: 'fewer rotations finished than asked within the time budget',
  'destinations-disagree': 'at the end, the destinations of one key held different keys',
  'live-key-mismatch': 'at the end, the destinations of a key did not hold a live key its rotations made',
  'old-key-alive': 'at the end, a replaced key was still live',
  orphan: 'at the end, a key no destination ever held was still live',
  'key-material': 'a key appeared in a workflow history, a log or the Temporal database',
} as const;

export type ViolationKind = keyof typeof VIOLATION_KINDS;

export interface Violation {
  kind: ViolationKind;
  detail: string;
  /** Milliseconds since the run started. */
  atMs: number;
}

/** The violations of one run; `onViolation` hears each as it is found (for the run's log). */
export class Violations {
  readonly #list: Violation[] = [];

  constructor(
    private readonly startedAt: number,
    private readonly onViolation: (violation: Violation) => void = () => undefined,
  ) {}

  add(kind: ViolationKind, detail: string): void {
    const violation = { kind, detail, atMs: Date.now() - this.startedAt };
    this.#list.push(violation);
    this.onViolation(violation);
  }

  get list(): readonly Violation[] {
    return this.#list;
  }

  /** Count per kind, every kind present (zeros included), in the order of {@link VIOLATION_KINDS}. */
  counts(): Record<ViolationKind, number> {
    const counts = Object.fromEntries(Object.keys(VIOLATION_KINDS).map((k) => [k, 0])) as Record<
      ViolationKind,
      number
    >;
    for (const v of this.#list) counts[v.kind] += 1;
    return counts;
  }
}
