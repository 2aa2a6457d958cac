/**
 * Reads `rotations.yaml` (or the same content as JSON), validates it against the schema and
 * reports every problem at once, each with its place in the file.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigFileError, formatConfigPath, type ConfigIssue } from './config-file-error.js';
import { toConfigIssues } from './config-issues.js';
import { configSchema, type RotationsConfig } from './schema.js';
import { looksLikeSecret } from './secret-lookalike.js';
import { locatePath } from './yaml-locator.js';

export interface LoadConfigDeps {
  /** Reads the file's text. @default fs.promises.readFile(path, 'utf8') */
  readFile?: (path: string) => Promise<string>;
}

/** Parses and validates configuration text; `file` is only used to name it in errors. */
export function parseConfig(text: string, file: string): RotationsConfig {
  const lineCounter = new LineCounter();
  // YAML 1.2 (core schema) reads JSON as well, and reports duplicate keys as errors.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      file,
      doc.errors.map((error) => {
        const [start] = error.linePos ?? [];
        // The first line, without the position (reported separately) and the quoted source (which
        // could hold a pasted secret).
        const summary = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const message = `invalid YAML: ${summary}`;
        return start ? { path: '', line: start.line, column: start.col, message } : { path: '', message };
      }),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new ConfigFileError(file, [
      { path: '', message: 'the file is empty; expected `version: 1` and a `rotations:` list' },
    ]);
  }
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigFileError(file, toConfigIssues(result.error, configSchema, data, { doc, lineCounter }));
  }
  const lookalikes = secretLookingVariableNames(result.data).map((path): ConfigIssue => {
    const position = locatePath(doc, lineCounter, path);
    return {
      path: formatConfigPath(path),
      ...(position && { line: position.line, column: position.column }),
      message:
        'this looks like a secret, not the NAME of an environment variable: put the secret in a variable and its name here',
    };
  });
  if (lookalikes.length > 0) throw new ConfigFileError(file, lookalikes);
  return result.data;
}

/** Reads and validates a configuration file. @throws ConfigFileError listing every problem. */
export async function loadConfig(path: string, deps: LoadConfigDeps = {}): Promise<RotationsConfig> {
  let text: string;
  try {
    text = await (deps.readFile ?? ((p: string) => readFile(p, 'utf8')))(path);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code || String(err)})`;
    throw new ConfigFileError(path, [{ path: '', message: `the file ${reason}` }]);
  }
  return parseConfig(text, path);
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
