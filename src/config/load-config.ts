/**
 * Reads `rotations.yaml` (or the same content as JSON), validates it against the schema and
 * reports every problem at once, each with its place in the file. How an untrusted file is read
 * and parsed (size limit, strict UTF-8, alias bombs) is decided in src/config-files/yaml-file.ts.
 */
import { ConfigFileError, formatConfigPath, type ConfigIssue } from '../config-files/config-file-error.js';
import { configSchema, type RotationsConfig } from './schema.js';
import { looksLikeSecret } from '../config-files/secret-lookalike.js';
import { MAX_CONFIG_BYTES, parseYamlFile, readYamlFileText } from '../config-files/yaml-file.js';
import { locatePath } from '../config-files/yaml-locator.js';

export { MAX_CONFIG_BYTES };

/** Parses and validates configuration text; `file` is only used to name it in errors. */
export function parseConfig(text: string, file: string): RotationsConfig {
  const { data, doc, lineCounter } = parseYamlFile(
    text,
    file,
    configSchema,
    'the file is empty; expected `version: 1` and a `rotations:` list',
  );
  const lookalikes = secretLookingVariableNames(data).map((path): ConfigIssue => {
    const position = locatePath(doc, lineCounter, path);
    return {
      path: formatConfigPath(path),
      ...(position && { line: position.line, column: position.column }),
      message:
        'this looks like a secret, not the NAME of an environment variable: put the secret in a variable and its name here',
    };
  });
  if (lookalikes.length > 0) throw new ConfigFileError(file, lookalikes);
  return data;
}

/** Reads and validates a configuration file. @throws ConfigFileError listing every problem. */
export async function loadConfig(path: string): Promise<RotationsConfig> {
  return parseConfig(await readYamlFileText(path), path);
}

/**
 * A value that is a valid variable name can still be a pasted token (long mixed-case runs); say so
 * instead of later reporting "variable <token> is not set", which would print it.
 */
function secretLookingVariableNames(config: RotationsConfig): PropertyKey[][] {
  const found: PropertyKey[][] = [];
  const visit = (value: unknown, path: PropertyKey[]): void => {
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...path, i]));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const namesAVariable = key === 'env' || key.endsWith('Env');
        if (namesAVariable && typeof child === 'string' && looksLikeSecret(child)) found.push([...path, key]);
        else visit(child, [...path, key]);
      }
    }
  };
  visit(config, []);
  return found;
}
