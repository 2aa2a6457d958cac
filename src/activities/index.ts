/**
 * The activities of a rotation, built from injected dependencies. The worker registers every
 * group (the OpenRouter and carry-over ones on the OpenRouter task queue); the workflow imports
 * only their types.
 */
import { createCarryOverActivities } from './carry-over-activities.js';
import type { ActivityDependencies } from './dependencies.js';
import { createDestinationActivities } from './destination-activities.js';
import { withFailureMapping } from './failure-mapping.js';
import {
  carryOverActivityInputs,
  destinationActivityInputs,
  openRouterActivityInputs,
  withInputValidation,
} from './input-validation.js';
import { createNotificationActivities, notificationActivityInputs } from './notification-activities.js';
import { createKeyActivities, type KeyActivities } from './key-activities.js';
import { createUsageActivities, type UsageActivities } from './usage-activities.js';

/**
 * Every activity checks its input (schema and worker policy) before it does anything, and maps
 * its errors to failures Temporal's retry policy understands.
 */
export function createActivities(deps: ActivityDependencies) {
  const validation = { admission: deps.admission };
  return {
    openRouter: withFailureMapping(
      withInputValidation(
        { ...createKeyActivities(deps), ...createUsageActivities(deps) },
        openRouterActivityInputs,
        validation,
      ),
    ),
    carryOver: withFailureMapping(
      withInputValidation(createCarryOverActivities(deps), carryOverActivityInputs, validation),
    ),
    destinations: withFailureMapping(
      withInputValidation(createDestinationActivities(deps), destinationActivityInputs, validation),
    ),
    notifications: withFailureMapping(
      withInputValidation(createNotificationActivities(deps), notificationActivityInputs, validation),
    ),
  };
}

export type { ActivityDependencies } from './dependencies.js';
export type { CarryOverActivities } from './carry-over-activities.js';
export type { DestinationActivities } from './destination-activities.js';
export type { NotificationActivities } from './notification-activities.js';
export type * from './activity-types.js';

/** The OpenRouter task queue's key and usage activities, one group for the workflow. */
export type OpenRouterActivities = KeyActivities & UsageActivities;
