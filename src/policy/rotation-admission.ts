/**
 * The worker policy's verdict on the rotations that reach a worker, decided once for each
 * rotation as it enters: every activity's input check admits the rotation it parsed (see
 * src/activities/input-validation.ts), and what builds the OpenRouter client and the stores for
 * it behind that check finds it admitted instead of judging it again. A rotation they are handed
 * without that check (a direct call) is judged then, with the same refusal.
 */
import type { RotationConfig } from '../config/schema.js';
import { assertRotationAllowed } from './check-rotation.js';
import type { WorkerPolicy } from './worker-policy-schema.js';

export class RotationAdmission {
  /**
   * The very objects admitted (the activities' parsed input, which nothing changes): a copy,
   * changed or not, is judged afresh.
   */
  readonly #admitted = new WeakSet<RotationConfig>();

  constructor(
    /** What the worker's operator allows rotations to do. */
    readonly policy: WorkerPolicy,
    /** Folder that relative paths in rotations resolve from. @default process.cwd() */
    readonly cwd: string = process.cwd(),
  ) {}

  /**
   * Lets `rotation` in, or refuses it.
   * @throws PolicyViolationError naming every refused field and the rule.
   */
  admit(rotation: RotationConfig): void {
    if (this.#admitted.has(rotation)) return;
    assertRotationAllowed(rotation, this.policy, { cwd: this.cwd });
    this.#admitted.add(rotation);
  }
}
