import { defineConfig } from 'vitest/config';

/**
 * Two projects, chosen by file name so a new file needs no list edited:
 * - `unit`: `*.unit.test.ts`, files that need nothing but `npm ci` (no Temporal, no external
 *   server, no tool from `.tools/`; our own emulator and fakes on 127.0.0.1 are fine). No global
 *   setup, files in parallel. `npm run test:unit`.
 * - `integration`: every other `*.test.ts`, with the shared Temporal dev server of
 *   test/global-setup.ts; one file at a time (2 cores, one shared server).
 */
const UNIT_FILES = 'test/**/*.unit.test.ts';

const timeouts = { testTimeout: 120_000, hookTimeout: 180_000, teardownTimeout: 60_000 };

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: [UNIT_FILES],
          maxWorkers: 2,
          ...timeouts,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [UNIT_FILES, '**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          ...timeouts,
        },
      },
    ],
  },
});
