/**
 * Seals API keys that must pass from one activity to the next (the new key from "create" to
 * "store" and "verify", the old key from "read" to a rollback's "restore"). A sealed key is
 * encrypted with a subkey derived from the sealing keyring (`KEY_ROTATOR_SEALING_KEY`, which only
 * the worker holds; keyring.ts), on top of the payload codec, so someone who can decode payloads
 * (the Web UI, the codec server and its host, anyone with the payload codec keyring) sees only an
 * opaque blob, never the key.
 *
 * A blob is bound to where it may be used: the AES-GCM associated data is the sealing key id, the
 * purpose, the rotation name and the workflow id. A blob copied into another rotation's activity
 * input, or a new key's blob offered as a restore value, does not open.
 *
 * Format: `sealed:v3:<purpose>:<keyId>:<base64 iv‖ciphertext‖tag>`, keyId naming a key of the
 * sealing keyring. The purpose is in clear only to make a mismatch easy to explain; it is
 * authenticated like the rest of the context. Older formats are refused: v1 was bound to nothing,
 * and v2's key was derived from the payload codec keyring, which the codec server holds.
 */
import { hkdfSync } from 'node:crypto';
import { ConfigError, SealedSecretMismatchError } from '../errors/rotator-errors.js';
import { decrypt, encrypt } from './aes-gcm.js';
import type { Keyring } from './keyring.js';

const PREFIX = 'sealed:v3:';
const UNBOUND_PREFIX = 'sealed:v1:';
const CODEC_DERIVED_PREFIX = 'sealed:v2:';
const HKDF_INFO = 'openrouter-key-rotator/secret-sealing/v3';

export type SealedSecret = `sealed:v3:${string}`;

/** What a sealed key is for. */
export type SealPurpose =
  /** The key "create" made: opened by "store" and "verify". */
  | 'new-key'
  /** The key the destinations held before: opened only by a rollback's "restore". */
  | 'old-key';

const PURPOSES: readonly SealPurpose[] = ['new-key', 'old-key'];

/** Where a sealed key may be opened: the same purpose, rotation and workflow it was sealed in. */
export interface SealContext {
  purpose: SealPurpose;
  /** The rotation's name (from its config). */
  rotation: string;
  /** The workflow id of the rotation run. */
  workflowId: string;
}

function describeContext(context: SealContext): string {
  return `${context.purpose} of rotation "${context.rotation}" (workflow ${context.workflowId})`;
}

export class SecretSealer {
  private readonly subkeys = new Map<string, Buffer>();

  /** @param keyring the sealing keyring (`KEY_ROTATOR_SEALING_KEY`), never the payload codec keyring */
  constructor(private readonly keyring: Keyring) {}

  seal(secret: string, context: SealContext): SealedSecret {
    const keyId = this.keyring.activeKeyId;
    const blob = encrypt(this.subkey(keyId), Buffer.from(secret, 'utf8'), associatedData(keyId, context));
    return `${PREFIX}${context.purpose}:${keyId}:${blob.toString('base64')}`;
  }

  /**
   * Opens a blob sealed for exactly this context.
   * @throws SealedSecretMismatchError when it was sealed elsewhere, altered, or is not a v3 blob.
   * @throws ConfigError when its sealing key is no longer in the sealing keyring.
   */
  unseal(sealed: string, context: SealContext): string {
    if (sealed.startsWith(UNBOUND_PREFIX)) {
      throw new SealedSecretMismatchError(
        `refusing a sealed:v1 key for the ${describeContext(context)}: that format is not bound to a ` +
          'rotation, so it could be replayed into another one; start a new rotation (its keys are sealed as sealed:v3)',
      );
    }
    if (sealed.startsWith(CODEC_DERIVED_PREFIX)) {
      throw new SealedSecretMismatchError(
        `refusing a sealed:v2 key for the ${describeContext(context)}: it was sealed by a worker that ` +
          'derived the sealing key from the payload codec keyring, which the codec server holds too; let the ' +
          'rotation end on the worker version that started it, or start a new rotation (docs/operations.md, ' +
          '"The sealing keyring")',
      );
    }
    // purpose:keyId:blob, where a key id may itself contain ':' and base64 never does.
    const match = sealed.startsWith(PREFIX)
      ? /^([^:]+):(.+):([^:]+)$/.exec(sealed.slice(PREFIX.length))
      : null;
    const [, purpose, keyId, blob] = match ?? [];
    if (!PURPOSES.includes(purpose as SealPurpose) || !keyId || !blob) {
      throw new SealedSecretMismatchError(
        `expected a sealed key (sealed:v3:…) for the ${describeContext(context)}, got something else`,
      );
    }
    if (purpose !== context.purpose) {
      throw new SealedSecretMismatchError(
        `refusing a sealed ${purpose} where the ${describeContext(context)} is expected`,
      );
    }
    if (!this.keyring.keys.has(keyId)) {
      throw new ConfigError(
        `the sealed ${purpose} uses sealing key "${keyId}", which is not in the sealing keyring; ` +
          'keep retired keys in the sealing keyring until the rotations that used them have ended',
      );
    }
    try {
      return decrypt(
        this.subkey(keyId),
        Buffer.from(blob, 'base64'),
        associatedData(keyId, context),
      ).toString('utf8');
    } catch {
      throw new SealedSecretMismatchError(
        `the sealed key does not open as the ${describeContext(context)}: it was sealed for another ` +
          'rotation or workflow, or altered; refused',
      );
    }
  }

  private subkey(keyId: string): Buffer {
    let key = this.subkeys.get(keyId);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.keyring.keys.get(keyId)!, Buffer.alloc(0), HKDF_INFO, 32));
      this.subkeys.set(keyId, key);
    }
    return key;
  }
}

/** The authenticated context, as an unambiguous encoding (a JSON array, not a joined string). */
function associatedData(keyId: string, context: SealContext): Buffer {
  return Buffer.from(JSON.stringify([PREFIX, keyId, context.purpose, context.rotation, context.workflowId]));
}
