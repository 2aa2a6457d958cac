/**
 * Reads `rotations.yaml` (or the same content as JSON), validates it against the schema and
 * reports every problem at once, each with its place in the file.
 *
 * Whatever the file holds, the outcome is a ConfigFileError naming it (exit 2), never a crash: the
 * file is read only up to a size limit, aliases are expanded only so often (an alias bomb, "billion
 * laughs", would otherwise build gigabytes from a few lines), and any parser failure is reported.
 */
import { open } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { errnoCode } from '../errno.js';
import { ConfigFileError, formatConfigPath, type ConfigIssue } from './config-file-error.js';
import { toConfigIssues } from './config-issues.js';
import { configSchema, type RotationsConfig } from './schema.js';
import { looksLikeSecret } from './secret-lookalike.js';
import { locatePath } from './yaml-locator.js';

export interface LoadConfigDeps {
  /** Reads the file's text. @default reads at most {@link MAX_CONFIG_BYTES} + 1 bytes of it as UTF-8 */
  readFile?: (path: string) => Promise<string>;
}

/** The largest configuration file read (1 MiB): far beyond any real one, small enough to parse at once. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * How many alias expansions converting the YAML may do (the yaml library counts nested ones): ample
 * for anchors shared between rotations, far too few for an alias bomb.
 */
const MAX_ALIAS_COUNT = 100;

/** Parses and validates configuration text; `file` is only used to name it in errors. */
export function parseConfig(text: string, file: string): RotationsConfig {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw tooLarge(file);
  try {
    return parseConfigText(text, file);
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    throw new ConfigFileError(file, [{ path: '', message: unreadableYaml(err) }]);
  }
}

function parseConfigText(text: string, file: string): RotationsConfig {
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
  const data: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
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
    text = await (deps.readFile ?? readBounded)(path);
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    const code = errnoCode(err) ?? '';
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code || String(err)})`;
    throw new ConfigFileError(path, [{ path: '', message: `the file ${reason}` }]);
  }
  return parseConfig(text, path);
}

/**
 * The file's text, reading at most one byte more than {@link MAX_CONFIG_BYTES}: a huge file (or a
 * device such as /dev/zero, whose size says nothing) is refused without being read into memory.
 */
async function readBounded(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_CONFIG_BYTES) throw tooLarge(path);
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

function tooLarge(file: string): ConfigFileError {
  return new ConfigFileError(file, [
    {
      path: '',
      message: `the file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, the most a configuration file may be; is it the right file?`,
    },
  ]);
}

/** What went wrong when the YAML library gave up on the text, without quoting any of it. */
function unreadableYaml(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/alias count/i.test(message)) {
    return (
      `invalid YAML: it expands aliases (*name) more than ${MAX_ALIAS_COUNT} times, as an alias bomb ` +
      '("billion laughs") does; write the values out or use fewer aliases'
    );
  }
  if (err instanceof RangeError) return 'invalid YAML: it is nested too deeply to read';
  return `invalid YAML: ${(message.split('\n')[0] ?? '').slice(0, 200)}`;
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
