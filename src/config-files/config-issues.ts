/**
 * Turns zod's validation issues into messages for the person who wrote the file: where (path and
 * line:column), what was expected, and for unknown fields the closest known field name.
 */
import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';
import { closestName } from './closest-name.js';
import { formatConfigPath, type ConfigIssue } from './config-file-error.js';
import { knownFieldsAt } from './schema-shape.js';
import { looksLikeSecret } from './secret-lookalike.js';
import { locatePath } from './yaml-locator.js';

/** Where the parsed data came from, for line:column; absent for data that was not read from text. */
export interface IssueSource {
  doc: Document;
  lineCounter: LineCounter;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function withoutZodPrefix(message: string): string {
  return message.replace(/^(Invalid input|Invalid option|Too small|Too big): /, '');
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const value = valueAt(data, issue.path);
  const field = issue.path[issue.path.length - 1];
  if (issue.code === 'invalid_type' && value === undefined) {
    return `required field "${String(field)}" is missing (expected ${issue.expected})`;
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const options = (issue as { options?: unknown[] }).options?.map(String).join(', ') ?? '';
    return value === undefined
      ? `required field "${issue.discriminator}" is missing; expected one of: ${options}`
      : `unknown ${issue.discriminator} ${JSON.stringify(value)}; expected one of: ${options}`;
  }
  const namesAVariable = field === 'env' || (typeof field === 'string' && field.endsWith('Env'));
  if (namesAVariable && typeof value === 'string' && looksLikeSecret(value)) {
    return 'this looks like a secret, not the NAME of an environment variable: put the secret in a variable and its name here';
  }
  return withoutZodPrefix(issue.message);
}

/** One {@link ConfigIssue} per problem; an unknown field becomes one issue per field, at that field. */
export function toConfigIssues(
  error: z.core.$ZodError,
  schema: z.core.$ZodType,
  data: unknown,
  source?: IssueSource,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const locate = (path: readonly PropertyKey[], at: 'key' | 'value') =>
    source ? locatePath(source.doc, source.lineCounter, path, at) : undefined;

  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownFieldsAt(schema, data, issue.path) ?? [];
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const guess = closestName(key, known);
        const hint = guess ? `did you mean "${guess}"?` : `known fields: ${known.join(', ')}`;
        const position = locate(path, 'key');
        issues.push({
          path: formatConfigPath(path),
          ...(position && { line: position.line, column: position.column }),
          message: `unknown field "${key}"; ${hint}`,
        });
      }
      continue;
    }
    const position = locate(issue.path, 'value');
    issues.push({
      path: formatConfigPath(issue.path),
      ...(position && { line: position.line, column: position.column }),
      message: describeIssue(issue, data),
    });
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
