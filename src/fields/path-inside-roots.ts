/**
 * Whether a path lies inside one of the policy's folders, judged on real paths: every symbolic
 * link in the part of the path that exists is resolved first, so a link cannot lead out of a root.
 */
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * `target` (absolute) with its existing part replaced by its real path: the real path of the
 * nearest existing ancestor, then the segments that do not exist yet. Undefined when an existing
 * entry cannot be resolved (a dangling or looping symbolic link, a folder we may not search).
 */
export function realPathOf(target: string): string | undefined {
  const missing: string[] = [];
  let existing = path.resolve(target);
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...missing);
    } catch {
      // Only an entry that is truly absent may be skipped over; anything else that exists but
      // cannot be resolved could point anywhere.
      if (entryExists(existing)) return undefined;
      const parent = path.dirname(existing);
      if (parent === existing) return undefined;
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

function entryExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Whether `inner` is strictly inside `folder` (both already real paths). */
function isInside(inner: string, folder: string): boolean {
  const relative = path.relative(folder, inner);
  return (
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

export type RootVerdict = 'inside' | 'outside' | 'unresolvable';

/** Whether `target` (absolute) is inside one of `roots`, judged on real paths. */
export function insideRoots(target: string, roots: readonly string[]): RootVerdict {
  const real = realPathOf(target);
  if (real === undefined) return 'unresolvable';
  return roots.some((root) => {
    const realRoot = realPathOf(root);
    return realRoot !== undefined && isInside(real, realRoot);
  })
    ? 'inside'
    : 'outside';
}
