/** The analytics API: request counts per key, which see free-model and BYOK traffic that USD usage never shows. */
import { requestCountResponseSchema } from './attachment-schemas.js';
import { formatExpiresAt } from './requests.js';
import type { CallOptions, OpenRouterTransport } from './transport.js';

/** Request counts of one key in a time range, from the analytics API. */
export interface RequestCount {
  /** Requests counted, free-model and BYOK traffic included. */
  requests: number;
  /** OpenRouter cut the answer short: `requests` may be too low. */
  truncated: boolean;
  /** OpenRouter's warnings, e.g. a key hash it could not resolve (the count then means nothing). */
  warnings: string[];
}

export function analyticsApi(transport: OpenRouterTransport) {
  return {
    /**
     * Requests made with the key `keyHash` in `[start, end)`, from the analytics API (metric
     * `request_count`, an `api_key_id` filter by hash, hourly buckets summed). Unlike a key's USD
     * usage, this counts free-model and BYOK traffic. Times go out as ISO 8601 with seconds.
     */
    async countRequests(
      keyHash: string,
      range: { start: Date; end: Date },
      opts: CallOptions = {},
    ): Promise<RequestCount> {
      const operation = 'POST /analytics/query';
      const res = await transport.send('POST', '/analytics/query', {
        ...opts,
        operation,
        subject: 'analytics',
        body: {
          metrics: ['request_count'],
          filters: [{ field: 'api_key_id', operator: 'eq', value: keyHash }],
          granularity: 'hour',
          time_range: { start: formatExpiresAt(range.start), end: formatExpiresAt(range.end) },
        },
      });
      const { data } = transport.parse(requestCountResponseSchema, res, operation);
      return {
        requests: data.data.reduce((sum, row) => sum + row.request_count, 0),
        truncated: data.metadata.truncated,
        warnings: data.warnings ?? [],
      };
    },
  };
}

export type AnalyticsApi = ReturnType<typeof analyticsApi>;
