/**
 * The activities of a rotation, built from injected dependencies. The worker registers both
 * groups; the workflow imports only their types.
 */
import type { ActivityDependencies } from './dependencies.js';
import { createDestinationActivities } from './destination-activities.js';
import { withFailureMapping } from './failure-mapping.js';
import { createOpenRouterActivities } from './openrouter-activities.js';

export function createActivities(deps: ActivityDependencies) {
  return {
    openRouter: withFailureMapping(createOpenRouterActivities(deps)),
    destinations: withFailureMapping(createDestinationActivities(deps)),
  };
}

export type { ActivityDependencies } from './dependencies.js';
export type { DestinationActivities } from './destination-activities.js';
export type { OpenRouterActivities } from './openrouter-activities.js';
export type * from './activity-types.js';
