/** The config of a `gcp-secret-manager` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { secretRef, serviceUrl } from '../../fields/field-schemas.js';

/** Google's rule for a project id: 6–30 lower-case letters, digits and hyphens, starting with a letter. */
const projectId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    'expected a Google Cloud project id (6–30 lower-case letters, digits and -, starting with a letter), e.g. acme-prod',
  );

/** Google's rule for a secret id: up to 255 letters, digits, - and _. */
const secretId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected a secret id of letters, digits, - and _ (up to 255)');

/** A version alias: lower-case letters, digits, - and _, starting with a letter (Google's rule), never `latest`. */
const versionAlias = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    'expected an alias of lower-case letters, digits, - and _ starting with a letter (up to 63)',
  )
  .refine((alias) => alias !== 'latest', '"latest" is Google\'s own alias for the newest version');

export const gcpSecretManagerDestinationSchema = z
  .object({
    type: z.literal('gcp-secret-manager'),
    /** The project the secret lives in (its id, not its number). */
    project: projectId,
    /** The secret's id, e.g. `openrouter-api-key`. Created (automatic replication, labelled) if missing. */
    secret: secretId,
    /**
     * A version alias moved to each version a rotation adds, for consumers that read
     * `versions/<alias>` rather than `latest`. Without it consumers read `latest`.
     */
    versionAlias: versionAlias.optional(),
    /**
     * A Google Cloud key file's JSON (a service account key, an external account…) as a credential
     * reference: `{file: /run/gcp/key.json}` or `{env: NAME}`. Without it the library's Application
     * Default Credentials chain (GOOGLE_APPLICATION_CREDENTIALS, gcloud's user credentials, the
     * metadata server of the workload's service account) decides.
     */
    credentials: secretRef.optional(),
    /**
     * After the old key is deleted, destroy the versions that hold it (their data is gone for
     * good) rather than disable them (which can be undone). @default false
     */
    destroyPrevious: z.boolean().default(false),
    /**
     * Endpoint override (`https://host[:port]`, e.g. a regional or Private Service Connect
     * endpoint); checked against the worker policy's `gcpSecretManagerEndpoints`.
     */
    endpoint: serviceUrl
      .refine(
        (url) => url.startsWith('https://'),
        'expected https://host[:port]: Secret Manager is gRPC over TLS',
      )
      .refine((url) => new URL(url).pathname === '/', 'expected https://host[:port] with no path')
      .optional(),
  })
  .strict();

export type GcpSecretManagerDestinationConfig = z.infer<typeof gcpSecretManagerDestinationSchema>;

/** The secret's resource name, `projects/<project>/secrets/<secret>`. */
export function gcpSecretName(config: Pick<GcpSecretManagerDestinationConfig, 'project' | 'secret'>): string {
  return `projects/${config.project}/secrets/${config.secret}`;
}
