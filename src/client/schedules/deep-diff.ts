/** Field-by-field differences between two JSON values, named by their path (`destinations[0].path`). */

export interface FieldChange {
  /** Path of the field, e.g. `schedule.intervalDays`. */
  field: string;
  /** Value before; undefined when the field was added. */
  from?: unknown;
  /** Value after; undefined when the field was removed. */
  to?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function deepDiff(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: FieldChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      changes.push(...deepDiff(before[i], after[i], join(path, i)));
    }
    return changes;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => deepDiff(before[key], after[key], join(path, key)));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ field: path, from: before, to: after }];
}
