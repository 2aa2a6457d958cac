/**
 * OpenRouter's analytics API as far as a drain check needs it: `POST /analytics/query` with the
 * metric `request_count`, an `api_key_id` filter by key hash and a time granularity, and
 * `GET /analytics/meta`. Requests are counted per completion whatever they cost, so free-model
 * traffic shows here although it never moves a key's USD usage. Other metrics and dimensions are
 * refused with a 400 that says the emulator does not have them.
 */
import { z } from 'zod';
import { REQUEST_BUCKET_MS, type KeyStore } from './key-store.js';

const ISO_UTC_WITH_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const KEY_HASH = /^[0-9a-f]{64}$/;
const DEFAULT_RANGE_MS = 30 * 86_400_000;
const DEFAULT_ROW_LIMIT = 1000;

/** Bucket widths of the granularities the emulator answers. */
const GRANULARITY_MS: Record<string, number> = {
  minute: REQUEST_BUCKET_MS,
  hour: 3_600_000,
  day: 86_400_000,
};

const filterValue = z.union([z.string(), z.number()]);

export const analyticsQuerySchema = z
  .object({
    metrics: z.array(z.string()).min(1),
    dimensions: z.array(z.string()).optional(),
    filters: z
      .array(
        z.object({
          field: z.string(),
          operator: z.string(),
          value: z.union([filterValue, z.array(filterValue)]),
          include_unset: z.boolean().optional(),
        }),
      )
      .optional(),
    granularity: z.string().optional(),
    time_range: z
      .object({
        start: z.string().regex(ISO_UTC_WITH_SECONDS, 'expected YYYY-MM-DDTHH:MM:SSZ'),
        end: z.string().regex(ISO_UTC_WITH_SECONDS, 'expected YYYY-MM-DDTHH:MM:SSZ'),
      })
      .optional(),
    limit: z.number().int().positive().optional(),
  })
  .loose();
export type AnalyticsQuery = z.output<typeof analyticsQuerySchema>;

/** What the query answers, or why it is refused (a 400 message). */
export type AnalyticsAnswer = { body: unknown } | { refused: string };

export function analyticsMetaJson() {
  return {
    data: {
      dimensions: [
        { name: 'api_key_id', display_label: 'API Key' },
        { name: 'model', display_label: 'Model' },
      ],
      granularities: Object.keys(GRANULARITY_MS).map((name) => ({
        name,
        display_label: name[0]!.toUpperCase() + name.slice(1),
      })),
      metrics: [
        { name: 'request_count', display_label: 'Requests', display_format: 'number', is_rate: false },
      ],
      operators: [
        { name: 'eq', value_type: 'scalar' },
        { name: 'in', value_type: 'array' },
      ],
    },
  };
}

/** The key hashes an `api_key_id` filter names, and the values it could not resolve. */
function keyFilter(
  keys: KeyStore,
  query: AnalyticsQuery,
): { hashes?: Set<string>; unresolved: string[] } | string {
  const known = new Set(keys.all().map((k) => k.hash));
  let hashes: Set<string> | undefined;
  const unresolved: string[] = [];
  for (const filter of query.filters ?? []) {
    if (filter.field !== 'api_key_id') return `the emulator filters on api_key_id only, not ${filter.field}`;
    const values = Array.isArray(filter.value) ? filter.value : [filter.value];
    if (filter.operator === 'eq' && Array.isArray(filter.value)) return 'operator eq takes a single value';
    if (filter.operator !== 'eq' && filter.operator !== 'in')
      return `the emulator knows the operators eq and in, not ${filter.operator}`;
    const resolved = new Set<string>();
    for (const value of values.map(String)) {
      if (KEY_HASH.test(value) && known.has(value)) resolved.add(value);
      else unresolved.push(value);
    }
    hashes = hashes ? new Set([...hashes].filter((h) => resolved.has(h))) : resolved;
  }
  return { hashes, unresolved };
}

/** Answers `POST /analytics/query` from the request log of `keys`. */
export function answerAnalyticsQuery(keys: KeyStore, query: AnalyticsQuery, now: Date): AnalyticsAnswer {
  const unknownMetric = query.metrics.find((m) => m !== 'request_count');
  if (unknownMetric !== undefined) return { refused: `the emulator has no metric ${unknownMetric}` };
  if ((query.dimensions ?? []).length > 0)
    return { refused: 'the emulator answers queries without dimensions' };
  const width = query.granularity === undefined ? undefined : GRANULARITY_MS[query.granularity];
  if (query.granularity !== undefined && width === undefined)
    return { refused: `the emulator has no granularity ${query.granularity}` };
  const filter = keyFilter(keys, query);
  if (typeof filter === 'string') return { refused: filter };

  const endMs = query.time_range ? Date.parse(query.time_range.end) : now.getTime();
  const startMs = query.time_range ? Date.parse(query.time_range.start) : endMs - DEFAULT_RANGE_MS;
  if (startMs >= endMs) return { refused: 'time_range.start must be before time_range.end' };

  const hashes = filter.hashes ?? new Set(keys.all().map((k) => k.hash));
  const byBucket = new Map<number, number>();
  for (const hash of hashes) {
    for (const [minute, count] of keys.requestsByMinute(hash, startMs, endMs)) {
      const bucket = width === undefined ? startMs : Math.floor(minute / width) * width;
      byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + count);
    }
  }
  let rows: Record<string, unknown>[] = [...byBucket.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, count]) =>
      width === undefined
        ? { request_count: count }
        : { date: new Date(bucket).toISOString(), request_count: count },
    );
  if (width === undefined && rows.length === 0) rows = [{ request_count: 0 }];
  const limit = query.limit ?? DEFAULT_ROW_LIMIT;
  const truncated = rows.length > limit;
  rows = rows.slice(0, limit);
  return {
    body: {
      data: {
        data: rows,
        metadata: { query_time_ms: 1, row_count: rows.length, truncated },
        ...(filter.unresolved.length > 0
          ? { warnings: filter.unresolved.map((v) => `Could not resolve api_key_id filter value ${v}`) }
          : {}),
      },
    },
  };
}
