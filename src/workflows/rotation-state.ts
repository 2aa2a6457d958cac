/**
 * What a running rotation shows and hears: its status (the `status` query), the pause, resume and
 * end-grace requests it receives, and the search attributes and metrics that follow its steps.
 * The steps change it only through the named methods below.
 */
import { condition, log, patched, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CreatedKeyInfo } from '../activities/activity-types.js';
import type { CarryOverPlan } from '../workflow-contract/carry-over-plan.js';
import { describeCarryOver } from './carry-over-summary.js';
import {
  endGraceSignal,
  endGraceUpdate,
  pauseSignal,
  resumeSignal,
  rotationNewKeyLabelKey,
  rotationOutcomeKey,
  rotationStepKey,
  statusQuery,
  type RotationOptions,
  type RotationOutcome,
  type RotationResult,
  type RotationStatus,
  type RotationStep,
  type TrafficSource,
} from '../workflow-contract/messages.js';
import { reasonOf } from './rotation-failures.js';
import { rotationMetrics } from './rotation-metrics.js';

/** How a rotation can end. */
export type FinalOutcome = Exclude<RotationOutcome, 'running'>;

/** Told of the moments lifecycle events report (see lifecycle-events.ts). */
export interface RotationObserver {
  paused(reason: string | undefined): void;
  resumed(): void;
  /** The traffic hold began: both keys stay live. */
  held(): void;
  finished(outcome: FinalOutcome): void;
}

/**
 * Runs recorded before this patch upserted the outcome at the start, the new key's label and the
 * final outcome each on their own; now they travel with the step upsert that follows in the same
 * workflow task (three events fewer per rotation). `patched()` is false when such a history replays.
 */
export const FEWER_SEARCH_ATTRIBUTE_UPSERTS_PATCH = 'fewer-search-attribute-upserts';

export class RotationState {
  readonly status: RotationStatus;
  readonly metrics: ReturnType<typeof rotationMetrics>;
  readonly #startedAt = new Date().toISOString();
  #endGraceRequested = false;
  /** With the patch: attributes that go out with the next step's upsert. */
  #pendingAttributes: SearchAttributeUpdatePair[] | undefined;

  constructor(
    rotation: string,
    options: RotationOptions,
    private readonly observer?: RotationObserver,
  ) {
    this.metrics = rotationMetrics(rotation);
    this.status = {
      rotation,
      step: 'starting',
      outcome: 'running',
      paused: false,
      reason: options.reason ?? 'manual',
      ...(options.note ? { note: options.note } : {}),
      steps: [],
      warnings: [],
    };
  }

  /** Answers the status query and takes pause, resume and endGrace; marks the run as running. */
  begin(): void {
    setHandler(statusQuery, () => this.status);
    setHandler(pauseSignal, (reason?: string) => {
      const wasPaused = this.status.paused;
      this.status.paused = true;
      this.status.pauseReason = reason;
      if (!wasPaused) this.observer?.paused(reason);
    });
    setHandler(resumeSignal, () => {
      const wasPaused = this.status.paused;
      this.status.paused = false;
      this.status.pauseReason = undefined;
      if (wasPaused) this.observer?.resumed();
    });
    setHandler(endGraceSignal, () => {
      this.#endGraceRequested = true;
    });
    setHandler(endGraceUpdate, () => {
      this.#endGraceRequested = true;
      return this.status;
    });
    if (patched(FEWER_SEARCH_ATTRIBUTE_UPSERTS_PATCH))
      this.#pendingAttributes = [{ key: rotationOutcomeKey, value: 'running' }];
    else upsertSearchAttributes([{ key: rotationOutcomeKey, value: 'running' }]);
    // Every counter exists from the first run on, so the first failure shows as an increase.
    for (const counter of [
      this.metrics.started,
      this.metrics.succeeded,
      this.metrics.failed,
      this.metrics.rolledBack,
    ])
      counter.add(0);
  }

  get paused(): boolean {
    return this.status.paused;
  }

  /** Whether an operator asked to end the grace period (or the traffic hold) now. */
  get endGraceRequested(): boolean {
    return this.#endGraceRequested;
  }

  /** The hold waits for a request of its own: one that ended the grace period is used up. */
  forgetEndGrace(): void {
    this.#endGraceRequested = false;
  }

  /** A paused rotation waits here, before its next step. */
  async whenNotPaused(): Promise<void> {
    if (this.status.paused) {
      log.info('rotation paused; waiting for resume', {
        rotation: this.status.rotation,
        step: this.status.step,
      });
      await condition(() => !this.status.paused);
    }
  }

  enterStep(step: RotationStep): void {
    const now = new Date().toISOString();
    const previous = this.status.steps.at(-1);
    if (previous && !previous.endedAt) previous.endedAt = now;
    this.status.step = step;
    this.status.steps.push({ step, startedAt: now });
    this.#upsert({ key: rotationStepKey, value: step });
    if (step === 'hold') {
      this.metrics.held.set(1);
      this.observer?.held();
    }
  }

  /** Upserts `attribute` with whatever is pending (only in a run with the patch). */
  #upsert(attribute: SearchAttributeUpdatePair): void {
    const pending = this.#pendingAttributes;
    if (pending) this.#pendingAttributes = [];
    upsertSearchAttributes([...(pending ?? []), attribute]);
  }

  warn(message: string): void {
    this.status.warnings.push(message);
    log.warn(message, { rotation: this.status.rotation, step: this.status.step });
  }

  /** Something worth knowing that is not a problem: shown as a note, logged at INFO. */
  note(message: string): void {
    (this.status.notes ??= []).push(message);
    log.info(message, { rotation: this.status.rotation });
  }

  /** The grace period's end as the status shows it; undefined outside the grace step. */
  showGraceEnd(endsAtMs: number | undefined): void {
    this.status.graceEndsAt = endsAtMs === undefined ? undefined : new Date(endsAtMs).toISOString();
  }

  oldKeyConfirmed(label: string): void {
    this.status.oldKeyLabel = label;
  }

  /** Shows what the new key will take over; what cannot be carried over is a warning too. */
  carryOverPlanned(plan: CarryOverPlan): void {
    this.status.carryOver = { plan, summary: describeCarryOver(plan) };
    for (const note of plan.notCarried) this.warn(`not carried over: ${note}`);
  }

  /**
   * Shows where the traffic check reads traffic from whenever that changes: a note for request
   * counts (the check works as meant), a warning for the USD fallback (some traffic does not show).
   */
  trafficSourceUsed(source: TrafficSource, whyNotRequests?: string): void {
    if (this.status.trafficSource === source) return;
    this.status.trafficSource = source;
    if (source === 'request-counts')
      this.note(
        "traffic check: request counts from OpenRouter's analytics API (free-model and BYOK traffic included)",
      );
    else
      this.warn(
        `traffic check: the keys' USD usage counters, as request counts are unavailable (${whyNotRequests ?? 'not asked for'}); ` +
          'traffic to free models, and BYOK traffic not counted in the limit, does not show',
      );
  }

  /** Shows the new key (label and hash, never the key) and warns about what OpenRouter did oddly. */
  newKeyCreated(created: CreatedKeyInfo): void {
    this.status.newKeyLabel = created.label;
    this.status.newKeyHash = created.hash;
    // With the patch, it goes out with the step that follows at once (carry-over or store).
    if (this.#pendingAttributes)
      this.#pendingAttributes.push({ key: rotationNewKeyLabelKey, value: created.label });
    else upsertSearchAttributes([{ key: rotationNewKeyLabelKey, value: created.label }]);
    if (!created.hashIsSha256OfKey) {
      this.warn(
        `OpenRouter's hash of the new key ${created.label} is not sha256 of the key: the next rotation will not ` +
          'be able to confirm it as the active key. Please report this (OpenRouter changed its hash form).',
      );
    }
    if (created.removedOrphans > 0) {
      this.warn(
        `deleted ${created.removedOrphans} key(s) left by an earlier attempt whose create response was lost`,
      );
    }
  }

  /** The age of the active key, for the key-age gauge. */
  reportKeyAge(createdAt: string): void {
    this.metrics.keyAge.set(Math.max(0, (Date.now() - Date.parse(createdAt)) / 1000));
  }

  /** Keeps the reason of a failure for the status query. */
  recordError(err: unknown): void {
    this.status.lastError = reasonOf(err);
  }

  /** Ends the run: last step, outcome search attribute and metrics. */
  finish(outcome: FinalOutcome, step: RotationStep): void {
    const patchedRun = this.#pendingAttributes !== undefined;
    if (patchedRun) this.#pendingAttributes!.push({ key: rotationOutcomeKey, value: outcome });
    this.enterStep(step);
    const last = this.status.steps.at(-1)!;
    last.endedAt = last.startedAt;
    this.status.outcome = outcome;
    if (!patchedRun) upsertSearchAttributes([{ key: rotationOutcomeKey, value: outcome }]);
    if (outcome === 'succeeded') this.metrics.succeeded.add(1);
    if (outcome === 'failed' || outcome === 'rolled-back') this.metrics.failed.add(1);
    if (outcome === 'rolled-back') this.metrics.rolledBack.add(1);
    if (this.status.steps.some((s) => s.step === 'hold')) this.metrics.held.set(0);
    this.observer?.finished(outcome);
  }

  /** Ends the run as failed because of `err` (`rolled-back` when every change was undone). */
  fail(err: unknown, outcome: 'failed' | 'rolled-back' = 'failed'): void {
    this.recordError(err);
    this.finish(outcome, 'failed');
  }

  /** The workflow's result: the steps and warnings so far, never a key. */
  result(outcome: 'succeeded' | 'skipped', extra: Partial<RotationResult>): RotationResult {
    return {
      rotation: this.status.rotation,
      outcome,
      destinations: [],
      steps: this.status.steps,
      startedAt: this.#startedAt,
      endedAt: new Date().toISOString(),
      warnings: this.status.warnings,
      ...(this.status.notes ? { notes: this.status.notes } : {}),
      ...extra,
    };
  }
}
