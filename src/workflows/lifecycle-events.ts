/**
 * The lifecycle events of one rotation run. Each event is handed to its own event delivery
 * workflow (a child started with the event's id as workflow id and left to run on its own), so
 * emitting is quick, never fails the rotation, and happens once per event even across replays and
 * worker restarts.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  CancellationScope,
  log,
  ParentClosePolicy,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { RotationConfig } from '../config/schema.js';
import {
  eventId,
  eventSource,
  type EventKey,
  type EventType,
  type LifecycleEvent,
  type LifecycleEventData,
} from '../events/event-types.js';
import { sinkWants } from '../events/sink-schemas.js';
import { redact } from '../errors/redact.js';
import { eventDeliveryWorkflow } from './event-delivery-workflow.js';
import { rotationNameKey, type RotationStatus } from '../workflow-contract/messages.js';

/**
 * Gates the events' commands (child workflow starts): a history recorded before them replays
 * without (see test/rotation-replay.test.ts).
 */
export const LIFECYCLE_EVENTS_PATCH = 'lifecycle-events';

/**
 * Marks runs whose event ids carry a uuid4() of the workflow's own randomness instead of the run
 * id. A reset gives the new run a new run id, so ids made from it changed in the replay of the
 * events before the reset point (a nondeterminism error in every workflow task); the workflow's
 * randomness replays unchanged there and is seeded afresh after it, so later events get new ids.
 */
export const RESET_SAFE_EVENT_IDS_PATCH = 'reset-safe-event-ids';

/** An active key whose expiry backstop is this close gets a `key.expiring` event on every run. */
export const KEY_EXPIRING_WITHIN_MS = 3 * 86_400_000;

export class LifecycleEvents {
  #sequence = 0;
  readonly #pending: Promise<void>[] = [];
  #oldKey: EventKey | undefined;
  #newKey: EventKey | undefined;

  /**
   * @param enabled false in a run recorded before events existed (see {@link LIFECYCLE_EVENTS_PATCH}).
   * @param resetSafeIds false in a run recorded before {@link RESET_SAFE_EVENT_IDS_PATCH}.
   */
  constructor(
    private readonly rotation: RotationConfig,
    private readonly statusNow: () => RotationStatus,
    private readonly enabled: boolean,
    private readonly resetSafeIds: boolean,
  ) {}

  /** The key being replaced, named in every later event. */
  oldKey(key: EventKey): void {
    this.#oldKey = { label: key.label, hash: key.hash };
  }

  /** The key being created, named in every later event. */
  newKey(key: EventKey): void {
    this.#newKey = { label: key.label, hash: key.hash };
  }

  /** Hands the event of `type` to the sinks that want it (a child workflow); returns at once. */
  emit(type: EventType, extra: Partial<LifecycleEventData> = {}): void {
    if (!this.enabled) return;
    // Counted for every event, wanted or not: an id names the same event whatever the sinks.
    const sequence = ++this.#sequence;
    if (!(this.rotation.notifications ?? []).some((sink) => sinkWants(sink, type))) return;
    const event = this.#event(type, sequence, extra);
    // Not cancellable: a cancelled rotation still reports how it ended.
    const started = CancellationScope.nonCancellable(() =>
      startChild(eventDeliveryWorkflow, {
        workflowId: event.id,
        args: [{ rotation: this.rotation, event }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // The id already used means the event was handed over before: nothing to do.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [{ key: rotationNameKey, value: this.rotation.name }],
      }),
    ).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return;
        log.warn('could not hand a lifecycle event to its delivery workflow', {
          rotation: this.rotation.name,
          event: event.id,
          error: err instanceof Error ? redact(err.message) : String(err),
        });
      },
    );
    this.#pending.push(started);
  }

  /** Waits until every event emitted so far has been handed over (not delivered). */
  async handedOver(): Promise<void> {
    await Promise.all(this.#pending);
  }

  #event(type: EventType, sequence: number, extra: Partial<LifecycleEventData>): LifecycleEvent {
    const info = workflowInfo();
    const status = this.statusNow();
    const data: LifecycleEventData = {
      rotation: this.rotation.name,
      workflowId: info.workflowId,
      runId: info.runId,
      reason: status.reason,
      ...(status.note ? { note: redact(status.note) } : {}),
      step: status.step,
      ...(this.#oldKey ? { oldKey: this.#oldKey } : {}),
      ...(this.#newKey ? { newKey: this.#newKey } : {}),
      // Labelled at delivery: the destination registry is Node code, not workflow code.
      destinations: [],
      ...(status.warnings.length > 0 ? { warnings: status.warnings.map(redact) } : {}),
      ...extra,
    };
    if (data.error !== undefined) data.error = redact(data.error);
    if (data.pauseReason !== undefined) data.pauseReason = redact(data.pauseReason);
    return {
      specversion: '1.0',
      // Unpatched runs named their events after the run id they started with, which is the
      // original run id: the same ids in their replay, also in a reset run.
      id: eventId(this.resetSafeIds ? uuid4() : info.originalExecutionRunId, sequence, type),
      source: eventSource(this.rotation.name),
      type,
      subject: this.rotation.name,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data,
    };
  }
}
