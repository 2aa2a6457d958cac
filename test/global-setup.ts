/**
 * One real Temporal dev server for the whole test run: started before the first test file, its
 * address handed to tests through vitest's provide/inject, stopped by PID at the end (also when
 * tests fail).
 */
import type { TestProject } from 'vitest/node';
import { ensureTemporalCli } from '../src/dev/temporal-cli.js';
import { startTemporalDevServer } from '../src/dev/temporal-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalCliPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cliPath = await ensureTemporalCli();
  const started = Date.now();
  const server = await startTemporalDevServer({ cliPath });
  console.log(
    `temporal dev server ready at ${server.address} (pid ${server.pid}) in ${Date.now() - started} ms`,
  );
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('temporalCliPath', cliPath);
  return async () => {
    await server.stop();
  };
}
