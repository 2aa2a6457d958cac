/** The data converter every Client and Worker of ours uses: default JSON conversion + encryption. */
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec.js';
import { loadKeyring, type LoadKeyringOptions } from './keyring.js';

export async function createRotatorDataConverter(options: LoadKeyringOptions = {}): Promise<DataConverter> {
  return { payloadCodecs: [new EncryptionCodec(await loadKeyring(options))] };
}
