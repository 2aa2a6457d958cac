/**
 * The activities a rotation calls, with their failure model (timeouts, retry policies) next to
 * them so a reader sees both. Whether a failure is retried at all is decided by the failure
 * itself: activities turn each error's `retryable` flag into `nonRetryable` (see
 * src/activities/failure-mapping.ts), so no list of type names is kept here.
 */
import { proxyActivities } from '@temporalio/workflow';
import type {
  CarryOverActivities,
  DestinationActivities,
  OpenRouterActivities,
} from '../activities/index.js';
import { openRouterTaskQueue } from '../workflow-contract/messages.js';

/** Activities heartbeat every 5 s (see failure-mapping.ts): a dead worker is noticed in 20 s. */
const HEARTBEAT_TIMEOUT = '20s';

/**
 * Steps before the switch: retried for a bounded time, so a broken setup fails (and rolls back) in
 * minutes. A time budget, not a number of attempts: a worker that crashes every few seconds costs
 * an attempt each time, and must not make a healthy OpenRouter look broken (found by the chaos run).
 */
const bounded = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

/** Undo and the final delete must not give up on a transient outage: they keep trying for a day. */
const persistent = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
} as const;

/** Verifying a fresh key polls through its 401 window; heartbeats show it is alive. */
const verifying = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', maximumAttempts: 5 },
} as const;

/**
 * The rotation's activities. OpenRouter calls go to their own task queue next to the rotation's,
 * where the worker caps the request rate.
 */
export function rotationActivities(rotationTaskQueue: string) {
  const apiQueue = openRouterTaskQueue(rotationTaskQueue);
  return {
    openRouter: proxyActivities<OpenRouterActivities>({ ...bounded, taskQueue: apiQueue }),
    carryOver: proxyActivities<CarryOverActivities>({ ...bounded, taskQueue: apiQueue }),
    destinations: proxyActivities<DestinationActivities>(bounded),
    verifier: proxyActivities<OpenRouterActivities>({ ...verifying, taskQueue: apiQueue }),
    persistentOpenRouter: proxyActivities<OpenRouterActivities>({ ...persistent, taskQueue: apiQueue }),
    persistentCarryOver: proxyActivities<CarryOverActivities>({ ...persistent, taskQueue: apiQueue }),
    persistentDestinations: proxyActivities<DestinationActivities>(persistent),
  };
}

export type RotationActivities = ReturnType<typeof rotationActivities>;
