/**
 * The demo's rotations file: examples/rotations.yaml (the documented example) with this run's
 * OpenRouter URL and data folder filled in, written to `<data>/rotations.demo.yaml`. Comments are
 * kept, so the copy reads like the example.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { parseConfig } from '../config/load-config.js';
import type { RotationConfig } from '../config/schema.js';
import type { FileDestinationConfig } from '../stores/file/schema.js';
import { ConfigError } from '../errors/rotator-errors.js';

export interface DemoConfigOptions {
  /** The example to start from (examples/rotations.yaml). */
  example: string;
  /** How the copy's header names the example. @default example */
  exampleName?: string;
  /** Where to write the copy. */
  output: string;
  /** The rotation to adapt, by name. */
  rotation: string;
  /** The OpenRouter API base URL: the emulator's, or openrouter.ai. */
  apiBaseUrl: string;
  /** Path written into the rotation's file destination. */
  secretFile: string;
  /**
   * With a real OpenRouter account nothing else uses the demo's key, so waiting for traffic to
   * move would hold every rotation: the copy turns `verify.requireTrafficMoved` off.
   */
  realOpenRouter: boolean;
}

export interface DemoConfig {
  rotation: RotationConfig;
  /** The rotation's file destination: where the app reads its key. */
  fileDestination: FileDestinationConfig;
}

function rotationIndex(doc: Document, name: string, example: string): number {
  const rotations = doc.get('rotations');
  const index = isSeq(rotations)
    ? rotations.items.findIndex((item) => isMap(item) && item.get('name') === name)
    : -1;
  if (index < 0) throw new ConfigError(`${example} has no rotation named "${name}"; the demo needs it`);
  return index;
}

function fileDestinationIndex(doc: Document, at: number, example: string): number {
  const destinations = doc.getIn(['rotations', at, 'destinations']);
  const index = isSeq(destinations)
    ? destinations.items.findIndex((item) => isMap(item) && item.get('type') === 'file')
    : -1;
  if (index < 0) {
    throw new ConfigError(
      `${example}: the demo's rotation needs a destination of type file (the app reads it)`,
    );
  }
  return index;
}

/** Ends the file's header comment with a note that this is a generated copy. */
function markAsCopy(doc: Document, exampleName: string): void {
  const note = ` Written by \`npm start\` from ${exampleName} at every start: edit that file, not this copy.`;
  const firstKey = isMap(doc.contents) ? doc.contents.items[0]?.key : undefined;
  if (isScalar(firstKey)) {
    firstKey.commentBefore = firstKey.commentBefore ? `${firstKey.commentBefore}\n\n${note}` : note;
  } else doc.commentBefore = note;
}

export async function writeDemoConfig(options: DemoConfigOptions): Promise<DemoConfig> {
  const doc = parseDocument(await readFile(options.example, 'utf8'));
  const at = rotationIndex(doc, options.rotation, options.example);
  const fileAt = fileDestinationIndex(doc, at, options.example);
  doc.setIn(['rotations', at, 'openrouter', 'baseUrl'], options.apiBaseUrl);
  doc.setIn(['rotations', at, 'destinations', fileAt, 'path'], options.secretFile);
  if (options.realOpenRouter) doc.setIn(['rotations', at, 'verify', 'requireTrafficMoved'], false);
  markAsCopy(doc, options.exampleName ?? options.example);

  const text = doc.toString();
  // Validated here too, so a broken example is reported before anything is applied.
  const rotation = parseConfig(text, options.example).rotations[at]!;
  const fileDestination = rotation.destinations[fileAt] as FileDestinationConfig;
  await mkdir(path.dirname(options.output), { recursive: true, mode: 0o700 });
  await writeFile(options.output, text);
  return { rotation, fileDestination };
}
