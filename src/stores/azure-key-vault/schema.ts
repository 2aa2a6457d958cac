/** The config of an `azure-key-vault` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { secretRef, serviceUrl } from '../../fields/field-schemas.js';

/** `https://host[:port]` with no path: a vault URL or an authority host. */
const httpsOrigin = (what: string, example: string) =>
  serviceUrl
    .refine(
      (url) => url.startsWith('https://'),
      `expected https://host[:port]: ${what} is only reached over TLS`,
    )
    .refine((url) => new URL(url).pathname === '/', `expected ${example} with no path`);

/** Key Vault's rule for a secret name: 1–127 letters, digits and -. */
const secretName = z
  .string()
  .regex(/^[0-9A-Za-z-]{1,127}$/, 'expected a Key Vault secret name of letters, digits and - (up to 127)');

/** A directory (tenant) id: a GUID or a verified domain, e.g. contoso.onmicrosoft.com. */
const tenantId = z
  .string()
  .regex(
    /^[0-9A-Za-z][0-9A-Za-z.-]{0,252}$/,
    'expected a tenant id (a GUID or a domain such as contoso.onmicrosoft.com)',
  );

/** An application (client) id: a GUID. */
const clientId = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    'expected an application (client) id, a GUID',
  );

const credentials = z.discriminatedUnion('method', [
  z
    .object({
      /** `@azure/identity`'s DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI… */
      method: z.literal('default'),
    })
    .strict(),
  z
    .object({
      /** An app registration's client secret. */
      method: z.literal('client-secret'),
      tenantId,
      clientId,
      /** The client secret, as a credential reference (`{env: NAME}` or `{file: PATH}`). */
      clientSecret: secretRef,
    })
    .strict(),
  z
    .object({
      /** An app registration's certificate. */
      method: z.literal('client-certificate'),
      tenantId,
      clientId,
      /** A PEM holding the certificate and its private key, as a credential reference. */
      certificate: secretRef,
    })
    .strict(),
]);

export const azureKeyVaultDestinationSchema = z
  .object({
    type: z.literal('azure-key-vault'),
    /** The vault's URL, e.g. `https://acme-prod.vault.azure.net`; checked against the worker policy's `azureVaultUrls`. */
    vaultUrl: httpsOrigin('Key Vault', 'https://<vault>.vault.azure.net'),
    /** The secret's name, e.g. `openrouter-api-key`. Created by the first write if missing. */
    secret: secretName,
    /** The content type each new version carries. @default "text/plain" */
    contentType: z.string().min(1).max(255).default('text/plain'),
    /**
     * Give each new version the expiry of the key it holds, when the key has one at OpenRouter
     * (`expiresAfter`). Key Vault still hands out an expired secret: the expiry is for people and
     * alerts. @default true
     */
    setExpiry: z.boolean().default(true),
    /** How the worker authenticates to Microsoft Entra ID. @default {method: default} */
    credentials: credentials.default({ method: 'default' }),
    /**
     * The Entra authority host for a national cloud or Azure Stack (e.g.
     * `https://login.microsoftonline.us`); checked against the worker policy's
     * `azureAuthorityHosts`. Without it, Microsoft's public cloud (login.microsoftonline.com).
     */
    authorityHost: httpsOrigin('the Entra authority', 'https://login.microsoftonline.us').optional(),
  })
  .strict();

export type AzureKeyVaultDestinationConfig = z.infer<typeof azureKeyVaultDestinationSchema>;

/** The vault's name: its URL's first host label (`acme-prod` of acme-prod.vault.azure.net). */
export function azureVaultName(config: Pick<AzureKeyVaultDestinationConfig, 'vaultUrl'>): string {
  return new URL(config.vaultUrl).hostname.split('.')[0]!;
}
