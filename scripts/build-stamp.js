// @ts-check
/**
 * Is the compiled build (dist/) current? `npm run build` writes a stamp holding the newest
 * modification time it saw under src/ before compiling; bin/key-rotator.js runs dist/ only while
 * nothing under src/ is newer than that. Directories count too, so a deleted or renamed file makes
 * the build stale as well. Plain JavaScript: bin/key-rotator.js loads it without a TypeScript loader.
 * It costs one stat per file and folder of src/ (~190: 2 ms idle, under 10 ms on a busy machine).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The stamp's file name inside the build output. */
export const BUILD_STAMP_FILE = 'build-stamp.json';

/**
 * The newest modification time (ms) of `sourceDir` and of every file and folder inside it.
 * @param {string} sourceDir
 * @returns {number}
 */
export function newestSourceMtimeMs(sourceDir) {
  let newest = statSync(sourceDir).mtimeMs;
  for (const entry of readdirSync(sourceDir, { recursive: true, withFileTypes: true })) {
    const mtimeMs = statSync(path.join(entry.parentPath, entry.name)).mtimeMs;
    if (mtimeMs > newest) newest = mtimeMs;
  }
  return newest;
}

/**
 * Writes the stamp of a build compiled from `sourceDir` as it was at `sourceMtimeMs` (measured
 * before compiling, so an edit made during the build leaves the build stale).
 * @param {string} outDir
 * @param {number} sourceMtimeMs
 */
export function writeBuildStamp(outDir, sourceMtimeMs) {
  const stamp = { sourceMtimeMs, builtAt: new Date().toISOString() };
  writeFileSync(path.join(outDir, BUILD_STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
}

/**
 * Whether the build in `outDir` was compiled from `sourceDir` as it is now, and if not, why.
 * @param {string} outDir
 * @param {string} sourceDir
 * @returns {{ current: true } | { current: false; reason: string }}
 */
export function buildFreshness(outDir, sourceDir) {
  let stamped;
  try {
    stamped = JSON.parse(readFileSync(path.join(outDir, BUILD_STAMP_FILE), 'utf8')).sourceMtimeMs;
  } catch {
    return { current: false, reason: `${BUILD_STAMP_FILE} is missing or unreadable (an interrupted build?)` };
  }
  if (typeof stamped !== 'number')
    return { current: false, reason: `${BUILD_STAMP_FILE} has no sourceMtimeMs` };
  if (newestSourceMtimeMs(sourceDir) > stamped)
    return { current: false, reason: 'src/ changed after the build' };
  return { current: true };
}
