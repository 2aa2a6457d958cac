/**
 * Temporal payload codec: every payload (workflow input, activity results, query answers, failures'
 * details) is AES-256-GCM encrypted before it reaches the Temporal server. The key id travels in
 * the payload metadata so the keyring can rotate; the key id is also authenticated (AAD).
 */
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
// Default import: under plain Node ESM (bin/key-rotator.js via tsx) a named import of this CommonJS
// module fails ("does not provide an export named 'temporal'").
import proto from '@temporalio/proto';
import { decrypt, encrypt } from './aes-gcm.js';
import type { Keyring } from './keyring.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';
const CIPHER = 'AES256-GCM';

const { temporal } = proto;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.keys.get(keyId)!;
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING),
        [METADATA_KEY_ID]: utf8.encode(keyId),
        [METADATA_CIPHER]: utf8.encode(CIPHER),
      },
      data: encrypt(key, temporal.api.common.v1.Payload.encode(payload).finish(), utf8.encode(keyId)),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || fromUtf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
      if (!keyIdBytes) throw new ValueError('encrypted payload without a key id');
      const keyId = fromUtf8.decode(keyIdBytes);
      const key = this.keyring.keys.get(keyId);
      if (!key) {
        throw new ValueError(`payload encrypted with codec key "${keyId}", which is not in the keyring`);
      }
      if (!payload.data) throw new ValueError('encrypted payload without data');
      const clear = decrypt(key, payload.data, keyIdBytes);
      return temporal.api.common.v1.Payload.decode(clear) as Payload;
    });
  }
}
