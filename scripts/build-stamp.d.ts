/** Types of scripts/build-stamp.js (plain JavaScript so that bin/key-rotator.js can load it). */
export declare const BUILD_STAMP_FILE: string;
export declare function newestSourceMtimeMs(sourceDir: string): number;
export declare function writeBuildStamp(outDir: string, sourceMtimeMs: number): void;
export declare function buildFreshness(
  outDir: string,
  sourceDir: string,
): { current: true } | { current: false; reason: string };
