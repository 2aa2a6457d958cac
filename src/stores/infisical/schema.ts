/** The config of an `infisical` destination (v4 REST API). No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { secretRef, serviceUrl } from '../../fields/field-schemas.js';

export const infisicalDestinationSchema = z
  .object({
    type: z.literal('infisical'),
    /** Infisical instance. @default "https://app.infisical.com" */
    siteUrl: serviceUrl.default('https://app.infisical.com'),
    projectId: z.string().min(1),
    /** Environment slug, e.g. prod. */
    environment: z.string().min(1),
    /** @default "/" */
    secretPath: z.string().startsWith('/').default('/'),
    /** @default "OPENROUTER_API_KEY" */
    secretName: z.string().min(1).default('OPENROUTER_API_KEY'),
    /** Universal-auth machine identity credentials. */
    auth: z.object({ clientId: secretRef, clientSecret: secretRef }).strict(),
  })
  .strict();

export type InfisicalDestinationConfig = z.infer<typeof infisicalDestinationSchema>;
