/**
 * The worker's record of a rotation's last run on the rotation's schedule (its search attributes),
 * written at the end of every run, so that `key-rotator list` reads every rotation from one
 * schedule listing. Outcomes, labels and times only: search attributes are plain text in Temporal.
 */
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { encodeUnifiedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { z } from 'zod';
import { SLUG } from '../config/schema.js';
import {
  rotationLastRotatedAtKey,
  rotationNewKeyLabelKey,
  rotationOutcomeKey,
  rotationReasonKey,
  rotationScheduleId,
} from '../workflow-contract/messages.js';

/** How a run ended, as the workflow hands it over. */
export interface RecordedRotationOutcome {
  /** The rotation's name. */
  rotation: string;
  outcome: 'running' | 'succeeded' | 'skipped' | 'rolled-back' | 'failed';
  reason?: 'scheduled' | 'manual';
  /** Label of the key this run made active; absent when the active key did not change. */
  activeKeyLabel?: string;
  /** ISO time the active key was created, when the run knows it. */
  lastRotatedAt?: string;
}

const recordedOutcomeSchema = z.strictObject({
  rotation: z.string().regex(SLUG),
  outcome: z.enum(['running', 'succeeded', 'skipped', 'rolled-back', 'failed']),
  reason: z.enum(['scheduled', 'manual']).optional(),
  activeKeyLabel: z.string().max(200).optional(),
  lastRotatedAt: z.iso.datetime({ offset: true }).optional(),
});

/** gRPC status of a schedule that does not exist. */
const GRPC_NOT_FOUND = 5;

export interface ScheduleActivityDependencies {
  /** A client of the worker's namespace (the worker's connection; no payload is decoded). */
  client: Client;
}

export function createScheduleActivities({ client }: ScheduleActivityDependencies) {
  return {
    /**
     * Merges the outcome into the schedule's search attributes, leaving the schedule and every
     * other attribute (apply's config digest) as they are. The update carries the conflict token
     * of the description it copies, so a concurrent `apply` is never overwritten: the update then
     * fails and the activity's retry reads the schedule again. No schedule (a run of a rotation
     * that was never applied, or was pruned): nothing to write.
     */
    async recordRotationOutcome(input: RecordedRotationOutcome): Promise<'recorded' | 'no-schedule'> {
      const recorded = recordedOutcomeSchema.parse(input);
      const namespace = client.options.namespace;
      const scheduleId = rotationScheduleId(recorded.rotation);
      let described;
      try {
        described = await client.workflowService.describeSchedule({ namespace, scheduleId });
      } catch (err) {
        if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return 'no-schedule';
        throw err;
      }
      const pairs: SearchAttributePair[] = [{ key: rotationOutcomeKey, value: recorded.outcome }];
      if (recorded.reason) pairs.push({ key: rotationReasonKey, value: recorded.reason });
      if (recorded.activeKeyLabel)
        pairs.push({ key: rotationNewKeyLabelKey, value: recorded.activeKeyLabel });
      if (recorded.lastRotatedAt)
        pairs.push({
          key: rotationLastRotatedAtKey,
          value: new Date(recorded.lastRotatedAt).toISOString(),
        });
      // The schedule is sent back as described: its payloads stay encoded, nothing is re-encrypted.
      await client.workflowService.updateSchedule({
        namespace,
        scheduleId,
        schedule: described.schedule,
        conflictToken: described.conflictToken,
        identity: client.options.identity,
        requestId: randomUUID(),
        searchAttributes: {
          indexedFields: {
            ...described.searchAttributes?.indexedFields,
            ...encodeUnifiedSearchAttributes(undefined, pairs),
          },
        },
      });
      return 'recorded';
    },
  };
}

export type ScheduleActivities = ReturnType<typeof createScheduleActivities>;
