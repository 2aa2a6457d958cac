/**
 * Seals API keys that must pass from one activity to the next (the new key from "create" to
 * "store" and "verify", the old key from "read" to a rollback's "restore"). A sealed key is
 * encrypted with a subkey derived from the sealing keyring (`KEY_ROTATOR_SEALING_KEY`, which only
 * the worker holds; keyring.ts), on top of the payload codec, so someone who can decode payloads
 * (the Web UI, the codec server and its host, anyone with the payload codec keyring) sees only an
 * opaque blob, never the key.
 *
 * A blob is bound to where it may be used: the AES-GCM associated data is the sealing key id, the
 * purpose, the rotation name, the workflow id and (v4) the run's token. A blob copied into another
 * rotation's activity input, a blob of an earlier run of the same rotation (every run has the same
 * workflow id, not the same token), or a new key's blob offered as a restore value, does not open.
 *
 * Format: `sealed:v4:<purpose>:<keyId>:<base64 iv‖ciphertext‖tag>`, keyId naming a key of the
 * sealing keyring. The purpose is in clear only to make a mismatch easy to explain; it is
 * authenticated like the rest of the context. `sealed:v3:` (same layout, no run token) is what runs
 * started before the run token (patched('run-token')) seal and open, so that they finish after an
 * upgrade; a context with a run token never opens one. Older formats are refused: v1 was bound to
 * nothing, and v2's key was derived from the payload codec keyring, which the codec server holds.
 */
import { hkdfSync } from 'node:crypto';
import { ConfigError, SealedSecretMismatchError } from '../errors/rotator-errors.js';
import { decrypt, encrypt } from './aes-gcm.js';
import type { Keyring } from './keyring.js';

const PREFIX = 'sealed:v4:';
const RUNLESS_PREFIX = 'sealed:v3:';
const UNBOUND_PREFIX = 'sealed:v1:';
const CODEC_DERIVED_PREFIX = 'sealed:v2:';
const HKDF_INFO = {
  v3: 'openrouter-key-rotator/secret-sealing/v3',
  v4: 'openrouter-key-rotator/secret-sealing/v4',
};

export type SealedSecret = `sealed:v4:${string}` | `sealed:v3:${string}`;

/** What a sealed key is for. */
export type SealPurpose =
  /** The key "create" made: opened by "store" and "verify". */
  | 'new-key'
  /** The key the destinations held before: opened only by a rollback's "restore". */
  | 'old-key';

const PURPOSES: readonly SealPurpose[] = ['new-key', 'old-key'];

/** Where a sealed key may be opened: the same purpose, rotation, workflow and run it was sealed in. */
export interface SealContext {
  purpose: SealPurpose;
  /** The rotation's name (from its config). */
  rotation: string;
  /** The workflow id of the rotation run. */
  workflowId: string;
  /**
   * The run's token (src/workflows/run-token.ts): sealed as v4. Absent only in runs started before
   * the run token, which seal and open v3.
   */
  runToken?: string;
}

function describeContext(context: SealContext): string {
  const run = context.runToken === undefined ? '' : `, run ${context.runToken}`;
  return `${context.purpose} of rotation "${context.rotation}" (workflow ${context.workflowId}${run})`;
}

type Version = keyof typeof HKDF_INFO;

export class SecretSealer {
  private readonly subkeys = new Map<string, Buffer>();

  /** @param keyring the sealing keyring (`KEY_ROTATOR_SEALING_KEY`), never the payload codec keyring */
  constructor(private readonly keyring: Keyring) {}

  seal(secret: string, context: SealContext): SealedSecret {
    const keyId = this.keyring.activeKeyId;
    const version = versionFor(context);
    const blob = encrypt(
      this.subkey(keyId, version),
      Buffer.from(secret, 'utf8'),
      associatedData(keyId, context),
    );
    return `sealed:${version}:${context.purpose}:${keyId}:${blob.toString('base64')}`;
  }

  /**
   * Opens a blob sealed for exactly this context.
   * @throws SealedSecretMismatchError when it was sealed elsewhere (another run too), altered, or is
   *   not a blob of the context's version (v4 with a run token, else v3).
   * @throws ConfigError when its sealing key is no longer in the sealing keyring.
   */
  unseal(sealed: string, context: SealContext): string {
    if (sealed.startsWith(UNBOUND_PREFIX)) {
      throw new SealedSecretMismatchError(
        `refusing a sealed:v1 key for the ${describeContext(context)}: that format is not bound to a ` +
          'rotation, so it could be replayed into another one; start a new rotation (its keys are sealed as sealed:v4)',
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
    const version = versionFor(context);
    const prefix = `sealed:${version}:`;
    if (version === 'v4' && sealed.startsWith(RUNLESS_PREFIX)) {
      throw new SealedSecretMismatchError(
        `refusing a sealed:v3 key for the ${describeContext(context)}: it was sealed by a run started ` +
          'before the run token, so it is not bound to this run',
      );
    }
    // purpose:keyId:blob, where a key id may itself contain ':' and base64 never does.
    const match = sealed.startsWith(prefix)
      ? /^([^:]+):(.+):([^:]+)$/.exec(sealed.slice(prefix.length))
      : null;
    const [, purpose, keyId, blob] = match ?? [];
    if (!PURPOSES.includes(purpose as SealPurpose) || !keyId || !blob) {
      throw new SealedSecretMismatchError(
        `expected a sealed key (${prefix}…) for the ${describeContext(context)}, got something else`,
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
        this.subkey(keyId, version),
        Buffer.from(blob, 'base64'),
        associatedData(keyId, context),
      ).toString('utf8');
    } catch {
      throw new SealedSecretMismatchError(
        `the sealed key does not open as the ${describeContext(context)}: it was sealed for another ` +
          'rotation, workflow or run, or altered; refused',
      );
    }
  }

  private subkey(keyId: string, version: Version): Buffer {
    const id = `${version}\n${keyId}`;
    let key = this.subkeys.get(id);
    if (!key) {
      const info = HKDF_INFO[version];
      key = Buffer.from(hkdfSync('sha256', this.keyring.keys.get(keyId)!, Buffer.alloc(0), info, 32));
      this.subkeys.set(id, key);
    }
    return key;
  }
}

function versionFor(context: SealContext): Version {
  return context.runToken === undefined ? 'v3' : 'v4';
}

/** The authenticated context, as an unambiguous encoding (a JSON array, not a joined string). */
function associatedData(keyId: string, context: SealContext): Buffer {
  const { purpose, rotation, workflowId, runToken } = context;
  return Buffer.from(
    JSON.stringify(
      runToken === undefined
        ? [RUNLESS_PREFIX, keyId, purpose, rotation, workflowId]
        : [PREFIX, keyId, purpose, rotation, workflowId, runToken],
    ),
  );
}
