/**
 * A configuration file that cannot be used, with every problem found in it (not just the first),
 * each naming where it is and what was expected.
 */
import { ConfigError } from '../errors/rotator-errors.js';

/** One problem in a configuration file. */
export interface ConfigIssue {
  /** Where inside the file, e.g. `rotations[2].schedule.timezone`; empty for the whole file. */
  path: string;
  /** 1-based line, when the parser can tell. */
  line?: number;
  /** 1-based column, when the parser can tell. */
  column?: number;
  /** What is wrong and what was expected. */
  message: string;
}

/** `rotations[2].schedule.timezone (line 14:15): expected an IANA time zone` */
export function formatConfigIssue(issue: ConfigIssue): string {
  const line = issue.line === undefined ? undefined : `line ${issue.line}:${issue.column ?? 1}`;
  if (issue.path === '') return line ? `${line}: ${issue.message}` : issue.message;
  return line ? `${issue.path} (${line}): ${issue.message}` : `${issue.path}: ${issue.message}`;
}

export class ConfigFileError extends ConfigError {
  constructor(
    /** The file the issues are about. */
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`${file}: ${count}\n${issues.map((issue) => `  ${formatConfigIssue(issue)}`).join('\n')}`);
  }
}

/** `['rotations', 2, 'schedule']` → `rotations[2].schedule` */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment))
      out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}
