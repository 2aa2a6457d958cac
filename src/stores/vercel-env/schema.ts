/** The config of a `vercel-env` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { pathSegment, secretRef, serviceUrl } from '../../fields/field-schemas.js';

export const DEFAULT_VERCEL_API_URL = 'https://api.vercel.com';

export const vercelEnvDestinationSchema = z
  .object({
    type: z.literal('vercel-env'),
    /** Vercel's REST API. @default "https://api.vercel.com" */
    apiUrl: serviceUrl.default(DEFAULT_VERCEL_API_URL),
    /** Project id or name. */
    project: pathSegment,
    /** Team the project belongs to (`teamId` query parameter); omit for a personal account. */
    teamId: pathSegment.optional(),
    /** @default "OPENROUTER_API_KEY" */
    key: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected letters, digits and _')
      .default('OPENROUTER_API_KEY'),
    /** Environments the variable applies to. @default ["production"] */
    targets: z
      .array(z.enum(['production', 'preview', 'development']))
      .min(1)
      .refine((t) => new Set(t).size === t.length, 'targets are listed twice')
      .default(['production']),
    /**
     * `encrypted` can be read back (the rotation reads and compares it); `sensitive` cannot, which
     * makes this a write-only destination (README "Write-only destinations"). @default "encrypted"
     */
    variableType: z.enum(['encrypted', 'sensitive']).default('encrypted'),
    /**
     * Redeploy the current production deployment after each write, and let verify wait until it is
     * READY. Without it a new value reaches the site only with the next deploy. @default false
     */
    redeploy: z.boolean().default(false),
    /** A Vercel access token with access to the project. */
    auth: z.object({ token: secretRef }).strict(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.variableType === 'sensitive' && config.targets.includes('development')) {
      ctx.addIssue({
        code: 'custom',
        path: ['targets'],
        message:
          'Vercel keeps sensitive variables out of development: drop development, or use variableType: encrypted',
      });
    }
    if (config.redeploy && !config.targets.includes('production')) {
      ctx.addIssue({
        code: 'custom',
        path: ['redeploy'],
        message: 'redeploy rebuilds the production deployment: add production to targets, or drop redeploy',
      });
    }
  });

export type VercelEnvDestinationConfig = z.infer<typeof vercelEnvDestinationSchema>;

/** Whether the destination cannot hand its value back (a `sensitive` variable). */
export function vercelEnvIsWriteOnly(config: VercelEnvDestinationConfig): boolean {
  return config.variableType === 'sensitive';
}
