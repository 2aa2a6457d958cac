/**
 * The `code` of a failed system call (`ENOENT`, `EEXIST`, `ECONNREFUSED` …), read from anything
 * thrown: Node's errors carry it, other values do not.
 */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && err.code !== undefined
    ? String(err.code)
    : undefined;
}
