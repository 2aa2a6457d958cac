/** The config of a `vault` destination (KV v2). No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { secretRef, serviceUrl, storePath } from '../../fields/field-schemas.js';

const vaultAuth = z.discriminatedUnion('method', [
  z.object({ method: z.literal('token'), token: secretRef }).strict(),
  z
    .object({
      method: z.literal('approle'),
      roleId: secretRef,
      secretId: secretRef,
      /** Mount path of the AppRole auth method. @default "approle" */
      mount: z.string().min(1).default('approle'),
    })
    .strict(),
]);

export const vaultDestinationSchema = z
  .object({
    type: z.literal('vault'),
    /** Vault / OpenBao address, e.g. https://vault.example.com:8200 */
    address: serviceUrl,
    /** KV v2 mount. @default "secret" */
    mount: storePath.default('secret'),
    /** Secret path inside the mount, e.g. apps/checkout */
    path: storePath,
    /** Field of the secret that holds the key; other fields are kept. @default "OPENROUTER_API_KEY" */
    field: z.string().min(1).default('OPENROUTER_API_KEY'),
    /** Vault Enterprise / HCP namespace. */
    namespace: storePath.optional(),
    auth: vaultAuth,
  })
  .strict();

export type VaultDestinationConfig = z.infer<typeof vaultDestinationSchema>;
