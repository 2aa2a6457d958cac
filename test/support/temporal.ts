/** Connects tests to the shared dev server started by test/global-setup.ts. */
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';

export function testTemporalAddress(): string {
  return inject('temporalAddress');
}

export async function connectTestEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
  });
}
