/**
 * The form of a path the worker reads a credential from or writes a key to. No Node built-ins:
 * the config schema, which the workflow code imports, applies it as well as the worker policy.
 */

/**
 * Why `path` is not in normal form, or undefined when it is: no empty segments (`a//b`, a
 * trailing `/`), no `.` or `..` segments. Normal form means a path says where it points without
 * being resolved, so a reviewer reading the config sees the real target.
 */
export function pathProblem(path: string): string | undefined {
  const segments = (path.startsWith('/') ? path.slice(1) : path).split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return 'expected a normalised path: no "." or ".." segments';
  }
  if (segments.some((segment) => segment === '')) {
    return 'expected a normalised path: no empty segments ("//" or a trailing "/")';
  }
  return undefined;
}

/** Whether `value` holds a NUL byte (which would cut a path or a header short in C code). */
export function hasNulByte(value: string): boolean {
  return value.includes('\0');
}
