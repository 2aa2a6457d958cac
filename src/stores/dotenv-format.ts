/**
 * The dotenv text format, read and edited line by line so that everything we do not own (other
 * variables, comments, blank lines, order, `export` prefixes, CRLF endings) survives a write.
 *
 * Understood forms: `NAME=value`, `export NAME=value`, spaces around `=`, values unquoted (an
 * inline ` # comment` ends them), 'single-quoted' (literal) or "double-quoted" (`\n`, `\"`, `\\`
 * escapes). Multi-line quoted values are not supported: keys are single-line.
 */

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*)$/;

/** Characters that need no quoting in any dotenv dialect (dotenv, docker compose, shell `source`). */
const SAFE_UNQUOTED = /^[A-Za-z0-9_\-.:/+=@%,]+$/;

interface ParsedValue {
  value: string;
  /** Characters of the line after the value (an inline comment), kept verbatim on rewrite. */
  rest: string;
}

function parseValue(raw: string): ParsedValue {
  const quote = raw[0];
  if (quote === "'") {
    const end = raw.indexOf("'", 1);
    if (end > 0) return { value: raw.slice(1, end), rest: raw.slice(end + 1) };
  } else if (quote === '"') {
    let value = '';
    for (let i = 1; i < raw.length; i++) {
      const ch = raw[i];
      if (ch === '"') return { value, rest: raw.slice(i + 1) };
      if (ch === '\\' && i + 1 < raw.length) {
        const next = raw[++i];
        value += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next;
      } else value += ch;
    }
    // No closing quote: fall through and treat the whole thing as unquoted, as dotenv does.
  }
  const comment = /\s#/.exec(raw);
  const end = comment ? comment.index : raw.length;
  const value = raw.slice(0, end).trimEnd();
  return { value, rest: raw.slice(value.length) };
}

/** Formats a value for a dotenv line: bare when it is obviously safe, otherwise double-quoted. */
export function formatDotenvValue(value: string): string {
  if (SAFE_UNQUOTED.test(value)) return value;
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
  return `"${escaped}"`;
}

interface Line {
  text: string;
  /** "\r" when the line ended with CRLF. */
  cr: string;
}

function splitLines(content: string): { lines: Line[]; finalNewline: boolean } {
  const finalNewline = content.endsWith('\n');
  const body = finalNewline ? content.slice(0, -1) : content;
  const lines = content === '' ? [] : body.split('\n');
  return {
    lines: lines.map((l) => (l.endsWith('\r') ? { text: l.slice(0, -1), cr: '\r' } : { text: l, cr: '' })),
    finalNewline,
  };
}

/** The value of `name` (the last assignment wins, as in dotenv and shells), or undefined. */
export function readDotenvValue(content: string, name: string): string | undefined {
  let found: string | undefined;
  for (const { text } of splitLines(content).lines) {
    const m = ASSIGNMENT.exec(text);
    if (m && m[2] === name) found = parseValue(m[4] ?? '').value;
  }
  return found;
}

/**
 * Returns `content` with every assignment of `name` set to `value` (each keeps its prefix, spacing
 * and inline comment), or with `NAME=value` appended when there is none.
 */
export function setDotenvValue(content: string, name: string, value: string): string {
  const { lines, finalNewline } = splitLines(content);
  const formatted = formatDotenvValue(value);
  let replaced = false;
  const out = lines.map(({ text, cr }) => {
    const m = ASSIGNMENT.exec(text);
    if (!m || m[2] !== name) return text + cr;
    replaced = true;
    const { rest } = parseValue(m[4] ?? '');
    return `${m[1]}${name}${m[3]}${formatted}${rest}${cr}`;
  });
  if (!replaced) {
    const cr = lines.some((l) => l.cr === '\r') ? '\r' : '';
    out.push(`${name}=${formatted}${cr}`);
    return out.join('\n') + '\n';
  }
  return out.join('\n') + (finalNewline ? '\n' : '');
}
