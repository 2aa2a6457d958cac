/**
 * Everything the client and the workflow share: the workflow's input and result, its messages
 * (signals, queries, updates), its search attributes and naming conventions. Workflow-safe: no
 * Node built-ins, no activity code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { CarryOverPlan } from './carry-over-plan.js';
import type { RotationConfig } from '../config/schema.js';

/** Task queue of the rotation workflows and their destination activities. @default */
export const ROTATION_TASK_QUEUE = 'openrouter-key-rotation';
/**
 * Task queue of the activities that call OpenRouter, next to the rotation's own queue: the worker
 * caps its activities per second, so many concurrent rotations never exceed the request rate.
 */
export function openRouterTaskQueue(rotationTaskQueue: string): string {
  return `${rotationTaskQueue}-api`;
}

/** Workflow id of the one rotation of `name` that may run at a time. */
export function rotationWorkflowId(name: string): string {
  return `rotation-${name}`;
}
/** Schedule id of the auto-rotation of `name`. */
export function rotationScheduleId(name: string): string {
  return `rotation-schedule-${name}`;
}

export type RotationReason = 'scheduled' | 'manual';

export interface RotationOptions {
  /** Overrides the configured grace period for this run (`0s` = revoke right after verification). */
  grace?: string;
  /** Why this run started. @default "manual" */
  reason?: RotationReason;
  /** Free text from `key-rotator rotate --reason`. */
  note?: string;
  /**
   * Scheduled runs only: skip (succeed without rotating) unless `intervalDays` have passed since
   * the last successful rotation. The schedule wakes daily; the workflow decides if it is due.
   * @default false
   */
  onlyIfDue?: boolean;
}

export interface RotationInput {
  /** Validated snapshot of this rotation's config: names of credentials, never their values. */
  rotation: RotationConfig;
  options?: RotationOptions;
}

export type RotationStep =
  | 'starting'
  | 'preflight'
  | 'create'
  | 'carry-over'
  | 'store'
  | 'grace'
  | 'verify'
  | 'hold'
  | 'delete'
  | 'rollback'
  | 'done'
  | 'skipped'
  | 'failed';

export type RotationOutcome = 'running' | 'succeeded' | 'skipped' | 'rolled-back' | 'failed';

export interface StepTiming {
  step: RotationStep;
  startedAt: string;
  endedAt?: string;
}

/** What the `status` query answers: no key material, labels only. */
export interface RotationStatus {
  rotation: string;
  step: RotationStep;
  outcome: RotationOutcome;
  paused: boolean;
  pauseReason?: string;
  reason: RotationReason;
  note?: string;
  oldKeyLabel?: string;
  newKeyLabel?: string;
  newKeyHash?: string;
  /** ISO time the grace period ends (absent outside the grace step). */
  graceEndsAt?: string;
  steps: StepTiming[];
  lastError?: string;
  warnings: string[];
  /** Worth knowing, not a problem (e.g. where the traffic check counts). Absent when none, and in older runs. */
  notes?: string[];
  /**
   * What the new key takes over from the old one (workspace, guardrail, allow-lists), planned in
   * preflight, with one line per item for people. Absent in runs from before the carry-over.
   */
  carryOver?: { plan: CarryOverPlan; summary: string[] };
  /** What the traffic-moved check counts: requests (analytics API) or USD usage counters. */
  trafficSource?: TrafficSource;
}

/** Where the traffic-moved check reads traffic from. */
export type TrafficSource = 'request-counts' | 'usd-usage';

export interface DestinationVersion {
  destination: string;
  version: string;
}

/** The workflow's result: never the key. */
export interface RotationResult {
  rotation: string;
  outcome: 'succeeded' | 'skipped';
  /** Present when rotated. */
  newKey?: { hash: string; label: string; createdAt: string; expiresAt?: string | null };
  /** Hash of the key that was replaced; absent on a first (bootstrap) rotation. */
  oldKeyHash?: string;
  oldKeyDeleted?: boolean;
  destinations: DestinationVersion[];
  steps: StepTiming[];
  startedAt: string;
  endedAt: string;
  /** ISO time of the last successful rotation (this one, or the earlier one when skipped). */
  lastRotatedAt?: string;
  skippedBecause?: string;
  warnings: string[];
  /** As RotationStatus.notes. */
  notes?: string[];
}

export const pauseSignal = defineSignal<[reason?: string]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
/** Ends the grace period now (the workflow still verifies before deleting). */
export const endGraceSignal = defineSignal<[]>('endGrace');
export const statusQuery = defineQuery<RotationStatus>('status');
/** Ends the grace period now and answers the status after the change. */
export const endGraceUpdate = defineUpdate<RotationStatus>('endGraceNow');

export const rotationNameKey = defineSearchAttributeKey('RotationName', SearchAttributeType.KEYWORD);
export const rotationStepKey = defineSearchAttributeKey('RotationStep', SearchAttributeType.KEYWORD);
export const rotationOutcomeKey = defineSearchAttributeKey('RotationOutcome', SearchAttributeType.KEYWORD);
export const rotationNewKeyLabelKey = defineSearchAttributeKey(
  'RotationNewKeyLabel',
  SearchAttributeType.KEYWORD,
);
export const rotationReasonKey = defineSearchAttributeKey('RotationReason', SearchAttributeType.KEYWORD);

// On a rotation's schedule, so that `list` and `apply` read one listing instead of describing each
// schedule. `apply` writes the first three (sha256 of what it wrote, and the config the spec does
// not carry); the worker writes RotationOutcome, RotationReason, RotationNewKeyLabel (the active
// key) and the last one after every run. Keyword only: every registration path registers Keyword.
export const rotationConfigDigestKey = defineSearchAttributeKey(
  'RotationConfigDigest',
  SearchAttributeType.KEYWORD,
);
/** `schedule.intervalDays` as decimal text. */
export const rotationIntervalDaysKey = defineSearchAttributeKey(
  'RotationIntervalDays',
  SearchAttributeType.KEYWORD,
);
/** `schedule.enabled`: "true" or "false". */
export const rotationEnabledKey = defineSearchAttributeKey('RotationEnabled', SearchAttributeType.KEYWORD);
/** ISO time (UTC) the active key was created. */
export const rotationLastRotatedAtKey = defineSearchAttributeKey(
  'RotationLastRotatedAt',
  SearchAttributeType.KEYWORD,
);

/** Every custom search attribute a rotation or its schedule sets (all Keyword, as the type says). */
const rotationSearchAttributeKeys: (typeof rotationNameKey)[] = [
  rotationNameKey,
  rotationStepKey,
  rotationOutcomeKey,
  rotationNewKeyLabelKey,
  rotationReasonKey,
  rotationConfigDigestKey,
  rotationIntervalDaysKey,
  rotationEnabledKey,
  rotationLastRotatedAtKey,
];

/**
 * The custom search attributes the server must have registered: name → type as the `temporal` CLI
 * spells it (`--search-attribute RotationName=Keyword`), the names taken from the keys above. The
 * dev server set-up and the tests register these; test/deployment-files.test.ts checks that
 * deploy/temporal/create-namespace.sh and docs/operations.md list the same.
 */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword'>> = Object.fromEntries(
  rotationSearchAttributeKeys.map((key) => [key.name, 'Keyword']),
);

/** Workflow id of `key-rotator sweep`: one sweep at a time. */
export const SWEEP_WORKFLOW_ID = 'key-rotator-sweep';

export interface SweepInput {
  /** The rotations file's rotations: their destinations hold keys, their accounts are searched. */
  rotations: RotationConfig[];
  /**
   * Names of the rotations running now: every key of theirs is left alone (the new key in
   * flight, and an old key a traffic hold keeps alive).
   */
  runningRotations: string[];
  /** Keys created at or after this time (ISO) are left alone: a rotation may have just made them. */
  createdBefore: string;
  /** Delete the orphans that are not in use. @default false (a dry run) */
  delete?: boolean;
  /**
   * Look for keys of every rotation, not only the file's: for a management key no other deployment
   * shares. @default false
   */
  allRotations?: boolean;
  /**
   * With `delete`: delete only these of the orphans (by hash), the ones a person confirmed after a
   * dry run. @default every orphan not in use
   */
  deleteOnly?: string[];
}

/** A key key-rotator created that no destination holds and no running rotation owns. */
export interface OrphanKey {
  hash: string;
  label: string;
  name: string;
  /** The rotation its name names; `configured` says whether the file still has it. */
  rotation: string;
  configured: boolean;
  workspaceId: string | null;
  createdAt: string;
  /**
   * Why it was left alone although an orphan, if so: it had traffic in the last 24 hours, or its
   * traffic could not be counted.
   */
  inUse?: string;
  deleted: boolean;
}

export interface SweepResult {
  /** OpenRouter accounts searched (base URL and management key variable). */
  accounts: number;
  /** Keys key-rotator created that were found, orphans or not. */
  managedKeys: number;
  orphans: OrphanKey[];
  dryRun: boolean;
  /**
   * Every destination of the file could be read; when one could not, nothing is deleted (a key it
   * holds could look orphaned). Absent in results of sweeps before it was reported.
   */
  destinationsRead?: boolean;
  warnings: string[];
}
