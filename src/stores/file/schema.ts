/** The config of a `file` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { ENV_NAME, normalisedPath } from '../../fields/field-schemas.js';

export const fileDestinationSchema = z
  .object({
    type: z.literal('file'),
    /** Path of the file (relative paths resolve from the worker's working directory). */
    path: normalisedPath,
    /** dotenv (`NAME=value` lines) or json (`{"NAME": "value"}`). @default "dotenv" */
    format: z.enum(['dotenv', 'json']).default('dotenv'),
    /** Variable / field name that holds the key. @default "OPENROUTER_API_KEY" */
    field: z
      .string()
      .regex(ENV_NAME, 'expected a variable name (letters, digits, _; no leading digit)')
      .default('OPENROUTER_API_KEY'),
  })
  .strict();

export type FileDestinationConfig = z.infer<typeof fileDestinationSchema>;
