/** The config of an `infisical` destination (v4 REST API). No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { pathSegment, rule, secretRef, serviceUrl, storePathProblem } from '../../fields/field-schemas.js';

export const infisicalDestinationSchema = z
  .object({
    type: z.literal('infisical'),
    /** Infisical instance. @default "https://app.infisical.com" */
    siteUrl: serviceUrl.default('https://app.infisical.com'),
    projectId: pathSegment,
    /** Environment slug, e.g. prod. */
    environment: pathSegment,
    /** @default "/" */
    secretPath: z
      .string()
      .startsWith('/')
      .superRefine(rule((path) => (path === '/' ? undefined : storePathProblem(path))))
      .default('/'),
    /** @default "OPENROUTER_API_KEY" */
    secretName: pathSegment.default('OPENROUTER_API_KEY'),
    /** Universal-auth machine identity credentials. */
    auth: z.object({ clientId: secretRef, clientSecret: secretRef }).strict(),
  })
  .strict();

export type InfisicalDestinationConfig = z.infer<typeof infisicalDestinationSchema>;
