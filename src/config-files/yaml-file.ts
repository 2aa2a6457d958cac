/**
 * Reading an operator's YAML (or JSON) file safely: the rotations config and the worker policy
 * both come through here, so a rule about untrusted files (size limit, UTF-8, alias bombs, which
 * parser errors are quoted) is decided once.
 *
 * Whatever the file holds, the outcome is a ConfigFileError naming it (exit 2), never a crash: the
 * file is read only up to a size limit, aliases are expanded only so often (an alias bomb, "billion
 * laughs", would otherwise build gigabytes from a few lines), and any parser failure is reported.
 */
import { open } from 'node:fs/promises';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { errnoCode } from '../errors/errno.js';
import { ConfigFileError } from './config-file-error.js';
import { toConfigIssues } from './config-issues.js';

/** The largest file read (1 MiB): far beyond any real one, small enough to parse at once. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * How many alias expansions converting the YAML may do (the yaml library counts nested ones): ample
 * for anchors shared between entries, far too few for an alias bomb.
 */
const MAX_ALIAS_COUNT = 100;

/** A parsed YAML file and what places a value in it (for error positions). */
export interface YamlFile<T> {
  data: T;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/**
 * The file's text: at most {@link MAX_CONFIG_BYTES} are read (a huge file, or a device such as
 * /dev/zero whose size says nothing, is refused without being read into memory), decoded as strict
 * UTF-8. `what` names the file in messages ("the file", "the worker policy file").
 */
export async function readYamlFileText(path: string, what = 'the file'): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(path);
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    const code = errnoCode(err) ?? '';
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code || String(err)})`;
    throw new ConfigFileError(path, [{ path: '', message: `${what} ${reason}` }]);
  }
  return decodeUtf8(bytes, path);
}

/**
 * Parses YAML 1.2 (which reads JSON as well) and validates it with `schema`, reporting every
 * problem at once with its line and column. `emptyMessage` says what an empty file should hold.
 */
export function parseYamlFile<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  emptyMessage: string,
): YamlFile<z.output<S>> {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw tooLarge(file);
  let parsed: { data: unknown; doc: Document.Parsed; lineCounter: LineCounter };
  try {
    parsed = parseYamlText(text, file);
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    throw new ConfigFileError(file, [{ path: '', message: unreadableYaml(err) }]);
  }
  const { data, doc, lineCounter } = parsed;
  if (data === null || data === undefined)
    throw new ConfigFileError(file, [{ path: '', message: emptyMessage }]);
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new ConfigFileError(file, toConfigIssues(result.error, schema, data, { doc, lineCounter }));
  }
  return { data: result.data, doc, lineCounter };
}

function parseYamlText(text: string, file: string) {
  const lineCounter = new LineCounter();
  // uniqueKeys: a key given twice is an error, not a silent "last one wins".
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
  return { data, doc, lineCounter };
}

async function readBounded(path: string): Promise<Uint8Array> {
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
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * The bytes as UTF-8 text, or a ConfigFileError at the first byte that is not UTF-8: decoding
 * leniently would turn it into U+FFFD and apply a config nobody wrote (a name or path with a
 * replacement character in it).
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, validUtf8Prefix(bytes)), {
      stream: true,
    });
    const lines = before.split('\n');
    throw new ConfigFileError(file, [
      {
        path: '',
        line: lines.length,
        column: [...(lines.at(-1) ?? '')].length + 1,
        message: 'the file is not valid UTF-8 (save it as UTF-8; YAML and JSON files must be)',
      },
    ]);
  }
}

/**
 * Length of the longest prefix of `bytes` holding no invalid sequence. Streaming decodes leave a
 * character cut at the end pending instead of failing, so "holds an invalid sequence" only grows
 * with the prefix, and a binary search finds where it starts.
 */
function validUtf8Prefix(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
      low = middle;
    } catch {
      high = middle - 1;
    }
  }
  return low;
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
