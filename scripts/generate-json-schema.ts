/**
 * Writes rotations.schema.json (editor completion and checks for rotations.yaml) from the zod
 * schema, the single source of truth. Run `npx tsx scripts/generate-json-schema.ts` after changing
 * src/config/schema.ts; a test fails while the committed file is out of date.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';

export const JSON_SCHEMA_FILE = fileURLToPath(new URL('../rotations.schema.json', import.meta.url));

/** The JSON Schema text as committed: generated, then formatted like every other file. */
export async function renderJsonSchema(): Promise<string> {
  const schema = {
    ...z.toJSONSchema(configSchema, { io: 'input' }),
    title: 'openrouter-key-rotator rotations file',
    description: 'Generated from src/config/schema.ts by scripts/generate-json-schema.ts; do not edit.',
  };
  const options = (await prettier.resolveConfig(JSON_SCHEMA_FILE)) ?? {};
  return prettier.format(JSON.stringify(schema), { ...options, filepath: JSON_SCHEMA_FILE });
}

async function main(): Promise<void> {
  await writeFile(JSON_SCHEMA_FILE, await renderJsonSchema());
  console.log(`wrote ${JSON_SCHEMA_FILE}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
