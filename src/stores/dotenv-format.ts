/**
 * The dotenv text format, read and edited in place so that everything we do not own (other
 * variables, comments, blank lines, order, `export` prefixes, CRLF endings) survives a write.
 *
 * Files are also `source`d by shells (`. ./app.env`), so what we write must never execute there:
 * a value is bare only when made of characters no shell treats specially, otherwise it is
 * single-quoted the POSIX way (`'` inside becomes `'\''`), where nothing (`$`, backticks, `\`,
 * `"`, newlines) is special. Double quotes would let a shell run `$(...)` inside them.
 *
 * Understood forms: `NAME=value`, `export NAME=value`, spaces around `=`, values unquoted (an
 * inline ` # comment` ends them), single-quoted words (literal, may span lines, may be joined by
 * `\'`, as a shell reads them) and single-line "double-quoted" values (`\n`, `\"`, `\\` escapes;
 * what earlier versions of this writer produced).
 */

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*)$/;

/** A name shells and every dotenv dialect accept as a variable. */
export const DOTENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Characters that need no quoting in any dotenv dialect (dotenv, docker compose, shell `source`). */
const SAFE_UNQUOTED = /^[A-Za-z0-9_\-.:/+=@%,]+$/;

/** A kept inline comment after the value: whitespace, then `#`. */
const INLINE_COMMENT = /^\s+#/;

interface ParsedValue {
  value: string;
  /** Length of the value as written (quotes and escapes included). */
  length: number;
}

/** A single-quoted shell word from `start` (a `'`): `'…'` segments joined by `\'`; undefined when unclosed. */
function parseSingleQuotedWord(text: string, start: number): ParsedValue | undefined {
  let value = '';
  let i = start;
  while (i < text.length) {
    if (text[i] === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) return undefined;
      value += text.slice(i + 1, close);
      i = close + 1;
    } else if (text[i] === '\\' && text[i + 1] === "'") {
      value += "'";
      i += 2;
    } else break;
  }
  return { value, length: i - start };
}

/** A value that ends on its own line: double-quoted, or unquoted up to an inline comment. */
function parseLineValue(raw: string): ParsedValue {
  if (raw[0] === '"') {
    let value = '';
    for (let i = 1; i < raw.length; i++) {
      const ch = raw[i];
      if (ch === '"') return { value, length: i + 1 };
      if (ch === '\\' && i + 1 < raw.length) {
        const next = raw[++i];
        value += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next;
      } else value += ch;
    }
    // No closing quote: fall through and treat the whole thing as unquoted, as dotenv does.
  }
  const comment = /\s#/.exec(raw);
  const value = raw.slice(0, comment ? comment.index : raw.length).trimEnd();
  return { value, length: value.length };
}

/**
 * Formats a value for a dotenv line: bare when it is obviously safe, otherwise single-quoted so
 * that a shell sourcing the file reads it literally and runs nothing.
 */
export function formatDotenvValue(value: string): string {
  if (SAFE_UNQUOTED.test(value)) return value;
  return `'${value.replace(/'/g, "'\\''")}'`;
}

interface Assignment {
  name: string;
  value: string;
  /** Offset in the content where the line starts. */
  lineStart: number;
  /** `export ` and indentation before the name, kept on rewrite. */
  prefix: string;
  /** Offsets of the value as written (quotes included). */
  valueStart: number;
  valueEnd: number;
  /** Offset of the end of the value's last line (before `\r\n` or `\n`). */
  lineEnd: number;
}

function endOfLine(content: string, from: number): { textEnd: number; next: number } {
  const newline = content.indexOf('\n', from);
  const end = newline < 0 ? content.length : newline;
  const textEnd = end > from && content[end - 1] === '\r' ? end - 1 : end;
  return { textEnd, next: newline < 0 ? content.length : newline + 1 };
}

/** Every assignment in the file, in order; a single-quoted value may span several lines. */
function assignments(content: string): Assignment[] {
  const found: Assignment[] = [];
  let lineStart = 0;
  while (lineStart < content.length) {
    const line = endOfLine(content, lineStart);
    const m = ASSIGNMENT.exec(content.slice(lineStart, line.textEnd));
    let next = line.next;
    if (m) {
      const [, prefix = '', name = '', equals = '', raw = ''] = m;
      const valueStart = lineStart + prefix.length + name.length + equals.length;
      const quoted = raw[0] === "'" ? parseSingleQuotedWord(content, valueStart) : undefined;
      const parsed = quoted ?? parseLineValue(raw);
      const valueEnd = valueStart + parsed.length;
      // The assignment ends with the line its value ends on (later lines when the quotes span them).
      const last = quoted ? endOfLine(content, valueEnd) : line;
      next = last.next;
      found.push({
        name,
        value: parsed.value,
        lineStart,
        prefix,
        valueStart,
        valueEnd,
        lineEnd: last.textEnd,
      });
    }
    lineStart = next;
  }
  return found;
}

/** The value of `name` (the last assignment wins, as in dotenv and shells), or undefined. */
export function readDotenvValue(content: string, name: string): string | undefined {
  return assignments(content)
    .filter((a) => a.name === name)
    .at(-1)?.value;
}

/**
 * Returns `content` with every assignment of `name` set to `value` (each keeps its `export`
 * prefix and inline comment), or with `NAME=value` appended when there is none. Our own lines are
 * written as `NAME=value` with no spaces around `=`, the only form a shell reads as an assignment.
 */
export function setDotenvValue(content: string, name: string, value: string): string {
  if (!DOTENV_NAME.test(name)) {
    throw new RangeError(`"${name}" is not a variable name a shell or dotenv can read`);
  }
  const formatted = formatDotenvValue(value);
  const ours = assignments(content).filter((a) => a.name === name);
  if (ours.length === 0) {
    const cr = content.includes('\r\n') ? '\r' : '';
    const separator = content === '' || content.endsWith('\n') ? '' : '\n';
    return `${content}${separator}${name}=${formatted}${cr}\n`;
  }
  let out = '';
  let copied = 0;
  for (const a of ours) {
    const after = content.slice(a.valueEnd, a.lineEnd);
    const comment = INLINE_COMMENT.test(after) ? after : '';
    out += `${content.slice(copied, a.lineStart)}${a.prefix}${name}=${formatted}${comment}`;
    copied = a.lineEnd;
  }
  return out + content.slice(copied);
}
