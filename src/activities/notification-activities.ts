/**
 * The activity that delivers a lifecycle event to one of a rotation's notification sinks. The
 * event delivery workflow calls it once per sink, with retries and back-off; it adds the link to
 * the run in the Temporal Web UI when the worker knows the UI's address.
 */
import { Context, log } from '@temporalio/activity';
import { z } from 'zod';
import type { RotationConfig } from '../config/schema.js';
import { deliverToSink } from '../events/deliver-event.js';
import { lifecycleEventSchema, type LifecycleEvent } from '../events/event-types.js';
import { ConfigError } from '../errors/rotator-errors.js';
import { notificationUrlViolation, secretRefViolation } from '../policy/check-rotation.js';
import { destinationLabel } from '../stores/registry.js';
import type { ActivityDependencies } from './dependencies.js';
import type { ActivityInputSchemas } from './input-validation.js';

/** The run's page in the Temporal Web UI. */
export function webUiRunUrl(webUiUrl: string, namespace: string, workflowId: string, runId: string): string {
  const base = webUiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

export function createNotificationActivities(deps: ActivityDependencies) {
  const settings = deps.notifications ?? {};
  const env = settings.env ?? process.env;
  const cwd = settings.cwd ?? process.cwd();
  return {
    /** Delivers `event` to sink `sinkIndex` of `rotation.notifications`, once. */
    async deliverEvent(rotation: RotationConfig, sinkIndex: number, event: LifecycleEvent): Promise<void> {
      const sink = rotation.notifications?.[sinkIndex];
      if (!sink)
        throw new ConfigError(`rotation "${rotation.name}" has no notification sink #${sinkIndex + 1}`);
      // The workflow cannot label destinations (the registry is Node code) or know the UI's address.
      const delivered: LifecycleEvent = {
        ...event,
        data: {
          ...event.data,
          destinations: rotation.destinations.map((d) => destinationLabel(d, { cwd })),
          ...(settings.webUiUrl
            ? {
                webUiUrl: webUiRunUrl(
                  settings.webUiUrl,
                  Context.current().info.workflowNamespace ?? 'default',
                  event.data.workflowId,
                  event.data.runId,
                ),
              }
            : {}),
        },
      };
      await deliverToSink(sink, sinkIndex, delivered, {
        env,
        cwd,
        refuseSecretRef: (ref) => secretRefViolation(ref, deps.admission.policy, cwd),
        refuseUrl: (url) => notificationUrlViolation(url, deps.admission.policy),
        // The worker's log (the SDK logger), so `npm start` shows it with the worker's lines.
        log: settings.log ?? ((line) => log.info(line)),
        fetch: settings.fetch,
        timeoutMs: settings.timeoutMs,
      });
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;

export const notificationActivityInputs = {
  deliverEvent: (rotation) =>
    z.tuple([
      z
        .number()
        .int()
        .min(0)
        .max(
          Math.max(0, (rotation.notifications?.length ?? 0) - 1),
          'expected the index of one of the rotation notification sinks',
        ),
      lifecycleEventSchema,
    ]),
} satisfies ActivityInputSchemas<NotificationActivities>;
