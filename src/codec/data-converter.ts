/**
 * The one data converter every Client, Worker and workflow bundle of ours uses: default JSON
 * conversion, failure messages and stack traces moved into an encoded payload, and every payload
 * encrypted by our codec (which refuses payloads it did not encrypt).
 */
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec.js';
import { loadKeyring, type Keyring, type LoadKeyringOptions } from './keyring.js';

/**
 * The module exporting our failure converter. Workers and clients `require()` it, and
 * `bundleWorkflowCode` must get it as `failureConverterPath` too, so that failures raised by
 * workflow code are encoded the same way (a bundle built without it writes them in plain text).
 */
export const FAILURE_CONVERTER_PATH = fileURLToPath(
  new URL('./encoded-failure-converter.cjs', import.meta.url),
);

/** Either an already-loaded keyring, or where to load one from (see keyring.ts). */
export type RotatorDataConverterOptions = { keyring: Keyring } | LoadKeyringOptions;

export async function createRotatorDataConverter(
  options: RotatorDataConverterOptions = {},
): Promise<DataConverter> {
  const keyring = 'keyring' in options ? options.keyring : await loadKeyring(options);
  return {
    payloadCodecs: [new EncryptionCodec(keyring)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
