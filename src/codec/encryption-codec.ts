/**
 * Temporal payload codec: every payload (workflow input, activity results, query answers, failures'
 * messages, stack traces and details) is AES-256-GCM encrypted before it reaches the Temporal
 * server. The key id travels in the payload metadata so the keyring can rotate; the key id is also
 * authenticated (AAD).
 *
 * Decoding is strict: a payload this codec did not encrypt is refused, so whoever can start a
 * workflow or send a signal without our keyring (`temporal workflow start --input ...`, a Client
 * without the codec) cannot choose what the worker does. Search attributes and headers never pass
 * through codecs; memo would, and we set none.
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

export interface EncryptionCodecOptions {
  /**
   * What `decode` does with a payload this codec did not encrypt: `refuse` it (workers and clients:
   * such a payload is never trusted), or `show` it as it is. `show` is for display only, in the
   * codec server, whose answers go to a person, never back into a workflow.
   * @default "refuse"
   */
  foreignPayloads?: 'refuse' | 'show';
}

export class EncryptionCodec implements PayloadCodec {
  private readonly showForeignPayloads: boolean;

  constructor(
    private readonly keyring: Keyring,
    options: EncryptionCodecOptions = {},
  ) {
    this.showForeignPayloads = options.foreignPayloads === 'show';
  }

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
      const encodingBytes = payload.metadata?.[METADATA_ENCODING_KEY];
      const encoding = encodingBytes ? fromUtf8.decode(encodingBytes) : undefined;
      if (encoding !== ENCRYPTED_ENCODING) {
        if (this.showForeignPayloads) return payload;
        throw new ValueError(
          `payload is not encrypted by key-rotator's codec (encoding ${printable(encoding)}): refused; ` +
            'start and signal rotations with key-rotator, or with a client that uses its codec keyring',
        );
      }
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

/** The encoding a foreign payload claims, safe to put in an error message (it is caller-chosen text). */
function printable(encoding: string | undefined): string {
  if (encoding === undefined) return 'missing';
  const shown = encoding.replace(/[^\x20-\x7e]/g, '?');
  return shown.length > 64 ? `${shown.slice(0, 64)}…` : shown;
}
