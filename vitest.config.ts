import { defineConfig } from 'vitest/config';

/**
 * Projects, chosen by file name and folder so a new file needs no list edited:
 * - `unit`: `*.unit.test.ts`, files that need nothing but `npm ci` (no Temporal, no external
 *   server, no tool from `.tools/`; our own emulator and fakes on 127.0.0.1 are fine). No global
 *   setup, two files at a time, and the files of one worker share its process (`isolate: false`:
 *   each module is loaded once per worker, not once per file, which halves the run). So a unit
 *   file leaves process-wide state as it found it (env, timers, listeners); one that must set
 *   something before a module loads goes in {@link UNIT_OWN_PROCESS} (`unit-own-process`: a fresh
 *   process per file). `npm run test:unit` runs both.
 * - `integration`: the other `*.test.ts` of the area folders in {@link PARALLEL_AREAS}, two files at
 *   a time beside the unit files. Each such file keeps to itself: its own namespace on the shared
 *   Temporal dev server (one per worker slot, see test/global-setup.ts), random task queues, temp
 *   folders and free ports for whatever it starts (moto, OpenBao, kube-apiserver, fakes).
 * - `integration-serial`: every other `*.test.ts` (the PostgreSQL cluster, the local stack and the
 *   README's commands, the scripts, the deployment files), one at a time after the rest: each
 *   starts a whole stack of its own or runs a build, and two of them at once on 2 cores would
 *   only trade time for flakes.
 * `npm run test:integration` runs both integration projects.
 */
const UNIT_FILES = 'test/**/*.unit.test.ts';
/** Unit files that need a process of their own: gcp sets gRPC's trusted roots before gRPC loads. */
const UNIT_OWN_PROCESS = ['test/stores/gcp.unit.test.ts'];
const PARALLEL_AREAS = [
  'cli',
  'codec',
  'config',
  'events',
  'rotation',
  'schedules',
  'security',
  'stores',
  'telemetry',
  'worker',
];
const PARALLEL_FILES = PARALLEL_AREAS.map((area) => `test/${area}/**/*.test.ts`);

/** Files at a time in `unit` and `integration`; test/global-setup.ts makes a namespace per slot. */
const WORKERS = 2;

const timeouts = { testTimeout: 120_000, hookTimeout: 180_000, teardownTimeout: 60_000 };

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: [UNIT_FILES],
          exclude: [...UNIT_OWN_PROCESS, '**/node_modules/**'],
          isolate: false,
          maxWorkers: WORKERS,
          ...timeouts,
        },
      },
      {
        test: {
          name: 'unit-own-process',
          include: UNIT_OWN_PROCESS,
          maxWorkers: WORKERS,
          ...timeouts,
        },
      },
      {
        test: {
          name: 'integration',
          include: PARALLEL_FILES,
          exclude: [UNIT_FILES, '**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          maxWorkers: WORKERS,
          ...timeouts,
        },
      },
      {
        test: {
          name: 'integration-serial',
          include: ['test/**/*.test.ts'],
          exclude: [UNIT_FILES, ...PARALLEL_FILES, '**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          ...timeouts,
        },
      },
    ],
  },
});
