/** Finds where a path inside a parsed YAML (or JSON) document was written: line and column. */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * The position of the value at `path`, or of its key when `at` is "key". When the path leads to
 * something that is not in the file (a missing field), the deepest part that is, is returned.
 */
export function locatePath(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  at: 'key' | 'value' = 'value',
): SourcePosition | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as Node | null)?.range?.[0];
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      const keyOffset = (pair.key as Node | null)?.range?.[0];
      const valueOffset = (pair.value as Node | null)?.range?.[0];
      offset = last && at === 'key' ? (keyOffset ?? offset) : (valueOffset ?? keyOffset ?? offset);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = (item as Node | null)?.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
