/**
 * Finds every Temporal payload in a history (anything shaped `{ metadata: {encoding}, data }`),
 * apart from search attributes, which Temporal indexes and codecs never touch (they hold only
 * names, steps, outcomes and labels; the secrecy test checks them for keys all the same).
 */
import type { Payload } from '@temporalio/common';

export function payloadsIn(node: unknown, found: Payload[] = []): Payload[] {
  if (node === null || typeof node !== 'object') return found;
  if (ArrayBuffer.isView(node)) return found;
  const record = node as Record<string, unknown>;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata === 'object' && 'encoding' in metadata) {
    found.push(record as Payload);
  }
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'searchAttributes') payloadsIn(value, found);
  }
  return found;
}

/** The ways a secret could show up in a JSON history: as is, and base64 of it (any alignment). */
export function encodingsOf(secret: string): string[] {
  const forms = [secret];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.from(secret.slice(shift)).toString('base64');
    // Drop the edges that depend on neighbouring bytes.
    forms.push(b64.slice(4, -4));
  }
  return forms;
}

/** Where a history holds a Failure: event attributes, an activity's last failure, a cause chain. */
const FAILURE_KEYS = new Set(['failure', 'lastFailure', 'continuedFailure', 'cause']);

/**
 * Every Failure in a history in proto JSON form (`historyToJSON` parsed): each failure and,
 * separately, each of its causes.
 */
export function failuresIn(node: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (node === null || typeof node !== 'object') return found;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (FAILURE_KEYS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      found.push(value as Record<string, unknown>);
    }
    failuresIn(value, found);
  }
  return found;
}
