export {
  createRotatorDataConverter,
  FAILURE_CONVERTER_PATH,
  type RotatorDataConverterOptions,
} from './data-converter.js';
export {
  EncryptionCodec,
  ENCRYPTED_ENCODING,
  METADATA_KEY_ID,
  type EncryptionCodecOptions,
} from './encryption-codec.js';
export {
  CODEC_KEY_ENV,
  CODEC_KEY_FILE_ENV,
  DEV_KEYRING_PATH,
  generateKeyringJson,
  loadKeyring,
  parseKeyring,
  type Keyring,
} from './keyring.js';
export { SecretSealer, type SealContext, type SealedSecret, type SealPurpose } from './secret-sealer.js';
