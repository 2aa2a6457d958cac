/** A destination named for people, without any credential: `vault:secret/apps/checkout#OPENROUTER_API_KEY`. */
import type { DestinationConfig } from '../../stores/destination-schemas.js';
import { destinationLabel as labelOf } from '../../stores/registry.js';

/** One argument only, so it can be passed to `Array.map` (the CLI does not know the worker's folder). */
export const destinationLabel = (destination: DestinationConfig): string => labelOf(destination);
