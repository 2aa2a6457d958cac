/**
 * Seals API keys that must pass from one activity to the next (the new key from "create" to
 * "store", the old key for a rollback). A sealed key is encrypted with a subkey derived from the
 * codec keyring (HKDF, separate purpose), on top of the payload codec, so even someone who can
 * decode payloads (the Web UI through the codec server) sees only an opaque blob, never the key.
 *
 * Format: `sealed:v1:<keyId>:<base64 iv‖ciphertext‖tag>`.
 */
import { hkdfSync } from 'node:crypto';
import { decrypt, encrypt } from './aes-gcm.js';
import type { Keyring } from './keyring.js';

const PREFIX = 'sealed:v1:';
const PURPOSE = 'openrouter-key-rotator/secret-sealing/v1';

export type SealedSecret = `sealed:v1:${string}`;

export class SecretSealer {
  private readonly subkeys = new Map<string, Buffer>();

  constructor(private readonly keyring: Keyring) {}

  seal(secret: string): SealedSecret {
    const keyId = this.keyring.activeKeyId;
    const blob = encrypt(this.subkey(keyId), Buffer.from(secret, 'utf8'), Buffer.from(keyId));
    return `${PREFIX}${keyId}:${blob.toString('base64')}`;
  }

  unseal(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed secret');
    const rest = sealed.slice(PREFIX.length);
    const colon = rest.indexOf(':');
    const keyId = rest.slice(0, colon);
    if (colon < 0 || !this.keyring.keys.has(keyId)) {
      throw new Error(`sealed secret uses codec key "${keyId}", which is not in the keyring`);
    }
    return decrypt(
      this.subkey(keyId),
      Buffer.from(rest.slice(colon + 1), 'base64'),
      Buffer.from(keyId),
    ).toString('utf8');
  }

  private subkey(keyId: string): Buffer {
    let key = this.subkeys.get(keyId);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.keyring.keys.get(keyId)!, Buffer.alloc(0), PURPOSE, 32));
      this.subkeys.set(keyId, key);
    }
    return key;
  }
}
