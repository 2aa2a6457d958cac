/**
 * One real Temporal dev server for the whole test run: started before the first test file, its
 * address handed to tests through vitest's provide/inject, stopped by PID at the end (also when
 * tests fail). It holds one namespace per worker slot of the integration projects
 * (`test-1` … `test-N`, N = {@link TEST_NAMESPACE_SLOTS}): files that run at the same time each
 * work in their own namespace (see `testNamespace()` in support/temporal.ts), so workflow ids,
 * schedules and visibility queries of one file never meet another's.
 *
 * Both integration projects name this file; the server is started once per vitest process and
 * stopped after the last project's teardown.
 */
import type { TestProject } from 'vitest/node';
import { ensureTemporalCli } from '../src/dev/temporal-cli.js';
import { startTemporalDevServer, type RunningDevServer } from '../src/dev/temporal-dev-server.js';

/** Namespaces made at launch: at least the `maxWorkers` of any project that uses this setup. */
export const TEST_NAMESPACE_SLOTS = 4;

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** `test-1` … `test-N`: the namespace of vitest worker slot k (VITEST_POOL_ID) is entry k-1. */
    temporalNamespaces: string[];
    temporalCliPath: string;
  }
}

interface Shared {
  started: Promise<{ server: RunningDevServer; cliPath: string; namespaces: string[] }>;
  users: number;
}

const SHARED = Symbol.for('key-rotator.test.temporal-dev-server');
const holder = globalThis as { [SHARED]?: Shared };

async function start(): Promise<{ server: RunningDevServer; cliPath: string; namespaces: string[] }> {
  const cliPath = await ensureTemporalCli();
  const namespaces = Array.from({ length: TEST_NAMESPACE_SLOTS }, (_, i) => `test-${i + 1}`);
  const started = Date.now();
  const server = await startTemporalDevServer({
    cliPath,
    namespace: namespaces[0],
    extraNamespaces: namespaces.slice(1),
  });
  console.log(
    `temporal dev server ready at ${server.address} (pid ${server.pid}, namespaces ${namespaces.join(', ')}) in ${Date.now() - started} ms`,
  );
  return { server, cliPath, namespaces };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = (holder[SHARED] ??= { started: start(), users: 0 });
  shared.users += 1;
  const { server, cliPath, namespaces } = await shared.started;
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespaces', namespaces);
  project.provide('temporalCliPath', cliPath);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete holder[SHARED];
    await server.stop();
  };
}
