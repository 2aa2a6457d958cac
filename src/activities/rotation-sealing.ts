/**
 * Sealing as the activities use it. The context a blob is bound to comes from the rotation
 * argument, from Temporal's own activity info (the workflow id) and from the run's token, which the
 * workflow passes (src/workflows/run-token.ts): a blob copied into another workflow's input does
 * not open there, nor one of an earlier run of the same rotation in a later run.
 */
import { activityInfo } from '@temporalio/activity';
import type { SealedSecret, SealPurpose, SecretSealer } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import { SealedSecretMismatchError } from '../errors/rotator-errors.js';

export interface RotationSealing {
  seal(purpose: SealPurpose, secret: string): SealedSecret;
  /** @throws SealedSecretMismatchError when `sealed` was sealed for another purpose, rotation, workflow or run. */
  unseal(purpose: SealPurpose, sealed: SealedSecret): string;
}

/**
 * Sealing for `rotation` in the current activity's workflow and run; call it inside an activity.
 * @param runToken the run's token; undefined only for a run started before the run token (sealed:v3)
 */
export function sealingFor(
  sealer: SecretSealer,
  rotation: RotationConfig,
  runToken: string | undefined,
): RotationSealing {
  const workflowId = activityInfo().workflowExecution?.workflowId;
  if (!workflowId) {
    throw new SealedSecretMismatchError(
      'sealed keys travel only between the activities of one rotation workflow; this activity runs outside one',
    );
  }
  const context = (purpose: SealPurpose) => ({
    purpose,
    rotation: rotation.name,
    workflowId,
    ...(runToken === undefined ? {} : { runToken }),
  });
  return {
    seal: (purpose, secret) => sealer.seal(secret, context(purpose)),
    unseal: (purpose, sealed) => sealer.unseal(sealed, context(purpose)),
  };
}
