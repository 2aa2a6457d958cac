import path from 'node:path';
import type { LabelContext } from '../destination.js';
import type { FileDestinationConfig } from './schema.js';

/** `file:/srv/app/.env#OPENROUTER_API_KEY`: the path resolved from `cwd` when given. */
export function fileDestinationLabel(config: FileDestinationConfig, context: LabelContext = {}): string {
  const file = context.cwd === undefined ? config.path : path.resolve(context.cwd, config.path);
  return `file:${file}#${config.field}`;
}
