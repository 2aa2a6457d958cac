/** The worker policy: where the worker's operator lets rotations send, read and write credentials. */
export {
  assertRotationAllowed,
  checkRotationAgainstPolicy,
  managementKeyEnvViolation,
  openRouterBaseUrlViolation,
  secretRefViolation,
  type CheckRotationOptions,
  type PolicyViolation,
} from './check-rotation.js';
export { RotationAdmission } from './rotation-admission.js';
export {
  defaultWorkerPolicy,
  describeWorkerPolicy,
  loadWorkerPolicy,
  loadWorkerPolicyFile,
  parseWorkerPolicy,
  POLICY_ENV,
  workerPolicyFile,
  workerPolicyFromRules,
  type WorkerPolicySource,
} from './load-worker-policy.js';
export { workerPolicySchema, type WorkerPolicy, type WorkerPolicyRules } from './worker-policy-schema.js';
