/** Connects tests to the shared dev server started by test/global-setup.ts. */
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';

export function testTemporalAddress(): string {
  return inject('temporalAddress');
}

/**
 * This file's namespace on the shared dev server: one per vitest worker slot (VITEST_POOL_ID), so
 * two files that run at the same time never share workflow ids, schedules or visibility.
 */
export function testNamespace(): string {
  const namespaces = inject('temporalNamespaces');
  const slot = Number(process.env.VITEST_POOL_ID ?? '1');
  const namespace = namespaces[slot - 1];
  if (!namespace) {
    throw new Error(
      `vitest worker slot ${process.env.VITEST_POOL_ID} has no namespace on the test dev server (it has ${namespaces.length}): raise TEST_NAMESPACE_SLOTS in test/global-setup.ts to the integration projects' maxWorkers`,
    );
  }
  return namespace;
}

export async function connectTestEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({
    address: inject('temporalAddress'),
    namespace: testNamespace(),
  });
}
