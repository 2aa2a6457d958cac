/**
 * The activity that reads how much keys are used, for the traffic check before the old key is
 * deleted. It runs on the OpenRouter task queue with the key activities, under the same rate limit.
 */
import { cancellationSignal } from '@temporalio/activity';
import type { RotationConfig } from '../config/schema.js';
import { OpenRouterNotFoundError } from '../openrouter/errors.js';
import type { KeyUsage } from './activity-types.js';
import type { ActivityDependencies } from './dependencies.js';

export interface KeyUsageOptions {
  /** Also count each key's requests from this time on (ISO), from the analytics API. */
  requestsSince?: string;
}

export function createUsageActivities(deps: ActivityDependencies) {
  const call = () => ({ signal: cancellationSignal() });

  return {
    /**
     * Usage counters of the given keys (null for a key that is gone). With `requestsSince`, also
     * their request counts from the analytics API; when those cannot be had (no permission, an
     * unresolved key, a truncated answer, an outage) they are null with the reason, and the caller
     * falls back to the USD counters: a traffic check must never fail because analytics did.
     */
    async keyUsage(
      rotation: RotationConfig,
      hashes: string[],
      options: KeyUsageOptions = {},
    ): Promise<KeyUsage[]> {
      const client = deps.openRouter(rotation);
      const out: KeyUsage[] = [];
      for (const hash of hashes) {
        try {
          out.push({ hash, usage: (await client.getKey(hash, call())).usage ?? 0 });
        } catch (err) {
          if (!(err instanceof OpenRouterNotFoundError)) throw err;
          out.push({ hash, usage: null });
        }
      }
      if (options.requestsSince === undefined) return out;
      const range = { start: new Date(options.requestsSince), end: new Date() };
      for (const entry of out) {
        try {
          const counted = await client.countRequests(entry.hash, range, call());
          const problem = counted.truncated
            ? 'OpenRouter cut the analytics answer short'
            : counted.warnings.length > 0
              ? `OpenRouter warned: ${counted.warnings.join('; ')}`
              : undefined;
          entry.requests = problem === undefined ? counted.requests : null;
          if (problem !== undefined) entry.requestsUnavailable = problem;
        } catch (err) {
          if (cancellationSignal().aborted) throw err;
          entry.requests = null;
          entry.requestsUnavailable = err instanceof Error ? err.message : String(err);
        }
      }
      return out;
    },
  };
}

export type UsageActivities = ReturnType<typeof createUsageActivities>;
