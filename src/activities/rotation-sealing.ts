/**
 * Sealing as the activities use it. The context a blob is bound to comes from the rotation
 * argument and from Temporal's own activity info (the workflow id), never from a field of the
 * input, so a blob copied into another run's input does not open there.
 */
import { activityInfo } from '@temporalio/activity';
import type { SealedSecret, SealPurpose, SecretSealer } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import { SealedSecretMismatchError } from '../errors/rotator-errors.js';

export interface RotationSealing {
  seal(purpose: SealPurpose, secret: string): SealedSecret;
  /** @throws SealedSecretMismatchError when `sealed` was sealed for another purpose, rotation or workflow. */
  unseal(purpose: SealPurpose, sealed: SealedSecret): string;
}

/** Sealing for `rotation` in the current activity's workflow; call it inside an activity. */
export function sealingFor(sealer: SecretSealer, rotation: RotationConfig): RotationSealing {
  const workflowId = activityInfo().workflowExecution?.workflowId;
  if (!workflowId) {
    throw new SealedSecretMismatchError(
      'sealed keys travel only between the activities of one rotation workflow; this activity runs outside one',
    );
  }
  const context = (purpose: SealPurpose) => ({ purpose, rotation: rotation.name, workflowId });
  return {
    seal: (purpose, secret) => sealer.seal(secret, context(purpose)),
    unseal: (purpose, sealed) => sealer.unseal(sealed, context(purpose)),
  };
}
