import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JSON_SCHEMA_FILE, renderJsonSchema } from '../../scripts/generate-json-schema.js';

describe('rotations.schema.json', () => {
  it('is up to date with the zod schema (regenerate: npx tsx scripts/generate-json-schema.ts)', async () => {
    expect(await readFile(JSON_SCHEMA_FILE, 'utf8')).toBe(await renderJsonSchema());
  });

  it('is what examples/rotations.yaml points editors at', async () => {
    const example = await readFile(new URL('../../examples/rotations.yaml', import.meta.url), 'utf8');
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=../rotations.schema.json');
    const schema = JSON.parse(await readFile(JSON_SCHEMA_FILE, 'utf8')) as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(schema.properties)).toEqual(['version', 'rotations', 'notifications', 'defaults']);
    expect(parse(example)).toHaveProperty('rotations');
  });
});
